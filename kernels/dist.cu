// Fluvia CUDA kernels: the dist family (dev.fluvia.backend.dist) — base-distribution log-densities and their backwards
// (standard, diagonal and per-element conditional Gaussians) and sampling the conditional prior.
#include "common.cuh"

#ifndef LOG_2PI
#define LOG_2PI 1.8378770664093453  // log(2π)
#endif
#ifndef COLUMN_CHUNK
#define COLUMN_CHUNK 64             // rows per column-reduction partial
#endif
#ifndef FLV_LOG_2PI
#define FLV_LOG_2PI 1.8378770664093454835606594728112
#endif

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

/** out[r] += Σ_j −½((z−μ)/σ)² − log σ − ½ log 2π with per-element μ, log σ (warp per row, double). */
extern "C" __global__ void condNormalLogProb(const float* __restrict__ z, const float* __restrict__ mu, const float* __restrict__ logSigma,
                                             int n, int d, float* out) {
    int lane = threadIdx.x & (FLV_WARP - 1);
    FLV_FOR_ROWS_BY_WARP(r, n) {
        double s = 0.0;
        for (int j = lane; j < d; j += FLV_WARP) {
            long long i = r * d + j;
            double ls = logSigma[i], u = ((double) z[i] - mu[i]) * exp(-ls);
            s += -0.5 * u * u - ls - 0.5 * FLV_LOG_2PI;
        }
        s = flvWarpSum(s);
        if (lane == 0) out[r] = (float) ((double) out[r] + s);
    }
}

/** gz = −u/σ·g (gz may be null), gmu = u/σ·g, glogSigma = (u² − 1)·g, all overwritten; u = (z − μ)/σ, g = gOut[r]. */
extern "C" __global__ void condNormalLogProbBackward(const float* __restrict__ z, const float* __restrict__ mu,
                                                     const float* __restrict__ logSigma, const float* __restrict__ gOut, int n, int d,
                                                     float* __restrict__ gz, float* __restrict__ gmu, float* __restrict__ glogSigma) {
    FLV_FOR(i, (long long) n * d) {
        double g = gOut[i / d], inv = exp(-(double) logSigma[i]), u = ((double) z[i] - mu[i]) * inv;
        if (gz != nullptr) gz[i] = (float) (-u * inv * g);
        gmu[i] = (float) (u * inv * g);
        glogSigma[i] = (float) ((u * u - 1.0) * g);
    }
}

/** z = μ + T·exp(log σ)·ε. */
extern "C" __global__ void condNormalSample(const float* __restrict__ mu, const float* __restrict__ logSigma, const float* __restrict__ eps,
                                            float temperature, long long n, float* __restrict__ z) {
    FLV_FOR(i, n) z[i] = (float) ((double) mu[i] + (double) temperature * exp((double) logSigma[i]) * eps[i]);
}
