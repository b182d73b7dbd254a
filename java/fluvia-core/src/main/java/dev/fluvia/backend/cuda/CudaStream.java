package dev.fluvia.backend.cuda;

import jcuda.driver.CUstream;

/** A JCuda stream that exposes its raw CUstream handle (for cublasSetStream / curandSetStream through FFM). */
final class CudaStream extends CUstream {
    long handle() { return getNativePointer(); }
}
