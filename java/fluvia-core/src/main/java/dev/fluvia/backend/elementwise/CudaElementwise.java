package dev.fluvia.backend.elementwise;

import static dev.fluvia.backend.cuda.CudaContext.p;

import dev.fluvia.backend.cuda.CudaContext;
import dev.fluvia.backend.cuda.DeviceAddress;
import dev.fluvia.backend.cuda.Launch;
import dev.fluvia.tensor.Tensor;

/**
 * The CUDA body of the elementwise ops ({@link ElementwiseOps}) and the typed launchers of {@code kernels/elementwise.cu}:
 * one method per {@code extern "C"} kernel, named like it, parameters after the leading {@link Launch} mirroring the C
 * signature. {@link #fill(Tensor, float)} serves the façade's {@code fill}.
 */
public final class CudaElementwise implements ElementwiseOps {
    private final CudaContext cx;

    public CudaElementwise(CudaContext cx) { this.cx = cx; }

    /** t[:] = value (the façade's {@code fill}). */
    public void fill(Tensor t, float value) { fill(cx.elementwise(t.numel()), p(t), t.numel(), value); }

    @Override public void scale(Tensor t, float s) { scale(cx.elementwise(t.numel()), p(t), t.numel(), s); }

    @Override public void axpy(float a, Tensor x, Tensor y) {
        Checks.axpy(x, y);
        axpy(cx.elementwise(x.numel()), a, p(x), p(y), x.numel());
    }

    @Override public void map(Unary f, Tensor x, Tensor y) {
        Checks.map(x, y);
        mapUnary(cx.elementwise(x.numel()), p(x), p(y), x.numel(), f.ordinal());
    }

    @Override public void map(Binary f, Tensor a, Tensor b, Tensor out) {
        int mode = Checks.map(a, b, out);
        mapBinary(cx.elementwise(a.numel()), p(a), p(b), p(out), a.rows(), a.rowSize(), mode, f.ordinal());
    }

    @Override public void rowSum(Tensor x, Tensor out) {
        Checks.rowSum(x, out);
        rowSum(cx.rows(x.rows()), p(x), x.rows(), x.rowSize(), p(out));
    }

    @Override public void rowLogSumExp(Tensor x, Tensor out) {
        Checks.rowLogSumExp(x, out);
        rowLogSumExp(cx.rows(x.rows()), p(x), x.rows(), x.rowSize(), p(out));
    }

    // ------------------------------------------------------------------ typed launchers (kernels/elementwise.cu)

    /** {@code fill(float* t, long long count, float value)} */
    void fill(Launch launch, DeviceAddress t, long count, float value) {
        cx.go("fill", launch, t, count, value);
    }

    /** {@code scale(float* t, long long count, float s)} */
    void scale(Launch launch, DeviceAddress t, long count, float s) {
        cx.go("scale", launch, t, count, s);
    }

    /** {@code axpy(float a, float* x, float* y, long long count)} */
    void axpy(Launch launch, float a, DeviceAddress x, DeviceAddress y, long count) {
        cx.go("axpy", launch, a, x, y, count);
    }

    /** {@code mapUnary(float* x, float* y, long long count, int op)} */
    void mapUnary(Launch launch, DeviceAddress x, DeviceAddress y, long count, int op) {
        cx.go("mapUnary", launch, x, y, count, op);
    }

    /** {@code mapBinary(float* a, float* b, float* out, int rows, int cols, int bmode, int op)} */
    void mapBinary(Launch launch, DeviceAddress a, DeviceAddress b, DeviceAddress out, int rows, int cols, int bmode, int op) {
        cx.go("mapBinary", launch, a, b, out, rows, cols, bmode, op);
    }

    /** {@code rowSum(float* x, int n, int d, float* out)} */
    void rowSum(Launch launch, DeviceAddress x, int n, int d, DeviceAddress out) {
        cx.go("rowSum", launch, x, n, d, out);
    }

    /** {@code rowLogSumExp(float* x, int n, int d, float* out)} */
    void rowLogSumExp(Launch launch, DeviceAddress x, int n, int d, DeviceAddress out) {
        cx.go("rowLogSumExp", launch, x, n, d, out);
    }
}
