package dev.fluvia.backend.cuda;

/**
 * The typed CUDA launchers: one method per {@code extern "C" __global__} kernel of kernels/*.cu, named like the kernel,
 * whose parameters mirror the C signature in order and in type (a device pointer is a {@link DeviceAddress}, {@code int} is
 * {@code int}, {@code long long} is {@code long}, {@code float} is {@code float}, {@code double} is {@code double}),
 * after a leading {@link Launch} (the launch geometry). These are the only callers of {@link CudaRuntime#launch} by name;
 * a null pointer argument becomes a null device pointer. TypedLaunchersTest compares every method with the parsed
 * {@code .cu} signatures, so a launcher that drifts from its kernel fails the CPU suite.
 *
 * <p>Adding a kernel: write it in kernels/&lt;family&gt;.cu and add its launcher here, in the section of its file.
 */
final class Kernels {
    private final CudaRuntime rt;

    Kernels(CudaRuntime rt) { this.rt = rt; }

    /** An explicit grid (the caller has made the context current). */
    static Launch grid(int gridX, int gridY, int block, int sharedBytes) { return new Launch(gridX, gridY, block, sharedBytes); }

    /** A grid-stride element-wise launch over {@code count} elements ({@link Launch#NONE} when there are none). */
    Launch elementwise(long count) { return rt.elementwise(count); }

    /** A warp-per-row launch over {@code rows} rows ({@link Launch#NONE} when there are none). */
    Launch rows(long rows) { return rt.rows(rows); }

    private void go(String kernel, Launch g, Object... args) { rt.launch(kernel, g, args); }

    // ------------------------------------------------------------------ kernels/actnorm.cu

    // ------------------------------------------------------------------ kernels/coupling.cu

    // ------------------------------------------------------------------ kernels/elementwise.cu

    /** {@code linearForwardEpilogue(float* y, float* bias, float* pre, int n, int out, int act)} */
    void linearForwardEpilogue(Launch launch, DeviceAddress y, DeviceAddress bias, DeviceAddress pre, int n, int out, int act) {
        go("linearForwardEpilogue", launch, y, bias, pre, n, out, act);
    }

    /** {@code activationBackward(float* pre, float* y, float* gy, float* gpre, long long count, int act)} */
    void activationBackward(Launch launch, DeviceAddress pre, DeviceAddress y, DeviceAddress gy, DeviceAddress gpre, long count, int act) {
        go("activationBackward", launch, pre, y, gy, gpre, count, act);
    }

    /** {@code applyMask(float* w, float* mask, float* out, long long count)} */
    void applyMask(Launch launch, DeviceAddress w, DeviceAddress mask, DeviceAddress out, long count) {
        go("applyMask", launch, w, mask, out, count);
    }

    /** {@code fill(float* t, long long count, float value)} */
    void fill(Launch launch, DeviceAddress t, long count, float value) {
        go("fill", launch, t, count, value);
    }

    /** {@code scale(float* t, long long count, float s)} */
    void scale(Launch launch, DeviceAddress t, long count, float s) {
        go("scale", launch, t, count, s);
    }

    /** {@code axpy(float a, float* x, float* y, long long count)} */
    void axpy(Launch launch, float a, DeviceAddress x, DeviceAddress y, long count) {
        go("axpy", launch, a, x, y, count);
    }

    // ------------------------------------------------------------------ kernels/image.cu

    /** {@code activate(float* x, float* y, long long n, int act)} */
    void activate(Launch launch, DeviceAddress x, DeviceAddress y, long n, int act) {
        go("activate", launch, x, y, n, act);
    }

    /** {@code conv2dIm2col(float* x, float* col, int first, int count, int ci, int hh, int ww, int k)} */
    void conv2dIm2col(Launch launch, DeviceAddress x, DeviceAddress col, int first, int count, int ci, int hh, int ww, int k) {
        go("conv2dIm2col", launch, x, col, first, count, ci, hh, ww, k);
    }

    /** {@code conv2dCol2im(float* gcol, float* gx, int first, int count, int ci, int hh, int ww, int k)} */
    void conv2dCol2im(Launch launch, DeviceAddress gcol, DeviceAddress gx, int first, int count, int ci, int hh, int ww, int k) {
        go("conv2dCol2im", launch, gcol, gx, first, count, ci, hh, ww, k);
    }

    /** {@code conv2dBiasFill(float* y, float* bias, int n, int co, long long hw)} */
    void conv2dBiasFill(Launch launch, DeviceAddress y, DeviceAddress bias, int n, int co, long hw) {
        go("conv2dBiasFill", launch, y, bias, n, co, hw);
    }

    /** {@code conv2dBiasGrad(float* gy, int n, int co, long long hw, float* gb)} */
    void conv2dBiasGrad(Launch launch, DeviceAddress gy, int n, int co, long hw, DeviceAddress gb) {
        go("conv2dBiasGrad", launch, gy, n, co, hw, gb);
    }

    /** {@code squeezeCopy(float* x, float* y, int n, int c, int hh, int ww, int dir)} */
    void squeezeCopy(Launch launch, DeviceAddress x, DeviceAddress y, int n, int c, int hh, int ww, int dir) {
        go("squeezeCopy", launch, x, y, n, c, hh, ww, dir);
    }

    /** {@code channelCopy(float* full, float* part, int n, int c, int cp, long long hw, int start, int toPart)} */
    void channelCopy(Launch launch, DeviceAddress full, DeviceAddress part, int n, int c, int cp, long hw, int start, int toPart) {
        go("channelCopy", launch, full, part, n, c, cp, hw, start, toPart);
    }

    /** {@code logitApply(float* in, float lambda, int n, int d, int inverse, float* out, float* ld)} */
    void logitApply(Launch launch, DeviceAddress in, float lambda, int n, int d, int inverse, DeviceAddress out, DeviceAddress ld) {
        go("logitApply", launch, in, lambda, n, d, inverse, out, ld);
    }

    /** {@code logitBackward(float* x, float lambda, float* gy, float* gLd, int n, int d, float* gx)} */
    void logitBackward(Launch launch, DeviceAddress x, float lambda, DeviceAddress gy, DeviceAddress gLd, int n, int d, DeviceAddress gx) {
        go("logitBackward", launch, x, lambda, gy, gLd, n, d, gx);
    }

    // ------------------------------------------------------------------ kernels/lu.cu

    // ------------------------------------------------------------------ kernels/maf.cu

}
