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

// ---------------------------------------------------------------------------------------------------------------------
// The zoo bases (issue 11): uniform box, standard logistic, Beta, Gaussian mixture. Same formulas, in the same order, as
// CpuDist and DistMath (float64 throughout).

#ifndef BETA_TRIES
#define BETA_TRIES 8                   // Marsaglia–Tsang tries per Gamma draw (DistOps.BETA_TRIES)
#endif
#define BETA_NORMALS (2 * BETA_TRIES)  // normals per element: G_α's tries, then G_β's
#define BETA_UNIFORMS (2 * BETA_TRIES + 2)  // uniforms per element: G_α's tries, G_β's tries, the α boost, the β boost
#define FLV_HALF_LOG_2PI 0.91893853320467274178

/** log Γ(x), x > 0: Lanczos (g = 7), reflection below ½ (DistMath.lgamma). */
__device__ double flvLgamma(double x) {
    bool reflect = x < 0.5;
    double refl = 0.0;
    if (reflect) {
        refl = log(3.14159265358979323846 / fabs(sin(3.14159265358979323846 * x)));
        x = 1.0 - x;
    }
    const double c[9] = {0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
                         -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7};
    x -= 1.0;
    double a = c[0], t = x + 7.5;
    for (int i = 1; i < 9; i++) a += c[i] / (x + i);
    double lg = FLV_HALF_LOG_2PI + (x + 0.5) * log(t) - t + log(a);
    return reflect ? refl - lg : lg;
}

/** ψ(x), x > 0: the recurrence up to x ≥ 10, then the asymptotic series (DistMath.digamma). */
__device__ double flvDigamma(double x) {
    double r = 0.0;
    while (x < 10.0) { r -= 1.0 / x; x += 1.0; }
    double f = 1.0 / (x * x);
    return r + log(x) - 0.5 / x - f * (1.0 / 12 - f * (1.0 / 120 - f * (1.0 / 252 - f * (1.0 / 240 - f * (1.0 / 132)))));
}

__device__ __forceinline__ double flvSoftplus(double a) { return a > 0.0 ? a + log1p(exp(-a)) : log1p(exp(a)); }

__device__ __forceinline__ double flvSigmoid(double a) { return a >= 0.0 ? 1.0 / (1.0 + exp(-a)) : exp(a) / (1.0 + exp(a)); }

__device__ __forceinline__ double flvLogUniform(float u) { return log(fmax((double) u, 1e-300)); }

/**
 * log G, G ~ Gamma(a, 1), by Marsaglia–Tsang from BETA_TRIES pre-drawn normals x[t] and uniforms u[t]; a < 1 through
 * Gamma(a + 1)·U^{1/a} (U = boost). Every try rejected: v = 1, G = d (the candidate at x = 0). DistMath.logGamma.
 */
__device__ double flvLogGamma(double a, const float* x, const float* u, float boost) {
    double ap = a < 1.0 ? a + 1.0 : a, d = ap - 1.0 / 3, c = 1.0 / sqrt(9.0 * d), v = 1.0;
    for (int t = 0; t < BETA_TRIES; t++) {
        double xt = x[t], w = 1.0 + c * xt;
        if (w <= 0.0) continue;
        w = w * w * w;
        if (flvLogUniform(u[t]) < 0.5 * xt * xt + d - d * w + d * log(w)) { v = w; break; }
    }
    double lg = log(d * v);
    return a < 1.0 ? lg + flvLogUniform(boost) / a : lg;
}

/** out[r] = out[r] − logVolume when low ≤ z ≤ high everywhere in row r, else −∞ (warp per row). */
extern "C" __global__ void uniformBoxLogProb(const float* __restrict__ z, const float* __restrict__ low, const float* __restrict__ high,
                                             double logVolume, int n, int d, float* out) {
    int lane = threadIdx.x & (FLV_WARP - 1);
    FLV_FOR_ROWS_BY_WARP(r, n) {
        int in = 1;
        for (int j = lane; j < d; j += FLV_WARP) {
            float v = z[r * d + j];
            if (!(v >= low[j] && v <= high[j])) in = 0;
        }
        in = __all_sync(FLV_FULL_MASK, in);
        if (lane == 0) out[r] = in ? (float) ((double) out[r] - logVolume) : -INFINITY;
    }
}

/** gz = 0. */
extern "C" __global__ void uniformBoxLogProbBackward(long long n, float* __restrict__ gz) {
    FLV_FOR(i, n) gz[i] = 0.f;
}

/** z = min(max(low + (high − low)·u, low), nextDown(high)) (float64, then float32). */
extern "C" __global__ void uniformBoxSample(const float* __restrict__ u, const float* __restrict__ low, const float* __restrict__ high,
                                            long long n, int d, float* __restrict__ z) {
    FLV_FOR(i, n) {
        int j = (int) (i % d);
        float lo = low[j], hi = high[j], v = (float) ((double) lo + ((double) hi - (double) lo) * (double) u[i]);
        z[i] = fminf(fmaxf(v, lo), nextafterf(hi, -INFINITY));
    }
}

/** out[r] += Σ_j −(z + 2·softplus(−z)) (warp per row, double). */
extern "C" __global__ void logisticLogProb(const float* __restrict__ z, int n, int d, float* out) {
    int lane = threadIdx.x & (FLV_WARP - 1);
    FLV_FOR_ROWS_BY_WARP(r, n) {
        double s = 0.0;
        for (int j = lane; j < d; j += FLV_WARP) { double v = z[r * d + j]; s -= v + 2.0 * flvSoftplus(-v); }
        s = flvWarpSum(s);
        if (lane == 0) out[r] = (float) ((double) out[r] + s);
    }
}

/** gz = gOut[r]·(1 − 2σ(z)). */
extern "C" __global__ void logisticLogProbBackward(const float* __restrict__ z, const float* __restrict__ gOut, int n, int d, float* __restrict__ gz) {
    FLV_FOR(i, (long long) n * d) gz[i] = (float) ((double) gOut[i / d] * (1.0 - 2.0 * flvSigmoid(z[i])));
}

/** z = T·(log u − log(1 − u)), u clamped to [2⁻²⁴, 1 − 2⁻²⁴]. */
extern "C" __global__ void logisticSample(const float* __restrict__ u, float temperature, long long n, float* __restrict__ z) {
    FLV_FOR(i, n) {
        double v = fmin(fmax((double) u[i], 0x1p-24), 0x1.fffffep-1);
        z[i] = (float) ((double) temperature * (log(v) - log1p(-v)));
    }
}

/** out[r] += Σ_j (α−1) log z + (β−1) log(1−z) − log B(α, β), −∞ when a z lies outside (0, 1) (warp per row, double). */
extern "C" __global__ void betaLogProb(const float* __restrict__ z, const float* __restrict__ logAlpha, const float* __restrict__ logBeta,
                                       int n, int d, float* out) {
    int lane = threadIdx.x & (FLV_WARP - 1);
    FLV_FOR_ROWS_BY_WARP(r, n) {
        double s = 0.0;
        for (int j = lane; j < d; j += FLV_WARP) {
            double v = z[r * d + j];
            if (!(v > 0.0 && v < 1.0)) { s = -INFINITY; continue; }
            double a = exp((double) logAlpha[j]), b = exp((double) logBeta[j]);
            double logB = flvLgamma(a) + flvLgamma(b) - flvLgamma(a + b);
            s += (a - 1.0) * log(v) + (b - 1.0) * log1p(-v) - logB;
        }
        s = flvWarpSum(s);
        if (lane == 0) out[r] = (float) ((double) out[r] + s);
    }
}

/**
 * Stage 1 of betaLogProbBackward: grid-stride over (chunk, column j) pairs, chunk = 64 rows. gz = g((α−1)/z − (β−1)/(1−z))
 * inside (0, 1), 0 outside (gz may be null); part [2][chunks][D]: Σ g·α(log z − ψ(α) + ψ(α+β)) (→ glogAlpha) and
 * Σ g·β(log(1−z) − ψ(β) + ψ(α+β)) (→ glogBeta). Stage 2 is columnSumAccumulate on each half.
 */
extern "C" __global__ void betaLogProbBackwardPartials(const float* __restrict__ z, const float* __restrict__ logAlpha,
                                                      const float* __restrict__ logBeta, const float* __restrict__ gOut, int n, int d,
                                                      int chunks, float* __restrict__ gz, double* __restrict__ part) {
    FLV_FOR(i, (long long) chunks * d) {
        int j = (int) (i % d), chunk = (int) (i / d);
        int lo = chunk * COLUMN_CHUNK, hi = min(n, lo + COLUMN_CHUNK);
        double a = exp((double) logAlpha[j]), b = exp((double) logBeta[j]), ab = flvDigamma(a + b);
        double pa = ab - flvDigamma(a), pb = ab - flvDigamma(b), sa = 0.0, sb = 0.0;
        for (int r = lo; r < hi; r++) {
            long long e = (long long) r * d + j;
            double v = z[e], g = gOut[r];
            if (!(v > 0.0 && v < 1.0)) { if (gz != nullptr) gz[e] = 0.f; continue; }
            if (gz != nullptr) gz[e] = (float) (g * ((a - 1.0) / v - (b - 1.0) / (1.0 - v)));
            sa += g * (log(v) + pa) * a;
            sb += g * (log1p(-v) + pb) * b;
        }
        part[(long long) chunk * d + j] = sa;
        part[(long long) chunks * d + (long long) chunk * d + j] = sb;
    }
}

/** z = G_α/(G_α + G_β) = σ(log G_α − log G_β) from the element's pre-drawn normals and uniforms; inside (0, 1) in float32. */
extern "C" __global__ void betaSample(const float* __restrict__ logAlpha, const float* __restrict__ logBeta, const float* __restrict__ normals,
                                      const float* __restrict__ uniforms, long long n, int d, float* __restrict__ z) {
    FLV_FOR(i, n) {
        int j = (int) (i % d);
        const float* x = normals + i * BETA_NORMALS;
        const float* u = uniforms + i * BETA_UNIFORMS;
        double ga = flvLogGamma(exp((double) logAlpha[j]), x, u, u[2 * BETA_TRIES]);
        double gb = flvLogGamma(exp((double) logBeta[j]), x + BETA_TRIES, u + BETA_TRIES, u[2 * BETA_TRIES + 1]);
        float v = (float) (1.0 / (1.0 + exp(gb - ga)));
        z[i] = fminf(fmaxf(v, 1.17549435e-38f), 0x1.fffffep-1f);
    }
}

/** log π_c = logits_c − logsumexp(logits) (every thread, K terms). */
__device__ __forceinline__ double flvLogSumExpLogits(const float* logits, int k) {
    double m = -INFINITY, s = 0.0;
    for (int c = 0; c < k; c++) m = fmax(m, (double) logits[c]);
    for (int c = 0; c < k; c++) s += exp((double) logits[c] - m);
    return m + log(s);
}

/** One online log-sum-exp step (in component order, as CpuDist.mixtureTerms). */
__device__ __forceinline__ void flvLseStep(double t, double& m, double& sum) {
    if (t > m) { sum = sum * exp(m - t) + 1.0; m = t; }
    else if (t != -INFINITY) sum += exp(t - m);
}

/** a_c = log π_c + Σ_j log N(z_j; μ_cj, σ_cj²) of row r, summed over the warp (every lane gets it). */
__device__ __forceinline__ double flvMixtureTerm(const float* z, const float* means, const float* logScales, long long r, int d, int c,
                                                 double logPi, int lane) {
    double s = 0.0;
    for (int j = lane; j < d; j += FLV_WARP) {
        double l = logScales[(long long) c * d + j], e = ((double) z[r * d + j] - (double) means[(long long) c * d + j]) * exp(-l);
        s += -0.5 * e * e - l - 0.5 * FLV_LOG_2PI;
    }
    return logPi + flvWarpSum(s);
}

/** out[r] += logsumexp_c a_c (warp per row, online log-sum-exp in component order, double). */
extern "C" __global__ void gaussianMixtureLogProb(const float* __restrict__ z, const float* __restrict__ logits, const float* __restrict__ means,
                                                  const float* __restrict__ logScales, int n, int k, int d, float* out) {
    int lane = threadIdx.x & (FLV_WARP - 1);
    double lse0 = flvLogSumExpLogits(logits, k);
    FLV_FOR_ROWS_BY_WARP(r, n) {
        double m = -INFINITY, sum = 0.0;
        for (int c = 0; c < k; c++) flvLseStep(flvMixtureTerm(z, means, logScales, r, d, c, (double) logits[c] - lse0, lane), m, sum);
        if (lane == 0) out[r] = (float) ((double) out[r] + (m + log(sum)));
    }
}

/**
 * Stage 1 of gaussianMixtureLogProbBackward (warp per row): resp [N, K] (double) = softmax_c(a_c)·gOut[r], and
 * gz = −Σ_c resp_c (z − μ_c)/σ_c² (gz may be null). Lane c mod 32 writes resp[r, c]; __syncwarp before the lanes read them.
 */
extern "C" __global__ void gaussianMixtureLogProbBackwardRows(const float* __restrict__ z, const float* __restrict__ logits,
                                                              const float* __restrict__ means, const float* __restrict__ logScales,
                                                              const float* __restrict__ gOut, int n, int k, int d, float* __restrict__ gz,
                                                              double* __restrict__ resp) {
    int lane = threadIdx.x & (FLV_WARP - 1);
    double lse0 = flvLogSumExpLogits(logits, k);
    FLV_FOR_ROWS_BY_WARP(r, n) {
        double m = -INFINITY, sum = 0.0;
        for (int c = 0; c < k; c++) {
            double t = flvMixtureTerm(z, means, logScales, r, d, c, (double) logits[c] - lse0, lane);
            if ((c & (FLV_WARP - 1)) == lane) resp[r * k + c] = t;
            flvLseStep(t, m, sum);
        }
        double lse = m + log(sum), g = gOut[r];
        for (int c = lane; c < k; c += FLV_WARP) resp[r * k + c] = exp(resp[r * k + c] - lse) * g;
        __syncwarp();
        if (gz != nullptr)
            for (int j = lane; j < d; j += FLV_WARP) {
                double v = z[r * d + j], s = 0.0;
                for (int c = 0; c < k; c++) {
                    long long e = (long long) c * d + j;
                    s -= resp[r * k + c] * (v - (double) means[e]) * exp(-2.0 * (double) logScales[e]);
                }
                gz[r * d + j] = (float) s;
            }
        __syncwarp();
    }
}

/**
 * Stage 2 of gaussianMixtureLogProbBackward: grid-stride over (chunk, column) pairs, columns [means K·D | logScales K·D |
 * logits K], chunk = 64 rows. part: [chunks][K·D] Σ resp·(z − μ)/σ² (→ gmeans), then [chunks][K·D] Σ resp·((z − μ)²/σ² − 1)
 * (→ glogScales), then [chunks][K] Σ (resp − π·gOut) (→ glogits). Stage 3 is columnSumAccumulate on each part.
 */
extern "C" __global__ void gaussianMixtureLogProbBackwardPartials(const float* __restrict__ z, const float* __restrict__ logits,
                                                                  const float* __restrict__ means, const float* __restrict__ logScales,
                                                                  const float* __restrict__ gOut, const double* __restrict__ resp,
                                                                  int n, int k, int d, int chunks, double* __restrict__ part) {
    long long kd = (long long) k * d, cols = 2 * kd + k;
    FLV_FOR(i, (long long) chunks * cols) {
        long long t = i % cols;
        int chunk = (int) (i / cols), lo = chunk * COLUMN_CHUNK, hi = min(n, lo + COLUMN_CHUNK);
        double s = 0.0;
        if (t < 2 * kd) {
            long long e = t < kd ? t : t - kd;
            int c = (int) (e / d), j = (int) (e % d);
            double mu = means[e], iv = exp(-2.0 * (double) logScales[e]);
            for (int r = lo; r < hi; r++) {
                double diff = (double) z[(long long) r * d + j] - mu, rc = resp[(long long) r * k + c];
                s += t < kd ? rc * diff * iv : rc * (diff * diff * iv - 1.0);
            }
            part[(t < kd ? 0 : (long long) chunks * kd) + (long long) chunk * kd + e] = s;
        } else {
            int c = (int) (t - 2 * kd);
            double pi = exp((double) logits[c] - flvLogSumExpLogits(logits, k));
            for (int r = lo; r < hi; r++) s += resp[(long long) r * k + c] - pi * (double) gOut[r];
            part[2 * (long long) chunks * kd + (long long) chunk * k + c] = s;
        }
    }
}

/** z = μ_c + T·σ_c·eps, c the first component whose cumulative weight exceeds u[r] (the last when none does). */
extern "C" __global__ void gaussianMixtureSample(const float* __restrict__ logits, const float* __restrict__ means,
                                                 const float* __restrict__ logScales, const float* __restrict__ u,
                                                 const float* __restrict__ eps, float temperature, int n, int k, int d, float* __restrict__ z) {
    double lse0 = flvLogSumExpLogits(logits, k);
    FLV_FOR(i, (long long) n * d) {
        long long r = i / d;
        int j = (int) (i % d), c = k - 1;
        double ur = u[r], cum = 0.0;
        for (int q = 0; q < k; q++) {
            cum += exp((double) logits[q] - lse0);
            if (ur < cum) { c = q; break; }
        }
        long long e = (long long) c * d + j;
        z[i] = (float) ((double) means[e] + (double) temperature * exp((double) logScales[e]) * eps[i]);
    }
}
