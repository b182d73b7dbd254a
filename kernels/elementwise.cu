// Fluvia CUDA kernels: element-wise ops, reductions, base-distribution log-probs and fused optimizers.
// Sections: dense epilogues | masks and BLAS-1 | column reductions | flat reductions | log-det constant terms |
//           base distributions | optimizers.
#include "common.cuh"

#define LOG_2PI 1.8378770664093453  // log(2π)
#define COLUMN_CHUNK 64             // rows per column-reduction partial

// ---------------------------------------------------------------------------------------------- dense epilogues

/** linearForward epilogue after the cuBLAS GEMM y = x·wᵀ: a = y + bias; pre = a (pre may be null); y = act(a). */
extern "C" __global__ void linearForwardEpilogue(float* y, const float* __restrict__ bias, float* pre, int n, int out, int act) {
    FLV_FOR(i, (long long) n * out) {
        float a = y[i] + (bias == nullptr ? 0.f : bias[i % out]);
        if (pre != nullptr) pre[i] = a;
        y[i] = flvActivate(act, a);
    }
}

/** gpre = gy ⊙ act'(pre, y); pre may equal y (identity, relu, tanh need only y), gpre may equal gy. */
extern "C" __global__ void activationBackward(const float* pre, const float* y, const float* gy, float* gpre, long long count, int act) {
    FLV_FOR(i, count) gpre[i] = gy[i] * flvActivationDerivative(act, pre[i], y[i]);
}

// ---------------------------------------------------------------------------------------------- masks and BLAS-1

/** out = w ⊙ mask (out may be w). */
extern "C" __global__ void applyMask(const float* w, const float* __restrict__ mask, float* out, long long count) {
    FLV_FOR(i, count) out[i] = w[i] * mask[i];
}

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

// ---------------------------------------------------------------------------------------------- column reductions

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

// ---------------------------------------------------------------------------------------------- flat reductions

#define REDUCE_SUM 0
#define REDUCE_SUM_SQUARES 1
#define REDUCE_NON_FINITE 2

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

// ---------------------------------------------------------------------------------------------- log-det constant terms

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

// ---------------------------------------------------------------------------------------------- base distributions

/** out[r] += −½‖z_r‖² − (D/2)·log 2π (warp per row, double). */
extern "C" __global__ void stdNormalLogProb(const float* __restrict__ z, int n, int d, float* out) {
    int lane = threadIdx.x & (FLV_WARP - 1);
    FLV_FOR_ROWS_BY_WARP(r, n) {
        double s = 0.0;
        for (int j = lane; j < d; j += FLV_WARP) { double v = z[r * d + j]; s += v * v; }
        s = flvWarpSum(s);
        if (lane == 0) out[r] = (float) ((double) out[r] + (-0.5 * s - 0.5 * d * LOG_2PI));
    }
}

/** gz = −z·gOut[r]. */
extern "C" __global__ void stdNormalLogProbBackward(const float* __restrict__ z, const float* __restrict__ gOut, int n, int d, float* __restrict__ gz) {
    FLV_FOR(i, (long long) n * d) gz[i] = -z[i] * gOut[i / d];
}

/** out[r] += Σ_j −½((z−μ_j)/σ_j)² − log σ_j − ½ log 2π, σ = exp(logSigma) (warp per row, double). */
extern "C" __global__ void diagNormalLogProb(const float* __restrict__ z, const float* __restrict__ mu, const float* __restrict__ logSigma,
                                             int n, int d, float* out) {
    int lane = threadIdx.x & (FLV_WARP - 1);
    FLV_FOR_ROWS_BY_WARP(r, n) {
        double s = 0.0;
        for (int j = lane; j < d; j += FLV_WARP) {
            double ls = logSigma[j], u = ((double) z[r * d + j] - mu[j]) * exp(-ls);
            s += -0.5 * u * u - ls - 0.5 * LOG_2PI;
        }
        s = flvWarpSum(s);
        if (lane == 0) out[r] = (float) ((double) out[r] + s);
    }
}

/**
 * Stage 1 of diagNormalLogProbBackward: grid (ceil(D/blockDim), chunks), thread = element j of a sample.
 * gz = −u/σ·gOut (gz may be null); part [2][chunks][D]: Σ u/σ·gOut (→ gmu) and Σ (u² − 1)·gOut (→ glogSigma).
 * Stage 2 is columnSumAccumulate on each half.
 */
extern "C" __global__ void diagNormalLogProbBackwardPartials(const float* __restrict__ z, const float* __restrict__ mu,
                                                            const float* __restrict__ logSigma, const float* __restrict__ gOut,
                                                            int n, int d, float* __restrict__ gz, double* __restrict__ part) {
    int j = blockIdx.x * blockDim.x + threadIdx.x, chunk = blockIdx.y, chunks = gridDim.y;
    if (j >= d) return;
    int lo = chunk * COLUMN_CHUNK, hi = min(n, lo + COLUMN_CHUNK);
    double inv = exp(-(double) logSigma[j]), m = mu[j], smu = 0.0, sls = 0.0;
    for (int r = lo; r < hi; r++) {
        double g = gOut[r], u = ((double) z[(long long) r * d + j] - m) * inv;
        if (gz != nullptr) gz[(long long) r * d + j] = (float) (-u * inv * g);
        smu += u * inv * g;
        sls += (u * u - 1.0) * g;
    }
    part[(long long) chunk * d + j] = smu;
    part[(long long) chunks * d + (long long) chunk * d + j] = sls;
}

// ---------------------------------------------------------------------------------------------- optimizers

/** Adam with bias correction (bc1 = 1 − β1^t, bc2 = 1 − β2^t) and decoupled weight decay, fused. */
extern "C" __global__ void adamUpdate(float* __restrict__ p, const float* __restrict__ g, float* __restrict__ m, float* __restrict__ v,
                                      long long count, float lr, float beta1, float beta2, float eps, float weightDecay,
                                      double bc1, double bc2) {
    FLV_FOR(i, count) {
        float gi = g[i];
        float mi = beta1 * m[i] + (1.f - beta1) * gi;
        float vi = beta2 * v[i] + (1.f - beta2) * gi * gi;
        m[i] = mi;
        v[i] = vi;
        double upd = (mi / bc1) / (sqrt(vi / bc2) + eps);
        float pi = p[i];
        p[i] = (float) (pi - lr * (upd + weightDecay * pi));
    }
}

/** Adamax: m = β1·m + (1−β1)·g, u = max(β2·u, |g|), p −= lr/bc1·m/(u + eps). */
extern "C" __global__ void adamaxUpdate(float* __restrict__ p, const float* __restrict__ g, float* __restrict__ m, float* __restrict__ u,
                                        long long count, float lr, float beta1, float beta2, float eps, double bc1) {
    FLV_FOR(i, count) {
        float gi = g[i];
        float mi = beta1 * m[i] + (1.f - beta1) * gi;
        float ui = fmaxf(beta2 * u[i], fabsf(gi));
        m[i] = mi;
        u[i] = ui;
        p[i] = (float) (p[i] - lr / bc1 * mi / (ui + eps));
    }
}
