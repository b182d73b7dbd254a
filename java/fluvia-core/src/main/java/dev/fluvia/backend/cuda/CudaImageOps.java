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

    // ------------------------------------------------------------------ convolution

    // ------------------------------------------------------------------ squeeze and channels

    // ------------------------------------------------------------------ conditional Gaussian, logit

}
