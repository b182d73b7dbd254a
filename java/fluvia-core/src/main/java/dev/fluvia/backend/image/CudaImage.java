package dev.fluvia.backend.image;

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
 * The CUDA body of the image ops ({@link ImageOps}) and the typed launchers of {@code kernels/image.cu}: one method per
 * {@code extern "C"} kernel, named like it, whose parameters after the leading {@link Launch} mirror the C signature
 * (pointer → {@link DeviceAddress}, {@code int} → int, {@code long long} → long, float, double).
 */
public final class CudaImage implements ImageOps {
    private static final int THREADS = CudaContext.THREADS;
    private final CudaContext cx;

    public CudaImage(CudaContext cx) { this.cx = cx; }

    private static int hw(Tensor x) { return dev.fluvia.backend.OpChecks.planeSize(x); }

    @Override public void squeeze(Tensor x, Tensor y) {
        ImageOps.Checks.squeeze(x, y);
        squeezeCopy(cx.elementwise(x.numel()), p(x), p(y), x.dim(0), x.dim(1), x.dim(2), x.dim(3), 1);
    }

    @Override public void unsqueeze(Tensor y, Tensor x) {
        ImageOps.Checks.unsqueeze(y, x);
        squeezeCopy(cx.elementwise(x.numel()), p(x), p(y), x.dim(0), x.dim(1), x.dim(2), x.dim(3), 0);
    }

    @Override public void sliceChannels(Tensor x, int start, Tensor y) {
        ImageOps.Checks.sliceChannels(x, start, y);
        channelCopy(cx.elementwise(y.numel()), p(x), p(y), x.dim(0), x.dim(1), y.dim(1), (long) x.dim(2) * x.dim(3), start, 1);
    }

    @Override public void placeChannels(Tensor src, int start, Tensor dst) {
        ImageOps.Checks.placeChannels(src, start, dst);
        channelCopy(cx.elementwise(src.numel()), p(dst), p(src), dst.dim(0), dst.dim(1), src.dim(1), (long) dst.dim(2) * dst.dim(3), start, 0);
    }

    @Override public void logitForward(Tensor x, float lambda, Tensor y, Tensor ld) {
        ImageOps.Checks.logitForward(x, lambda, y, ld);
        logitApply(cx.rows(x.rows()), p(x), lambda, x.rows(), x.rowSize(), 0, p(y), p(ld));
    }

    @Override public void logitInverse(Tensor y, float lambda, Tensor x, Tensor ld) {
        ImageOps.Checks.logitInverse(y, lambda, x, ld);
        logitApply(cx.rows(y.rows()), p(y), lambda, y.rows(), y.rowSize(), 1, p(x), p(ld));
    }

    @Override public void logitBackward(Tensor x, float lambda, Tensor gy, Tensor gLd, Tensor gx) {
        ImageOps.Checks.logitBackward(x, lambda, gy, gLd, gx);
        logitBackward(cx.elementwise(x.numel()), p(x), lambda, p(gy), p(gLd), x.rows(), x.rowSize(), p(gx));
    }

    // ------------------------------------------------------------------ typed launchers (kernels/image.cu)

    /** {@code squeezeCopy(float* x, float* y, int n, int c, int hh, int ww, int dir)} */
    void squeezeCopy(Launch launch, DeviceAddress x, DeviceAddress y, int n, int c, int hh, int ww, int dir) {
        cx.go("squeezeCopy", launch, x, y, n, c, hh, ww, dir);
    }

    /** {@code channelCopy(float* full, float* part, int n, int c, int cp, long long hw, int start, int toPart)} */
    void channelCopy(Launch launch, DeviceAddress full, DeviceAddress part, int n, int c, int cp, long hw, int start, int toPart) {
        cx.go("channelCopy", launch, full, part, n, c, cp, hw, start, toPart);
    }

    /** {@code logitApply(float* in, float lambda, int n, int d, int inverse, float* out, float* ld)} */
    void logitApply(Launch launch, DeviceAddress in, float lambda, int n, int d, int inverse, DeviceAddress out, DeviceAddress ld) {
        cx.go("logitApply", launch, in, lambda, n, d, inverse, out, ld);
    }

    /** {@code logitBackward(float* x, float lambda, float* gy, float* gLd, int n, int d, float* gx)} */
    void logitBackward(Launch launch, DeviceAddress x, float lambda, DeviceAddress gy, DeviceAddress gLd, int n, int d, DeviceAddress gx) {
        cx.go("logitBackward", launch, x, lambda, gy, gLd, n, d, gx);
    }
}
