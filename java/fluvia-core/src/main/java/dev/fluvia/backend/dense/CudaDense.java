package dev.fluvia.backend.dense;

import static dev.fluvia.backend.cuda.CudaContext.CHUNK;
import static dev.fluvia.backend.cuda.CudaContext.MAX_GRID_Y;
import static dev.fluvia.backend.cuda.CudaContext.at;
import static dev.fluvia.backend.cuda.CudaContext.chunks;
import static dev.fluvia.backend.cuda.CudaContext.groupRows;
import static dev.fluvia.backend.cuda.CudaContext.inChunkGroups;
import static dev.fluvia.backend.cuda.CudaContext.grid;
import static dev.fluvia.backend.cuda.CudaContext.p;
import static dev.fluvia.tensor.Shapes.require;

import dev.fluvia.backend.cuda.CudaContext;
import dev.fluvia.backend.cuda.DeviceAddress;
import dev.fluvia.backend.cuda.Launch;
import dev.fluvia.tensor.Index;
import dev.fluvia.tensor.Tensor;
import dev.fluvia.backend.Activation;

/**
 * The CUDA body of the dense ops ({@link DenseOps}) and the typed launchers of {@code kernels/dense.cu}: one method per
 * {@code extern "C"} kernel, named like it, whose parameters after the leading {@link Launch} mirror the C signature
 * (pointer → {@link DeviceAddress}, {@code int} → int, {@code long long} → long, float, double).
 */
public final class CudaDense implements DenseOps {
    private static final int THREADS = CudaContext.THREADS;
    private final CudaContext cx;
    private final dev.fluvia.backend.reduce.CudaReduce reduce;

    /** {@code reduce}: the column sums of the bias gradient. */
    public CudaDense(CudaContext cx, dev.fluvia.backend.reduce.CudaReduce reduce) {
        this.cx = cx;
        this.reduce = reduce;
    }

    private static int hw(Tensor x) { return dev.fluvia.backend.OpChecks.planeSize(x); }

    @Override public void gemm(boolean transA, boolean transB, float alpha, Tensor a, Tensor b, float beta, Tensor c) {
        dev.fluvia.backend.OpChecks.GemmDims g = DenseOps.Checks.gemm(transA, transB, a, b, c);
        cx.gemm(transA, transB, g.m(), g.n(), g.k(), alpha, a, b, beta, c);
    }

    @Override public void linearForward(Tensor x, Tensor w, Tensor bias, Activation act, Tensor pre, Tensor y) {
        DenseOps.Checks.linearForward(x, w, bias, pre, y);
        int n = x.dim(0), in = x.dim(1), out = w.dim(0);
        cx.gemm(false, true, n, out, in, 1f, x, w, 0f, y);
        linearForwardEpilogue(cx.elementwise((long) n * out), p(y), p(bias), p(pre), n, out, act.ordinal());
    }

    /**
     * The chain of {@link #linearForward} calls (cuBLAS + the epilogue kernel per layer) and {@link #prefixLinearForward} where
     * a layer has extents, intermediates from the pool.
     */
    @Override public void mlpForward(Tensor x, java.util.List<Tensor> weights, java.util.List<Tensor> biases,
                                     java.util.List<Index> extents, Activation act, Tensor y) {
        DenseOps.Checks.mlpForward(x, weights, biases, extents, y);
        int n = x.dim(0);
        MlpChain.run(this, x, weights, biases, extents, act, y, width -> cx.temporary(n, width), cx::release);
    }

    @Override public void prefixLinearForward(Tensor x, Tensor w, Index extent, Tensor bias, Activation act, Tensor pre, Tensor y) {
        DenseOps.Checks.prefixLinearForward(x, w, extent, bias, pre, y);
        int n = x.dim(0), in = x.dim(1), out = w.dim(0);
        if (n == 0 || out == 0) return;
        prefixLinearForward(cx.elementwise((long) n * out), p(x), p(w), p(extent), p(bias), p(pre), p(y), n, in, out, act.ordinal());
    }

    @Override public void activationBackward(Activation act, Tensor pre, Tensor y, Tensor gy, Tensor gpre) {
        DenseOps.Checks.activationBackward(act, pre, y, gy, gpre);
        activationBackward(cx.elementwise(gy.numel()), p(pre == null ? y : pre), p(y), p(gy), p(gpre), gy.numel(), act.ordinal());
    }

    @Override public void linearBackward(Tensor x, Tensor w, Tensor gpre, Tensor gx, Tensor gw, Tensor gb) {
        DenseOps.Checks.linearBackward(x, w, gpre, gx, gw, gb);
        int n = x.dim(0), in = x.dim(1), out = w.dim(0);
        if (gx != null) {
            cx.gemm(false, false, n, in, out, 1f, gpre, w, 0f, gx);
        }
        cx.gemm(true, false, out, in, n, 1f, gpre, x, 1f, gw);
        if (gb != null) reduce.columnSum(gpre, n, out, gb);
    }

    @Override public void prefixLinearBackward(Tensor x, Tensor w, Index extent, Tensor gpre, Tensor gx, Tensor gw, Tensor gb) {
        DenseOps.Checks.prefixLinearBackward(x, w, extent, gpre, gx, gw, gb);
        int n = x.dim(0), in = x.dim(1), out = w.dim(0);
        if (gx != null && (long) n * in > 0) prefixLinearBackwardInput(cx.elementwise((long) n * in), p(gpre), p(w), p(extent), p(gx), n, in, out);
        if ((long) out * in > 0) prefixLinearBackwardWeight(cx.elementwise((long) out * in), p(gpre), p(x), p(extent), p(gw), n, in, out);
        if (gb != null) reduce.columnSum(gpre, n, out, gb);
    }

    @Override public void applyMask(Tensor w, Tensor mask, Tensor out) {
        DenseOps.Checks.applyMask(w, mask, out);
        applyMask(cx.elementwise(w.numel()), p(w), p(mask), p(out), w.numel());
    }

    @Override public void activate(Activation act, Tensor x, Tensor y) {
        DenseOps.Checks.activate(x, y);
        activate(cx.elementwise(x.numel()), p(x), p(y), x.numel(), act.ordinal());
    }

    // ------------------------------------------------------------------ typed launchers (kernels/dense.cu)

    /** {@code linearForwardEpilogue(float* y, float* bias, float* pre, int n, int out, int act)} */
    void linearForwardEpilogue(Launch launch, DeviceAddress y, DeviceAddress bias, DeviceAddress pre, int n, int out, int act) {
        cx.go("linearForwardEpilogue", launch, y, bias, pre, n, out, act);
    }

    /** {@code prefixLinearForward(float* x, float* w, int* extent, float* bias, float* pre, float* y, int n, int in, int out, int act)} */
    void prefixLinearForward(Launch launch, DeviceAddress x, DeviceAddress w, DeviceAddress extent, DeviceAddress bias, DeviceAddress pre,
                             DeviceAddress y, int n, int in, int out, int act) {
        cx.go("prefixLinearForward", launch, x, w, extent, bias, pre, y, n, in, out, act);
    }

    /** {@code prefixLinearBackwardInput(float* gpre, float* w, int* extent, float* gx, int n, int in, int out)} */
    void prefixLinearBackwardInput(Launch launch, DeviceAddress gpre, DeviceAddress w, DeviceAddress extent, DeviceAddress gx, int n, int in, int out) {
        cx.go("prefixLinearBackwardInput", launch, gpre, w, extent, gx, n, in, out);
    }

    /** {@code prefixLinearBackwardWeight(float* gpre, float* x, int* extent, float* gw, int n, int in, int out)} */
    void prefixLinearBackwardWeight(Launch launch, DeviceAddress gpre, DeviceAddress x, DeviceAddress extent, DeviceAddress gw, int n, int in, int out) {
        cx.go("prefixLinearBackwardWeight", launch, gpre, x, extent, gw, n, in, out);
    }

    /** {@code activationBackward(float* pre, float* y, float* gy, float* gpre, long long count, int act)} */
    void activationBackward(Launch launch, DeviceAddress pre, DeviceAddress y, DeviceAddress gy, DeviceAddress gpre, long count, int act) {
        cx.go("activationBackward", launch, pre, y, gy, gpre, count, act);
    }

    /** {@code applyMask(float* w, float* mask, float* out, long long count)} */
    void applyMask(Launch launch, DeviceAddress w, DeviceAddress mask, DeviceAddress out, long count) {
        cx.go("applyMask", launch, w, mask, out, count);
    }

    /** {@code activate(float* x, float* y, long long n, int act)} */
    void activate(Launch launch, DeviceAddress x, DeviceAddress y, long n, int act) {
        cx.go("activate", launch, x, y, n, act);
    }
}
