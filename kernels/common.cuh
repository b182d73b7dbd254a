// Fluvia CUDA kernels: shared helpers (included by every kernel family).
//
// Conventions (all kernels):
//  * float32 tensors, row-major, as in backend/Backend.java; indices are int32.
//  * Every kernel is extern "C" with the name of the Backend op it implements (llm.c style), so that
//    cuModuleGetFunction finds it by that name; helper stages carry a suffix (…Partials, …Finalize).
//  * Reductions are deterministic: each thread owns a fixed set of elements, a block combines its threads in
//    a fixed tree (warp shuffles, then one warp over the per-warp results), and reductions across blocks write
//    per-block partials that a second kernel sums in block order. No floating-point atomics anywhere.
//  * Per-sample log-det sums and every reduction accumulate in double (cheap on sm_80/sm_90, where FP64 runs at
//    half the FP32 rate; on sm_86/sm_89 it is slower but these sums are a small part of a step).
#pragma once

#define FLV_WARP 32
#define FLV_FULL_MASK 0xffffffffu

// Activation ids: the ordinals of dev.fluvia.backend.Activation.
#define ACT_IDENTITY 0
#define ACT_RELU 1
#define ACT_TANH 2
#define ACT_ELU 3
#define ACT_SILU 4

__device__ __forceinline__ float flvActivate(int act, float a) {
    switch (act) {
        case ACT_RELU: return a > 0.f ? a : 0.f;
        case ACT_TANH: return tanhf(a);
        case ACT_ELU: return a > 0.f ? a : expm1f(a);
        case ACT_SILU: return a / (1.0f + expf(-a));
        default: return a;
    }
}

/** dy/da given pre-activation a and output y (same formulas as Activation.derivative). */
__device__ __forceinline__ float flvActivationDerivative(int act, float a, float y) {
    switch (act) {
        case ACT_RELU: return a > 0.f ? 1.f : 0.f;
        case ACT_TANH: return 1.f - y * y;
        case ACT_ELU: return a > 0.f ? 1.f : y + 1.f;
        case ACT_SILU: {
            double s = 1.0 / (1.0 + exp(-(double) a));
            return (float) (s * (1.0 + a * (1.0 - s)));
        }
        default: return 1.f;
    }
}

/** Sum over the warp in a fixed butterfly order; every lane gets the result. */
__device__ __forceinline__ double flvWarpSum(double v) {
    for (int o = FLV_WARP / 2; o > 0; o >>= 1) v += __shfl_xor_sync(FLV_FULL_MASK, v, o);
    return v;
}

/**
 * Sum over the block (blockDim.x a multiple of 32, at most 1024) in a fixed order; every thread gets the result.
 * scratch: at least 33 doubles of shared memory. Contains __syncthreads(): call from uniform control flow.
 */
__device__ __forceinline__ double flvBlockSum(double v, double* scratch) {
    int lane = threadIdx.x & (FLV_WARP - 1), warp = threadIdx.x / FLV_WARP, warps = blockDim.x / FLV_WARP;
    v = flvWarpSum(v);
    __syncthreads();  // scratch may still be read by a previous call
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    if (warp == 0) {
        double w = lane < warps ? scratch[lane] : 0.0;
        w = flvWarpSum(w);
        if (lane == 0) scratch[32] = w;
    }
    __syncthreads();
    return scratch[32];
}

/** Grid-stride loop over [0, n) with 64-bit indices. */
#define FLV_FOR(i, n) for (long long i = (long long) blockIdx.x * blockDim.x + threadIdx.x; i < (long long) (n); \
                           i += (long long) gridDim.x * blockDim.x)

/** Warp-per-row loop: r runs over the rows this warp owns (uniform across the warp). */
#define FLV_FOR_ROWS_BY_WARP(r, n) for (long long r = (long long) blockIdx.x * (blockDim.x / FLV_WARP) + threadIdx.x / FLV_WARP; \
                                        r < (long long) (n); r += (long long) gridDim.x * (blockDim.x / FLV_WARP))
