package dev.fluvia.backend.conv;

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

/**
 * The CUDA body of the conv ops ({@link ConvOps}) and the typed launchers of {@code kernels/conv.cu}: one method per
 * {@code extern "C"} kernel, named like it, whose parameters after the leading {@link Launch} mirror the C signature
 * (pointer → {@link DeviceAddress}, {@code int} → int, {@code long long} → long, float, double).
 */
public final class CudaConv implements ConvOps {
    private static final int THREADS = CudaContext.THREADS;
    /** Upper bound of the im2col scratch per chunk of samples. */
    private static final long COL_BYTES = 64L << 20;
    private final CudaContext cx;

    public CudaConv(CudaContext cx) { this.cx = cx; }

    private static int hw(Tensor x) { return dev.fluvia.backend.OpChecks.planeSize(x); }

    private int chunkSamples(long perSampleBytes, int n) {
        return (int) Math.max(1, Math.min(n, COL_BYTES / Math.max(1, perSampleBytes)));
    }

    /** A GEMM extent (cuBLAS takes int): the product of two dims, rejected with a clear message instead of wrapping around. */
    public static int gemmExtent(String what, long v) {
        if (v > Integer.MAX_VALUE) throw new dev.fluvia.FluviaException.ShapeException("conv2d: " + what + " = " + v + " exceeds the int range of a cuBLAS GEMM extent");
        return (int) v;
    }

    @Override public void conv2dForward(Tensor x, Tensor w, Tensor bias, Tensor y) {
        int k = ConvOps.Checks.conv2dForward(x, w, bias, y);
        int n = x.dim(0), ci = x.dim(1), hh = x.dim(2), ww = x.dim(3), co = w.dim(0), hw = gemmExtent("H·W", (long) hh * ww), kk = gemmExtent("C·k·k", (long) ci * k * k);
        cx.makeCurrent();
        if (y.numel() == 0) return;
        conv2dBiasFill(cx.elementwise(y.numel()), p(y), p(bias), n, co, (long) hw);
        if (kk == 0) return;
        long xa = p(x).address(), wa = p(w).address(), ya = p(y).address();
        if (k == 1) {
            for (int r = 0; r < n; r++)
                cx.gemmAt(false, false, co, hw, kk, 1f, wa, xa + 4L * r * ci * hw, 1f, ya + 4L * r * co * hw);
            return;
        }
        int chunk = chunkSamples(4L * kk * hw, n);
        DeviceAddress col = cx.scratch(4L * chunk * kk * hw);
        for (int first = 0; first < n; first += chunk) {
            int cnt = Math.min(chunk, n - first);
            conv2dIm2col(cx.elementwise((long) cnt * kk * hw), p(x), col, first, cnt, ci, hh, ww, k);
            for (int s = 0; s < cnt; s++)
                cx.gemmAt(false, false, co, hw, kk, 1f, wa, col.address() + 4L * s * kk * hw, 1f,
                        ya + 4L * (first + s) * co * hw);
        }
        cx.free(col);
    }

    @Override public void conv2dBackward(Tensor x, Tensor w, Tensor gy, Tensor gx, Tensor gw, Tensor gb) {
        int k = ConvOps.Checks.conv2dBackward(x, w, gy, gx, gw, gb);
        int n = x.dim(0), ci = x.dim(1), hh = x.dim(2), ww = x.dim(3), co = w.dim(0), hw = gemmExtent("H·W", (long) hh * ww), kk = gemmExtent("C·k·k", (long) ci * k * k);
        cx.makeCurrent();
        if (gb != null && co > 0) conv2dBiasGrad(grid(co, 1, THREADS, 0), p(gy), n, co, (long) hw, p(gb));
        if (n == 0 || hw == 0) return;
        if (kk == 0) return;
        long xa = p(x).address(), wa = p(w).address(), gya = p(gy).address(), gwa = p(gw).address();
        if (k == 1) {
            for (int r = 0; r < n; r++) {
                long gyr = gya + 4L * r * co * hw, xr = xa + 4L * r * ci * hw;
                cx.gemmAt(false, true, co, kk, hw, 1f, gyr, xr, 1f, gwa);          // gw += gy_r · x_rᵀ
                if (gx != null)
                    cx.gemmAt(true, false, ci, hw, co, 1f, wa, gyr, 0f, p(gx).address() + 4L * r * ci * hw);
            }
            return;
        }
        int chunk = chunkSamples(8L * kk * hw, n);
        DeviceAddress col = cx.scratch(4L * chunk * kk * hw), gcol = gx == null ? null : cx.scratch(4L * chunk * kk * hw);
        for (int first = 0; first < n; first += chunk) {
            int cnt = Math.min(chunk, n - first);
            conv2dIm2col(cx.elementwise((long) cnt * kk * hw), p(x), col, first, cnt, ci, hh, ww, k);
            for (int s = 0; s < cnt; s++) {
                long gyr = gya + 4L * (first + s) * co * hw;
                cx.gemmAt(false, true, co, kk, hw, 1f, gyr, col.address() + 4L * s * kk * hw, 1f, gwa);
                if (gcol != null)
                    cx.gemmAt(true, false, kk, hw, co, 1f, wa, gyr, 0f, gcol.address() + 4L * s * kk * hw);
            }
            if (gcol != null) conv2dCol2im(cx.elementwise((long) cnt * ci * hw), gcol, p(gx), first, cnt, ci, hh, ww, k);
        }
        cx.free(col);
        if (gcol != null) cx.free(gcol);
    }

    // ------------------------------------------------------------------ typed launchers (kernels/conv.cu)

    /** {@code conv2dIm2col(float* x, float* col, int first, int count, int ci, int hh, int ww, int k)} */
    void conv2dIm2col(Launch launch, DeviceAddress x, DeviceAddress col, int first, int count, int ci, int hh, int ww, int k) {
        cx.go("conv2dIm2col", launch, x, col, first, count, ci, hh, ww, k);
    }

    /** {@code conv2dCol2im(float* gcol, float* gx, int first, int count, int ci, int hh, int ww, int k)} */
    void conv2dCol2im(Launch launch, DeviceAddress gcol, DeviceAddress gx, int first, int count, int ci, int hh, int ww, int k) {
        cx.go("conv2dCol2im", launch, gcol, gx, first, count, ci, hh, ww, k);
    }

    /** {@code conv2dBiasFill(float* y, float* bias, int n, int co, long long hw)} */
    void conv2dBiasFill(Launch launch, DeviceAddress y, DeviceAddress bias, int n, int co, long hw) {
        cx.go("conv2dBiasFill", launch, y, bias, n, co, hw);
    }

    /** {@code conv2dBiasGrad(float* gy, int n, int co, long long hw, float* gb)} */
    void conv2dBiasGrad(Launch launch, DeviceAddress gy, int n, int co, long hw, DeviceAddress gb) {
        cx.go("conv2dBiasGrad", launch, gy, n, co, hw, gb);
    }
}
