package dev.fluvia.backend.coupling;

import static dev.fluvia.backend.cuda.CudaContext.at;
import static dev.fluvia.backend.cuda.CudaContext.grid;
import static dev.fluvia.backend.cuda.CudaContext.p;
import static dev.fluvia.tensor.Shapes.require;

import dev.fluvia.backend.cuda.CudaContext;
import dev.fluvia.backend.cuda.DeviceAddress;
import dev.fluvia.backend.cuda.Launch;
import dev.fluvia.tensor.Index;
import dev.fluvia.tensor.Tensor;
import dev.fluvia.backend.CouplingScale;

/**
 * The CUDA body of the coupling ops ({@link CouplingOps}) and the typed launchers of {@code kernels/coupling.cu}: one method per
 * {@code extern "C"} kernel, named like it, whose parameters after the leading {@link Launch} mirror the C signature
 * (pointer → {@link DeviceAddress}, {@code int} → int, {@code long long} → long, float, double).
 */
public final class CudaCoupling implements CouplingOps {
    private static final int THREADS = CudaContext.THREADS;
    private final CudaContext cx;

    public CudaCoupling(CudaContext cx) { this.cx = cx; }

    /** CUDA-only (the kernels write the masked entries in parallel): the mask indices must be distinct. */
    private static void distinctMask(String op, Index b, Tensor x) {
        if (!CudaContext.distinct(b)) require(false, op, "mask indices must not repeat", x);
    }

    @Override public void gather(Tensor x, Index idx, Tensor out) {
        CouplingOps.Checks.gather(x, idx, out);
        int n = x.dim(0), dd = x.dim(1), k = idx.size();
        gather(cx.elementwise((long) n * k), p(x), p(idx), n, dd, k, p(out));
    }

    @Override public void scatterAdd(Tensor src, Index idx, Tensor dst) {
        CouplingOps.Checks.scatterAdd(src, idx, dst);
        int n = dst.dim(0), dd = dst.dim(1), k = idx.size();
        if (CudaContext.distinct(idx)) scatterAdd(cx.elementwise((long) n * k), p(src), p(idx), n, dd, k, p(dst));
        else scatterAddSerial(cx.elementwise(n), p(src), p(idx), n, dd, k, p(dst));
    }

    @Override public void affineCouplingForward(Tensor x, Tensor h, Index b, CouplingScale sc, float clamp, Tensor y, Tensor ld) {
        CouplingOps.Checks.affineCouplingForward(x, h, b, y, ld);
        distinctMask("affineCouplingForward", b, x);
        affineCouplingForward(cx.rows(x.dim(0)), p(x), p(h), p(b), x.dim(0), x.dim(1), b.size(), sc.ordinal(), clamp, p(y), p(ld));
    }

    @Override public void affineCouplingInverse(Tensor y, Tensor h, Index b, CouplingScale sc, float clamp, Tensor x, Tensor ld) {
        CouplingOps.Checks.affineCouplingInverse(y, h, b, x, ld);
        distinctMask("affineCouplingInverse", b, y);
        affineCouplingInverse(cx.rows(y.dim(0)), p(y), p(h), p(b), y.dim(0), y.dim(1), b.size(), sc.ordinal(), clamp, p(x), p(ld));
    }

    @Override public void affineCouplingBackward(Tensor x, Tensor h, Index b, CouplingScale sc, float clamp,
                                                 Tensor gy, Tensor gLd, Tensor gx, Tensor gh) {
        CouplingOps.Checks.affineCouplingBackward(x, h, b, gy, gLd, gx, gh);
        distinctMask("affineCouplingBackward", b, x);
        affineCouplingBackward(cx.rows(x.dim(0)), p(x), p(h), p(b), x.dim(0), x.dim(1), b.size(), sc.ordinal(), clamp, p(gy), p(gLd), p(gx), p(gh));
    }

    @Override public void additiveCouplingForward(Tensor x, Tensor m, Index b, Tensor y) {
        CouplingOps.Checks.additiveCouplingForward(x, m, b, y);
        distinctMask("additiveCouplingForward", b, x);
        additiveCouplingForward(cx.rows(x.dim(0)), p(x), p(m), p(b), x.dim(0), x.dim(1), b.size(), p(y));
    }

    @Override public void additiveCouplingInverse(Tensor y, Tensor m, Index b, Tensor x) {
        CouplingOps.Checks.additiveCouplingInverse(y, m, b, x);
        distinctMask("additiveCouplingInverse", b, y);
        additiveCouplingInverse(cx.rows(y.dim(0)), p(y), p(m), p(b), y.dim(0), y.dim(1), b.size(), p(x));
    }

    // ------------------------------------------------------------------ typed launchers (kernels/coupling.cu)

    /** {@code affineCouplingForward(float* x, float* h, int* b, int n, int d, int k, int mode, float clamp, float* y, float* ld)} */
    void affineCouplingForward(Launch launch, DeviceAddress x, DeviceAddress h, DeviceAddress b, int n, int d, int k, int mode, float clamp, DeviceAddress y, DeviceAddress ld) {
        cx.go("affineCouplingForward", launch, x, h, b, n, d, k, mode, clamp, y, ld);
    }

    /** {@code affineCouplingInverse(float* y, float* h, int* b, int n, int d, int k, int mode, float clamp, float* x, float* ld)} */
    void affineCouplingInverse(Launch launch, DeviceAddress y, DeviceAddress h, DeviceAddress b, int n, int d, int k, int mode, float clamp, DeviceAddress x, DeviceAddress ld) {
        cx.go("affineCouplingInverse", launch, y, h, b, n, d, k, mode, clamp, x, ld);
    }

    /** {@code affineCouplingBackward(float* x, float* h, int* b, int n, int d, int k, int mode, float clamp, float* gy, float* gLd, float* gx, float* gh)} */
    void affineCouplingBackward(Launch launch, DeviceAddress x, DeviceAddress h, DeviceAddress b, int n, int d, int k, int mode, float clamp, DeviceAddress gy, DeviceAddress gLd, DeviceAddress gx, DeviceAddress gh) {
        cx.go("affineCouplingBackward", launch, x, h, b, n, d, k, mode, clamp, gy, gLd, gx, gh);
    }

    /** {@code additiveCouplingForward(float* x, float* m, int* b, int n, int d, int k, float* y)} */
    void additiveCouplingForward(Launch launch, DeviceAddress x, DeviceAddress m, DeviceAddress b, int n, int d, int k, DeviceAddress y) {
        cx.go("additiveCouplingForward", launch, x, m, b, n, d, k, y);
    }

    /** {@code additiveCouplingInverse(float* y, float* m, int* b, int n, int d, int k, float* x)} */
    void additiveCouplingInverse(Launch launch, DeviceAddress y, DeviceAddress m, DeviceAddress b, int n, int d, int k, DeviceAddress x) {
        cx.go("additiveCouplingInverse", launch, y, m, b, n, d, k, x);
    }

    /** {@code gather(float* x, int* idx, int n, int d, int k, float* out)} */
    void gather(Launch launch, DeviceAddress x, DeviceAddress idx, int n, int d, int k, DeviceAddress out) {
        cx.go("gather", launch, x, idx, n, d, k, out);
    }

    /** {@code scatterAdd(float* src, int* idx, int n, int d, int k, float* dst)} */
    void scatterAdd(Launch launch, DeviceAddress src, DeviceAddress idx, int n, int d, int k, DeviceAddress dst) {
        cx.go("scatterAdd", launch, src, idx, n, d, k, dst);
    }

    /** {@code scatterAddSerial(float* src, int* idx, int n, int d, int k, float* dst)} */
    void scatterAddSerial(Launch launch, DeviceAddress src, DeviceAddress idx, int n, int d, int k, DeviceAddress dst) {
        cx.go("scatterAddSerial", launch, src, idx, n, d, k, dst);
    }
}
