// Fluvia CUDA kernels: the elementwise family (dev.fluvia.backend.elementwise) — fill and the BLAS-1 ops.
#include "common.cuh"

/** t[:] = value. */
extern "C" __global__ void fill(float* __restrict__ t, long long count, float value) {
    FLV_FOR(i, count) t[i] = value;
}

/** t *= s. */
extern "C" __global__ void scale(float* __restrict__ t, long long count, float s) {
    FLV_FOR(i, count) t[i] *= s;
}

/** y += a·x. */
extern "C" __global__ void axpy(float a, const float* __restrict__ x, float* __restrict__ y, long long count) {
    FLV_FOR(i, count) y[i] = fmaf(a, x[i], y[i]);
}
