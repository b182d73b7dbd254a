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

// ---------------------------------------------------------------------------------------------- generic primitives
// The building blocks a new layer can be written with before anyone fuses it (dev.fluvia.backend.elementwise.Unary,
// Binary). Each element is computed in double and rounded once, like the CPU reference.

/** The unary maps, by Unary.ordinal(): LOG, EXP, SOFTPLUS, SIGMOID, TANH, NEG, SQUARE, LOG_SIGMOID. */
__device__ __forceinline__ double flvUnary(int op, double v) {
    switch (op) {
        case 0: return log(v);
        case 1: return exp(v);
        case 2: return fmax(v, 0.0) + log1p(exp(-fabs(v)));
        case 3: return 1.0 / (1.0 + exp(-v));
        case 4: return tanh(v);
        case 5: return -v;
        case 6: return v * v;
        default: return -(fmax(-v, 0.0) + log1p(exp(-fabs(v))));
    }
}

/** The binary maps, by Binary.ordinal(): ADD, SUB, MUL, DIV, MAX, MIN. */
__device__ __forceinline__ double flvBinary(int op, double a, double b) {
    switch (op) {
        case 0: return a + b;
        case 1: return a - b;
        case 2: return a * b;
        case 3: return a / b;
        case 4: return fmax(a, b);
        default: return fmin(a, b);
    }
}

/** y = f(x) element-wise (y may be x). */
extern "C" __global__ void mapUnary(const float* x, float* y, long long count, int op) {
    FLV_FOR(i, count) y[i] = (float) flvUnary(op, (double) x[i]);
}

/**
 * out[r, c] = a[r, c] ∘ b[.] over a [rows, cols] view (out may be a): bmode 0 b[r, c] (same shape), 1 b[c] (a row vector
 * broadcast over the rows), 2 b[r] (a column vector broadcast over the columns).
 */
extern "C" __global__ void mapBinary(const float* a, const float* b, float* out, int rows, int cols, int bmode, int op) {
    FLV_FOR(i, (long long) rows * cols) {
        long long bi = bmode == 0 ? i : bmode == 1 ? i % cols : i / cols;
        out[i] = (float) flvBinary(op, (double) a[i], (double) b[bi]);
    }
}

/** out[r] = Σ_c x[r, c] (overwritten; warp per row, double). */
extern "C" __global__ void rowSum(const float* __restrict__ x, int n, int d, float* __restrict__ out) {
    int lane = threadIdx.x & (FLV_WARP - 1);
    FLV_FOR_ROWS_BY_WARP(r, n) {
        double s = 0.0;
        for (int j = lane; j < d; j += FLV_WARP) s += x[(long long) r * d + j];
        s = flvWarpSum(s);
        if (lane == 0) out[r] = (float) s;
    }
}

/** out[r] = log Σ_c exp(x[r, c]) (overwritten; warp per row, double, shifted by the row maximum). */
extern "C" __global__ void rowLogSumExp(const float* __restrict__ x, int n, int d, float* __restrict__ out) {
    int lane = threadIdx.x & (FLV_WARP - 1);
    FLV_FOR_ROWS_BY_WARP(r, n) {
        double m = -INFINITY;
        for (int j = lane; j < d; j += FLV_WARP) m = fmax(m, (double) x[(long long) r * d + j]);
        for (int o = FLV_WARP / 2; o > 0; o /= 2) m = fmax(m, __shfl_xor_sync(FLV_FULL_MASK, m, o));
        double s = 0.0;
        if (m != -INFINITY) for (int j = lane; j < d; j += FLV_WARP) s += exp((double) x[(long long) r * d + j] - m);
        s = flvWarpSum(s);
        if (lane == 0) out[r] = (float) (m == -INFINITY ? -INFINITY : m + log(s));
    }
}
