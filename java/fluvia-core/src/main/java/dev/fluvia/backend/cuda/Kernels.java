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

    // ------------------------------------------------------------------ kernels/lu.cu

    // ------------------------------------------------------------------ kernels/maf.cu

}
