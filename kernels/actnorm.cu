// Fluvia CUDA kernels: ActNorm (per-feature or per-channel affine; x [N, C] or [N, C, H, W], hw = H·W or 1).
//   actnormForward / actnormInverse (log-det term fused), actnormBackward (two stages: per-chunk partials, then a
//   per-channel finalize in chunk order), actnormInitStats (one-pass Welford per channel, Chan merge in fixed order).
// Chunks: ACTNORM_CHUNK rows of the batch per partial; the partial layout is [chunks][C].
#include "common.cuh"

#define ACTNORM_CHUNK 64

// ---------------------------------------------------------------------------------------------- forward / inverse

/** Σ_c logs_c in double, in a fixed order, computed by every block (C is small); every thread gets it. */
__device__ __forceinline__ double actnormLogsSum(const float* logs, int c, double* scratch) {
    double s = 0.0;
    for (int i = threadIdx.x; i < c; i += blockDim.x) s += logs[i];
    return flvBlockSum(s, scratch);
}

__device__ __forceinline__ void actnormApply(const float* in, const float* __restrict__ logs, const float* __restrict__ bias,
                                             float* out, float* ld, int n, int c, int hw, bool inverse) {
    __shared__ double scratch[33];
    double sumLogs = actnormLogsSum(logs, c, scratch);
    float ldTerm = (float) ((inverse ? -sumLogs : sumLogs) * hw);
    long long total = (long long) n * c * hw;
    FLV_FOR(i, total) {
        int ch = (int) ((i / hw) % c);
        float ls = logs[ch], bb = bias == nullptr ? 0.f : bias[ch], v = in[i];
        out[i] = inverse ? (v - bb) * expf(-ls) : fmaf(v, expf(ls), bb);
    }
    if (ld != nullptr) FLV_FOR(r, n) ld[r] = ld[r] + ldTerm;
}

/** y = x·exp(logs) + bias (bias may be null); ld[n] += H·W·Σ logs (ld may be null). */
extern "C" __global__ void actnormForward(const float* x, const float* logs, const float* bias, float* y, float* ld, int n, int c, int hw) {
    actnormApply(x, logs, bias, y, ld, n, c, hw, false);
}

/** x = (y − bias)·exp(−logs); ld[n] += −H·W·Σ logs. */
extern "C" __global__ void actnormInverse(const float* y, const float* logs, const float* bias, float* x, float* ld, int n, int c, int hw) {
    actnormApply(y, logs, bias, x, ld, n, c, hw, true);
}

// ---------------------------------------------------------------------------------------------- backward

/**
 * Stage 1 for vectors (hw == 1): grid (ceil(C/blockDim), chunks); thread = channel, loops the chunk's rows
 * (coalesced across channels). Writes gx = gy·exp(logs) and partials pxy[chunk][c] = Σ gy·x, pg[chunk][c] = Σ gy,
 * pld[chunk] = Σ gLd over the chunk's rows.
 */
extern "C" __global__ void actnormBackwardPartialsRows(const float* __restrict__ x, const float* __restrict__ logs, const float* __restrict__ gy,
                                                       const float* __restrict__ gLd, float* gx, int n, int c,
                                                       double* __restrict__ pxy, double* __restrict__ pg, double* __restrict__ pld) {
    int chunk = blockIdx.y, lo = chunk * ACTNORM_CHUNK, hi = min(n, lo + ACTNORM_CHUNK);
    int ch = blockIdx.x * blockDim.x + threadIdx.x;
    if (ch < c) {
        float sc = expf(logs[ch]);
        double sxy = 0.0, sg = 0.0;
        for (int r = lo; r < hi; r++) {
            long long i = (long long) r * c + ch;
            float g = gy[i];
            sxy += (double) g * x[i];
            sg += g;
            if (gx != nullptr) gx[i] = g * sc;
        }
        pxy[(long long) chunk * c + ch] = sxy;
        pg[(long long) chunk * c + ch] = sg;
    }
    if (blockIdx.x == 0 && threadIdx.x == 0) {
        double s = 0.0;
        for (int r = lo; r < hi; r++) s += gLd[r];
        pld[chunk] = s;
    }
}

/** Stage 1 for images (hw > 1): grid (C, chunks); the block strides over the chunk's rows × pixels of one channel. */
extern "C" __global__ void actnormBackwardPartialsPlanes(const float* __restrict__ x, const float* __restrict__ logs, const float* __restrict__ gy,
                                                         const float* __restrict__ gLd, float* gx, int n, int c, int hw,
                                                         double* __restrict__ pxy, double* __restrict__ pg, double* __restrict__ pld) {
    __shared__ double scratch[33];
    int ch = blockIdx.x, chunk = blockIdx.y, lo = chunk * ACTNORM_CHUNK, hi = min(n, lo + ACTNORM_CHUNK);
    float sc = expf(logs[ch]);
    double sxy = 0.0, sg = 0.0;
    long long cnt = (long long) (hi - lo) * hw;
    for (long long e = threadIdx.x; e < cnt; e += blockDim.x) {
        long long r = lo + e / hw, p = e % hw;
        long long i = (r * c + ch) * hw + p;
        float g = gy[i];
        sxy += (double) g * x[i];
        sg += g;
        if (gx != nullptr) gx[i] = g * sc;
    }
    sxy = flvBlockSum(sxy, scratch);
    sg = flvBlockSum(sg, scratch);
    if (threadIdx.x == 0) {
        pxy[(long long) chunk * c + ch] = sxy;
        pg[(long long) chunk * c + ch] = sg;
    }
    if (ch == 0) {
        double s = 0.0;
        for (int r = lo + threadIdx.x; r < hi; r += blockDim.x) s += gLd[r];
        s = flvBlockSum(s, scratch);
        if (threadIdx.x == 0) pld[chunk] = s;
    }
}

/** Stage 2: thread = channel; sums the partials in chunk order. glogs += Σxy·exp(logs) + hw·ΣgLd; gbias += Σgy (may be null). */
extern "C" __global__ void actnormBackwardFinalize(const double* __restrict__ pxy, const double* __restrict__ pg, const double* __restrict__ pld,
                                                   int chunks, int c, int hw, const float* __restrict__ logs,
                                                   float* glogs, float* gbias) {
    int ch = blockIdx.x * blockDim.x + threadIdx.x;
    if (ch >= c) return;
    double sxy = 0.0, sg = 0.0, sld = 0.0;
    for (int q = 0; q < chunks; q++) {
        sxy += pxy[(long long) q * c + ch];
        sg += pg[(long long) q * c + ch];
        sld += pld[q];
    }
    float sc = expf(logs[ch]);
    glogs[ch] = (float) ((double) glogs[ch] + sxy * sc + sld * hw);
    if (gbias != nullptr) gbias[ch] = (float) ((double) gbias[ch] + sg);
}

// ---------------------------------------------------------------------------------------------- data-dependent init

/** Chan et al. merge of (count, mean, M2) b into a. */
__device__ __forceinline__ void welfordMerge(double& na, double& ma, double& m2a, double nb, double mb, double m2b) {
    if (nb == 0.0) return;
    double tot = na + nb, dlt = mb - ma;
    ma += dlt * nb / tot;
    m2a += m2b + dlt * dlt * na * nb / tot;
    na = tot;
}

/** Stage 1 for vectors: thread = channel, Welford over the chunk's rows; partials [chunk][c][3] = (count, mean, M2). */
extern "C" __global__ void actnormInitStatsPartialsRows(const float* __restrict__ x, int n, int c, double* __restrict__ part) {
    int chunk = blockIdx.y, lo = chunk * ACTNORM_CHUNK, hi = min(n, lo + ACTNORM_CHUNK);
    int ch = blockIdx.x * blockDim.x + threadIdx.x;
    if (ch >= c) return;
    double cnt = 0.0, mu = 0.0, m2 = 0.0;
    for (int r = lo; r < hi; r++) {
        double v = x[(long long) r * c + ch];
        cnt += 1.0;
        double dlt = v - mu;
        mu += dlt / cnt;
        m2 += dlt * (v - mu);
    }
    double* p = part + ((long long) chunk * c + ch) * 3;
    p[0] = cnt; p[1] = mu; p[2] = m2;
}

/** Stage 1 for images: grid (C, chunks); each thread runs Welford on its strided elements, the block merges in a fixed tree. */
extern "C" __global__ void actnormInitStatsPartialsPlanes(const float* __restrict__ x, int n, int c, int hw, double* __restrict__ part) {
    extern __shared__ double wsh[];  // 3 · blockDim.x doubles
    int ch = blockIdx.x, chunk = blockIdx.y, lo = chunk * ACTNORM_CHUNK, hi = min(n, lo + ACTNORM_CHUNK);
    double cnt = 0.0, mu = 0.0, m2 = 0.0;
    long long total = (long long) (hi - lo) * hw;
    for (long long e = threadIdx.x; e < total; e += blockDim.x) {
        long long r = lo + e / hw, p = e % hw;
        double v = x[(r * c + ch) * hw + p];
        cnt += 1.0;
        double dlt = v - mu;
        mu += dlt / cnt;
        m2 += dlt * (v - mu);
    }
    double* sc = wsh;
    double* sm = wsh + blockDim.x;
    double* s2 = wsh + 2 * blockDim.x;
    sc[threadIdx.x] = cnt; sm[threadIdx.x] = mu; s2[threadIdx.x] = m2;
    __syncthreads();
    for (int s = blockDim.x / 2; s > 0; s >>= 1) {  // blockDim.x is a power of two
        if (threadIdx.x < s) {
            double a = sc[threadIdx.x], b = sm[threadIdx.x], d2 = s2[threadIdx.x];
            welfordMerge(a, b, d2, sc[threadIdx.x + s], sm[threadIdx.x + s], s2[threadIdx.x + s]);
            sc[threadIdx.x] = a; sm[threadIdx.x] = b; s2[threadIdx.x] = d2;
        }
        __syncthreads();
    }
    if (threadIdx.x == 0) {
        double* p = part + ((long long) chunk * c + ch) * 3;
        p[0] = sc[0]; p[1] = sm[0]; p[2] = s2[0];
    }
}

/** Stage 2: thread = channel; merges the chunk partials in chunk order; mean, std (population) overwritten. */
extern "C" __global__ void actnormInitStats(const double* __restrict__ part, int chunks, int c, float* mean, float* std) {
    int ch = blockIdx.x * blockDim.x + threadIdx.x;
    if (ch >= c) return;
    double cnt = 0.0, mu = 0.0, m2 = 0.0;
    for (int q = 0; q < chunks; q++) {
        const double* p = part + ((long long) q * c + ch) * 3;
        welfordMerge(cnt, mu, m2, p[0], p[1], p[2]);
    }
    mean[ch] = (float) mu;
    std[ch] = (float) sqrt(cnt > 0.0 ? m2 / cnt : 0.0);
}
