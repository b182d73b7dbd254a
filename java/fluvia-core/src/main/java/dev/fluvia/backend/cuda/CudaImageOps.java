package dev.fluvia.backend.cuda;

import dev.fluvia.backend.Activation;
import dev.fluvia.backend.OpChecks;
import dev.fluvia.cuda.Cublas;
import dev.fluvia.tensor.Tensor;
import java.lang.foreign.MemorySegment;

/**
 * The image ops of the CUDA backend (kernels/image.cu plus cuBLAS), with the shape checks of
 * {@link dev.fluvia.backend.OpChecks} (shared with the CPU backend). Convolution = im2col kernel + one cuBLAS GEMM per sample (the im2col
 * buffer holds a chunk of samples, bounded to {@link #COL_BYTES}); col2im is a gather (no atomics), the bias gradient a
 * fixed-order block sum, and the weight gradient accumulates sample by sample in stream order, so it is deterministic.
 */
final class CudaImageOps {
    private static final int THREADS = CudaRuntime.THREADS;
    /** Upper bound of the im2col scratch per chunk of samples. */
    private static final long COL_BYTES = 64L << 20;

    private final CudaRuntime rt;
    /** The typed kernel launchers. */
    private final Kernels kern;
    private final DeviceAllocator pool;
    private final Cublas cublas;
    private final MemorySegment handle;

    CudaImageOps(CudaRuntime rt, DeviceAllocator pool, Cublas cublas, MemorySegment handle) {
        this.rt = rt;
        this.kern = rt.kernels;
        this.pool = pool;
        this.cublas = cublas;
        this.handle = handle;
    }

    private static DeviceTensor d(Tensor t) { return CudaBackend.d(t); }
    private static DeviceAddress p(Tensor t) { return CudaBackend.p(t); }

    // ------------------------------------------------------------------ view, activation

    Tensor view(Tensor t, int... shape) {
        OpChecks.view(t, shape);
        return new DeviceTensor(d(t), shape);
    }

    void activate(Activation act, Tensor x, Tensor y) {
        OpChecks.activate(x, y);
        kern.activate(kern.elementwise(x.numel()), p(x), p(y), x.numel(), act.ordinal());
    }

    // ------------------------------------------------------------------ convolution

    /** A GEMM extent (cuBLAS takes int): the product of two dims, rejected with a clear message instead of wrapping around. */
    static int gemmExtent(String what, long v) {
        if (v > Integer.MAX_VALUE) throw new dev.fluvia.FluviaException.ShapeException("conv2d: " + what + " = " + v + " exceeds the int range of a cuBLAS GEMM extent");
        return (int) v;
    }

    private int chunkSamples(long perSampleBytes, int n) {
        return (int) Math.max(1, Math.min(n, COL_BYTES / Math.max(1, perSampleBytes)));
    }

    void conv2dForward(Tensor x, Tensor w, Tensor bias, Tensor y) {
        int k = OpChecks.conv2dForward(x, w, bias, y);
        int n = x.dim(0), ci = x.dim(1), hh = x.dim(2), ww = x.dim(3), co = w.dim(0), hw = gemmExtent("H·W", (long) hh * ww), kk = gemmExtent("C·k·k", (long) ci * k * k);
        rt.makeCurrent();
        if (y.numel() == 0) return;
        kern.conv2dBiasFill(kern.elementwise(y.numel()), p(y), p(bias), n, co, (long) hw);
        if (kk == 0) return;
        long xa = d(x).address(), wa = d(w).address(), ya = d(y).address();
        if (k == 1) {
            for (int r = 0; r < n; r++)
                cublas.gemmRowMajor(handle, false, false, co, hw, kk, 1f, wa, xa + 4L * r * ci * hw, 1f, ya + 4L * r * co * hw);
            return;
        }
        int chunk = chunkSamples(4L * kk * hw, n);
        DeviceBlock col = pool.acquire(4L * chunk * kk * hw);
        for (int first = 0; first < n; first += chunk) {
            int cnt = Math.min(chunk, n - first);
            kern.conv2dIm2col(kern.elementwise((long) cnt * kk * hw), p(x), col, first, cnt, ci, hh, ww, k);
            for (int s = 0; s < cnt; s++)
                cublas.gemmRowMajor(handle, false, false, co, hw, kk, 1f, wa, col.address() + 4L * s * kk * hw, 1f,
                        ya + 4L * (first + s) * co * hw);
        }
        pool.release(col);
    }

    void conv2dBackward(Tensor x, Tensor w, Tensor gy, Tensor gx, Tensor gw, Tensor gb) {
        int k = OpChecks.conv2dBackward(x, w, gy, gx, gw, gb);
        int n = x.dim(0), ci = x.dim(1), hh = x.dim(2), ww = x.dim(3), co = w.dim(0), hw = gemmExtent("H·W", (long) hh * ww), kk = gemmExtent("C·k·k", (long) ci * k * k);
        rt.makeCurrent();
        if (gb != null && co > 0) kern.conv2dBiasGrad(Kernels.grid(co, 1, THREADS, 0), p(gy), n, co, (long) hw, p(gb));
        if (n == 0 || hw == 0) return;
        if (kk == 0) return;
        long xa = d(x).address(), wa = d(w).address(), gya = d(gy).address(), gwa = d(gw).address();
        if (k == 1) {
            for (int r = 0; r < n; r++) {
                long gyr = gya + 4L * r * co * hw, xr = xa + 4L * r * ci * hw;
                cublas.gemmRowMajor(handle, false, true, co, kk, hw, 1f, gyr, xr, 1f, gwa);          // gw += gy_r · x_rᵀ
                if (gx != null)
                    cublas.gemmRowMajor(handle, true, false, ci, hw, co, 1f, wa, gyr, 0f, d(gx).address() + 4L * r * ci * hw);
            }
            return;
        }
        int chunk = chunkSamples(8L * kk * hw, n);
        DeviceBlock col = pool.acquire(4L * chunk * kk * hw), gcol = gx == null ? null : pool.acquire(4L * chunk * kk * hw);
        for (int first = 0; first < n; first += chunk) {
            int cnt = Math.min(chunk, n - first);
            kern.conv2dIm2col(kern.elementwise((long) cnt * kk * hw), p(x), col, first, cnt, ci, hh, ww, k);
            for (int s = 0; s < cnt; s++) {
                long gyr = gya + 4L * (first + s) * co * hw;
                cublas.gemmRowMajor(handle, false, true, co, kk, hw, 1f, gyr, col.address() + 4L * s * kk * hw, 1f, gwa);
                if (gcol != null)
                    cublas.gemmRowMajor(handle, true, false, kk, hw, co, 1f, wa, gyr, 0f, gcol.address() + 4L * s * kk * hw);
            }
            if (gcol != null) kern.conv2dCol2im(kern.elementwise((long) cnt * ci * hw), gcol, p(gx), first, cnt, ci, hh, ww, k);
        }
        pool.release(col);
        if (gcol != null) pool.release(gcol);
    }

    // ------------------------------------------------------------------ squeeze and channels

    void squeeze(Tensor x, Tensor y) {
        OpChecks.squeeze(x, y);
        kern.squeezeCopy(kern.elementwise(x.numel()), p(x), p(y), x.dim(0), x.dim(1), x.dim(2), x.dim(3), 1);
    }

    void unsqueeze(Tensor y, Tensor x) {
        OpChecks.unsqueeze(y, x);
        kern.squeezeCopy(kern.elementwise(x.numel()), p(x), p(y), x.dim(0), x.dim(1), x.dim(2), x.dim(3), 0);
    }

    void sliceChannels(Tensor x, int start, Tensor y) {
        OpChecks.sliceChannels(x, start, y);
        kern.channelCopy(kern.elementwise(y.numel()), p(x), p(y), x.dim(0), x.dim(1), y.dim(1), (long) x.dim(2) * x.dim(3), start, 1);
    }

    void placeChannels(Tensor src, int start, Tensor dst) {
        OpChecks.placeChannels(src, start, dst);
        kern.channelCopy(kern.elementwise(src.numel()), p(dst), p(src), dst.dim(0), dst.dim(1), src.dim(1), (long) dst.dim(2) * dst.dim(3), start, 0);
    }

    // ------------------------------------------------------------------ conditional Gaussian, logit

    void logitForward(Tensor x, float lambda, Tensor y, Tensor ld) {
        OpChecks.logitForward(x, lambda, y, ld);
        kern.logitApply(kern.rows(x.rows()), p(x), lambda, x.rows(), x.rowSize(), 0, p(y), p(ld));
    }

    void logitInverse(Tensor y, float lambda, Tensor x, Tensor ld) {
        OpChecks.logitInverse(y, lambda, x, ld);
        kern.logitApply(kern.rows(y.rows()), p(y), lambda, y.rows(), y.rowSize(), 1, p(x), p(ld));
    }

    void logitBackward(Tensor x, float lambda, Tensor gy, Tensor gLd, Tensor gx) {
        OpChecks.logitBackward(x, lambda, gy, gLd, gx);
        kern.logitBackward(kern.elementwise(x.numel()), p(x), lambda, p(gy), p(gLd), x.rows(), x.rowSize(), p(gx));
    }
}
