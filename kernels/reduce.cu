// Fluvia CUDA kernels: the reduce family (dev.fluvia.backend.reduce) — deterministic two-stage reductions (fixed-order
// per-block or per-chunk partials in double, then a fixed-order finalize), column sums, and the parameter-only log-det terms.
#include "common.cuh"

#ifndef COLUMN_CHUNK
#define COLUMN_CHUNK 64             // rows per column-reduction partial
#endif

#define REDUCE_SUM 0
#define REDUCE_SUM_SQUARES 1
#define REDUCE_NON_FINITE 2

/**
 * Stage 1 of dst[c] += Σ_rows a[r, c] (the bias gradient of linearBackward): grid (ceil(cols/blockDim), chunks),
 * thread = column, loops the chunk's COLUMN_CHUNK rows (coalesced); part [chunks][cols].
 */
extern "C" __global__ void columnSumPartials(const float* __restrict__ a, int n, int cols, double* __restrict__ part) {
    int col = blockIdx.x * blockDim.x + threadIdx.x, chunk = blockIdx.y;
    if (col >= cols) return;
    int lo = chunk * COLUMN_CHUNK, hi = min(n, lo + COLUMN_CHUNK);
    double s = 0.0;
    for (int r = lo; r < hi; r++) s += a[(long long) r * cols + col];
    part[(long long) chunk * cols + col] = s;
}

/** Stage 2: thread = column; dst[c] += Σ_chunks part[chunk][c] in chunk order. */
extern "C" __global__ void columnSumAccumulate(const double* __restrict__ part, int chunks, int cols, float* dst) {
    int col = blockIdx.x * blockDim.x + threadIdx.x;
    if (col >= cols) return;
    double s = 0.0;
    for (int q = 0; q < chunks; q++) s += part[(long long) q * cols + col];
    dst[col] = (float) ((double) dst[col] + s);
}

/**
 * Stage 1 of sum / sumSquares / allFinite: a fixed grid (the host always launches the same block count for a size),
 * each thread grid-strides over its elements, the block sums in a fixed tree; part[block] (double).
 * REDUCE_NON_FINITE counts the elements that are NaN or ±∞.
 */
extern "C" __global__ void sumPartials(const float* __restrict__ a, long long count, int mode, double* __restrict__ part) {
    __shared__ double scratch[33];
    double s = 0.0;
    FLV_FOR(i, count) {
        float v = a[i];
        s += mode == REDUCE_SUM ? (double) v : mode == REDUCE_SUM_SQUARES ? (double) v * v : (isfinite(v) ? 0.0 : 1.0);
    }
    s = flvBlockSum(s, scratch);
    if (threadIdx.x == 0) part[blockIdx.x] = s;
}

/** Stage 2 (one block): out[0] = Σ part in a fixed order. */
extern "C" __global__ void sumFinalize(const double* __restrict__ part, int count, double* __restrict__ out) {
    __shared__ double scratch[33];
    double s = 0.0;
    for (int i = threadIdx.x; i < count; i += blockDim.x) s += part[i];
    s = flvBlockSum(s, scratch);
    if (threadIdx.x == 0) out[0] = s;
}

/** ld[r] += mult·Σ_i v_i for every r; every block sums v itself (v is a small parameter vector), in double. */
extern "C" __global__ void addScaledSum(float* ld, int n, const float* __restrict__ v, int len, float mult) {
    __shared__ double scratch[33];
    double s = 0.0;
    for (int i = threadIdx.x; i < len; i += blockDim.x) s += v[i];
    s = (double) mult * flvBlockSum(s, scratch);
    FLV_FOR(r, n) ld[r] = (float) ((double) ld[r] + s);
}

/** g_i += mult·Σ_r gLd_r for every i (backward of addScaledSum). */
extern "C" __global__ void addScaledTotal(float* g, long long count, const float* __restrict__ gLd, int n, float mult) {
    __shared__ double scratch[33];
    double s = 0.0;
    for (int i = threadIdx.x; i < n; i += blockDim.x) s += gLd[i];
    s = (double) mult * flvBlockSum(s, scratch);
    FLV_FOR(i, count) g[i] = (float) ((double) g[i] + s);
}

// Slots of the training step's status (dev.fluvia.backend.reduce.StepStatus): float64 values kept on the device.
#define STEP_LOSS 2
#define STEP_BAD 3
#define STEP_SQ 4
#define STEP_SCALE 5
#define STEP_SKIP 6

/** Stage 2 of a sum into a step-status slot (one block): out[0] = (Σ part in a fixed order) / divisor. */
extern "C" __global__ void sumInto(const double* __restrict__ part, int count, double divisor, double* __restrict__ out) {
    __shared__ double scratch[33];
    double s = 0.0;
    for (int i = threadIdx.x; i < count; i += blockDim.x) s += part[i];
    s = flvBlockSum(s, scratch);
    if (threadIdx.x == 0) out[0] = s / divisor;
}

/**
 * One thread: the step's skip flag (non-finite loss or gradient) and global-norm clip factor, exactly the host rule of
 * GradClip.scaleTo: scale = (float)(maxNorm/‖g‖) when maxNorm > 0 and the finite ‖g‖ = √Σg² exceeds it, else 1.
 */
extern "C" __global__ void clipScale(double* st, double maxNorm) {
    if (blockIdx.x != 0 || threadIdx.x != 0) return;
    bool skip = !isfinite(st[STEP_LOSS]) || st[STEP_BAD] != 0.0;
    double norm = sqrt(st[STEP_SQ]);
    st[STEP_SKIP] = skip ? 1.0 : 0.0;
    st[STEP_SCALE] = (!skip && maxNorm > 0.0 && norm > maxNorm && isfinite(norm)) ? (double) (float) (maxNorm / norm) : 1.0;
}
