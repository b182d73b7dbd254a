// Planted faults for the emulator's self-test (native/emu/tests): kernels that a GPU would punish.
// Each must be reported by the emulator, naming the kernel and the source line; none may hang.
#include "common.cuh"

/** Threads of odd index return before the barrier: a divergent __syncthreads. */
extern "C" __global__ void plantedDivergentBarrier(float* out) {
    if (threadIdx.x % 2) return;
    __syncthreads();
    out[threadIdx.x] = 1.f;
}

/** Two halves of the block wait at different __syncthreads. */
extern "C" __global__ void plantedMismatchedBarrier(float* out) {
    if (threadIdx.x < 64) {
        __syncthreads();
    } else {
        __syncthreads();
    }
    out[threadIdx.x] = 1.f;
}

/** Lane 31 exits before the warp sum, which names all 32 lanes. */
extern "C" __global__ void plantedShuffleExitedLane(double* out) {
    if ((threadIdx.x & 31) == 31) return;
    double v = flvWarpSum(1.0);
    out[threadIdx.x] = v;
}

/** Warp 0 waits at a barrier while warp 1's lanes wait in a shuffle for a lane that waits at the barrier. */
extern "C" __global__ void plantedDeadlock(double* out) {
    if (threadIdx.x == 32) __syncthreads();
    else if (threadIdx.x > 32) out[threadIdx.x] = flvWarpSum(1.0);
    else __syncthreads();
}

/** Writes one double past the dynamic shared memory it was given (n doubles). */
extern "C" __global__ void plantedSharedOverflow(double* out, int n) {
    extern __shared__ double wsh[];
    for (int i = threadIdx.x; i <= n; i += blockDim.x) wsh[i] = i;
    __syncthreads();
    if (threadIdx.x == 0) out[0] = wsh[0];
}

/** Reads one double past the dynamic shared memory it was given (n doubles). */
extern "C" __global__ void plantedSharedOverread(double* out, int n) {
    extern __shared__ double wsh[];
    for (int i = threadIdx.x; i < n; i += blockDim.x) wsh[i] = i;
    __syncthreads();
    if (threadIdx.x == 0) out[0] = wsh[n];
}

/** Reads one float past the end of its input (the loop runs to i <= n). */
extern "C" __global__ void plantedGlobalOverread(const float* x, long long n, float* out) {
    double s = 0.0;
    for (long long i = threadIdx.x; i <= n; i += blockDim.x) s += x[i];
    out[threadIdx.x] = (float) s;
}

/** A kernel with __launch_bounds__(128) launched with more threads. */
extern "C" __global__ void __launch_bounds__(128) plantedBounded(float* out) { out[threadIdx.x] = 1.f; }

/** The correct counterpart: every thread reaches every barrier, full warps shuffle. */
extern "C" __global__ void plantedCorrect(double* out) {
    __shared__ double scratch[33];
    double v = flvBlockSum((double) threadIdx.x, scratch);
    out[threadIdx.x] = v + __shfl_sync(FLV_FULL_MASK, (double) threadIdx.x, 3) + __shfl_down_sync(FLV_FULL_MASK, 1.0, 16);
}
