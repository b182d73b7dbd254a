// Fluvia CUDA kernels: the residual flows (docs/FLOWS.md "Planar flow", "Radial flow", "Sylvester flow in Fluvia").
//   planar / radial: forward and inverse warp per row (the row's dot products by warp sums, the 1-D solve by every lane
//   alike), backward in two stages: per-chunk partials (block = one RESIDUAL_CHUNK-row chunk: warp per row for the row's
//   scalars into shared memory, then thread per column over the chunk's rows in row order, writing the input gradient and
//   the column sums) and a one-block finalize that sums the chunks in order and chains the reparameterisation (û, c;
//   α, β), so the derived parameters never leave the device. Arithmetic in double inside, float32 in memory.
//   sylvester (generative only): sylvesterPrepare builds Q = H_1⋯H_K (thread per row of Q), R and R̃ (tanh diagonals,
//   zero lower triangles) in double scratch; sylvesterInverse is thread per row; the backward stores each row's
//   vectors, sums the parameter-gradient outer products per chunk (thread per entry), finalizes in chunk order, and takes
//   ∂L/∂Q back through the reflections (each H_k its own inverse, so no prefix products are stored).
// Layout: x, z [N, D]; planar u, w [D], b [1]; radial z0 [D], alpha_raw, beta_raw [1]; sylvester v [K, D], r, rt [D, D], b [D].
// The CPU body (CpuResidual) is this code in Java.
#include "common.cuh"

#define RESIDUAL_CHUNK 64          // rows per backward partial (CudaContext.CHUNK)
#define RESIDUAL_ROOT_TOL 1e-14    // planar root find: |Δa| ≤ tol·(1 + |a|)
#define RESIDUAL_MAX_ITER 200

__device__ __forceinline__ double residualSoftplus(double a) { return a > 0.0 ? a + log1p(exp(-a)) : log1p(exp(a)); }

__device__ __forceinline__ double residualSigmoid(double a) {
    if (a >= 0.0) return 1.0 / (1.0 + exp(-a));
    double e = exp(a);
    return e / (1.0 + e);
}

// ---------------------------------------------------------------------------------------------- planar

/** The planar layer's derived scalars: p = wᵀu, n2 = ‖w‖², c = −1 + softplus(p) = wᵀû, k = (c − p)/n2 (û = u + k·w). */
struct PlanarScalars { double p, n2, c, k, b; };

/** By every lane of a warp (all 32 lanes must call it): the sums in the warp's fixed order. */
__device__ __forceinline__ PlanarScalars planarScalars(const float* u, const float* w, const float* b, int d, int lane) {
    double p = 0.0, n2 = 0.0;
    for (int j = lane; j < d; j += FLV_WARP) {
        double wj = w[j];
        p += wj * u[j];
        n2 += wj * wj;
    }
    PlanarScalars q;
    q.p = flvWarpSum(p);
    q.n2 = flvWarpSum(n2);
    q.c = -1.0 + residualSoftplus(q.p);
    q.k = (q.c - q.p) / q.n2;
    if (!(q.n2 > 0.0)) q.c = q.k * 0.0;   // w = 0: k is ±∞ or NaN, so c (and every output, ld included) is NaN
    q.b = b[0];
    return q;
}

/** The root a of a + c·tanh(a + b) = s (c > −1: strictly increasing): Newton safeguarded by bisection in [s − |c|, s + |c|]. */
__device__ __forceinline__ double planarSolve(double s, double c, double b) {
    double lo = s - fabs(c), hi = s + fabs(c);
    if (lo == hi) return s;
    double a = s - c * tanh(s + b);
    if (!(a > lo && a < hi)) a = 0.5 * (lo + hi);
    for (int it = 0; it < RESIDUAL_MAX_ITER; it++) {
        double t = tanh(a + b), g = a + c * t - s;
        if (g == 0.0) return a;
        if (g > 0.0) hi = a; else lo = a;
        double next = a - g / (1.0 + c * (1.0 - t * t));
        if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
        double step = fabs(next - a);
        a = next;
        if (step <= RESIDUAL_ROOT_TOL * (1.0 + fabs(a)) || hi - lo <= RESIDUAL_ROOT_TOL * (1.0 + fabs(a))) return a;
    }
    return a;
}

/** z = x − û·t, t = tanh(a + b), a the root of a + c·t = wᵀx; ld[r] += −log(1 + c(1 − t²)). z may be x. */
extern "C" __global__ void planarForward(const float* x, const float* u, const float* w, const float* b, int n, int d, float* z, float* ld) {
    int lane = threadIdx.x & (FLV_WARP - 1);
    PlanarScalars q = planarScalars(u, w, b, d, lane);
    FLV_FOR_ROWS_BY_WARP(r, n) {
        const float* xr = x + r * d;
        double s = 0.0;
        for (int j = lane; j < d; j += FLV_WARP) s += (double) w[j] * xr[j];
        s = flvWarpSum(s);
        double a = planarSolve(s, q.c, q.b), t = tanh(a + q.b);
        for (int j = lane; j < d; j += FLV_WARP) z[r * d + j] = (float) ((double) xr[j] - ((double) u[j] + q.k * w[j]) * t);
        if (lane == 0) ld[r] = (float) ((double) ld[r] - log1p(q.c * (1.0 - t * t)));
    }
}

/** x = z + û·tanh(wᵀz + b); ld[r] += log(1 + c(1 − t²)). x may be z. */
extern "C" __global__ void planarInverse(const float* z, const float* u, const float* w, const float* b, int n, int d, float* x, float* ld) {
    int lane = threadIdx.x & (FLV_WARP - 1);
    PlanarScalars q = planarScalars(u, w, b, d, lane);
    FLV_FOR_ROWS_BY_WARP(r, n) {
        const float* zr = z + r * d;
        double s = 0.0;
        for (int j = lane; j < d; j += FLV_WARP) s += (double) w[j] * zr[j];
        s = flvWarpSum(s);
        double t = tanh(s + q.b);
        for (int j = lane; j < d; j += FLV_WARP) x[r * d + j] = (float) ((double) zr[j] + ((double) u[j] + q.k * w[j]) * t);
        if (lane == 0) ld[r] = (float) ((double) ld[r] + log1p(q.c * (1.0 - t * t)));
    }
}

/**
 * Stage 1 of both planar backwards; block = chunk blockIdx.x. Per row (warp): the coefficient ct of ∂L/∂û (−t or t), cs
 * of the input gradient (∂L/∂(wᵀin)), and the row's ∂L/∂b, ∂L/∂c. Then thread per column j over the chunk's rows in order:
 * gout = g + cs·w_j, part[chunk] = [Σ ct·g_j (D) | Σ cs·in_j (D) | Σ gb | Σ gc].
 */
__device__ __forceinline__ void planarBackwardChunk(const float* in, const float* u, const float* w, const float* b, const float* g,
                                                    const float* gLd, int n, int d, bool generative, float* gout, double* part) {
    __shared__ double rs[RESIDUAL_CHUNK][4];
    int chunk = blockIdx.x, lo = chunk * RESIDUAL_CHUNK, hi = min(n, lo + RESIDUAL_CHUNK);
    int lane = threadIdx.x & (FLV_WARP - 1), warp = threadIdx.x / FLV_WARP, warps = blockDim.x / FLV_WARP;
    PlanarScalars q = planarScalars(u, w, b, d, lane);
    for (int r = lo + warp; r < hi; r += warps) {
        const float* xr = in + (long long) r * d;
        const float* gr = g + (long long) r * d;
        double s = 0.0, gu = 0.0;
        for (int j = lane; j < d; j += FLV_WARP) {
            double wj = w[j];
            s += wj * xr[j];
            gu += ((double) u[j] + q.k * wj) * gr[j];
        }
        s = flvWarpSum(s);
        gu = flvWarpSum(gu);
        double gl = gLd[r], ct, cs, gb, gc;
        if (generative) {
            double t = tanh(s + q.b), sp = 1.0 - t * t, den = 1.0 + q.c * sp;
            double gden = gl / den, gt = gu - gden * q.c * 2.0 * t;
            gc = gden * sp;
            cs = gt * sp;
            gb = cs;
            ct = t;
        } else {
            double a = planarSolve(s, q.c, q.b), t = tanh(a + q.b), sp = 1.0 - t * t, den = 1.0 + q.c * sp;
            double gden = -gl / den, gt = -gu - gden * q.c * 2.0 * t, gpre = gt * sp;
            gc = gden * sp - gpre * t / den;
            gb = gpre - gpre * q.c * sp / den;
            cs = gpre / den;
            ct = -t;
        }
        if (lane == 0) {
            rs[r - lo][0] = ct;
            rs[r - lo][1] = cs;
            rs[r - lo][2] = gb;
            rs[r - lo][3] = gc;
        }
    }
    __syncthreads();
    long long base = (long long) chunk * (2 * d + 2);
    for (int j = threadIdx.x; j < d; j += blockDim.x) {
        double wj = w[j], guh = 0.0, gw = 0.0;
        for (int r = lo; r < hi; r++) {
            long long e = (long long) r * d + j;
            double gv = g[e];
            guh += rs[r - lo][0] * gv;
            gw += rs[r - lo][1] * in[e];
            gout[e] = (float) (gv + rs[r - lo][1] * wj);
        }
        part[base + j] = guh;
        part[base + d + j] = gw;
    }
    if (threadIdx.x == 0) {
        double sb = 0.0, sc = 0.0;
        for (int r = lo; r < hi; r++) { sb += rs[r - lo][2]; sc += rs[r - lo][3]; }
        part[base + 2 * d] = sb;
        part[base + 2 * d + 1] = sc;
    }
}

/** Stage 1 of planarBackward (normalizing direction, through the implicit root): gx overwritten, partials [chunks][2D + 2]. */
extern "C" __global__ void planarBackwardPartials(const float* x, const float* u, const float* w, const float* b, const float* gz,
                                                  const float* gLd, int n, int d, float* gx, double* part) {
    planarBackwardChunk(x, u, w, b, gz, gLd, n, d, false, gx, part);
}

/** Stage 1 of planarInverseBackward (generative direction, closed form): gz overwritten, partials [chunks][2D + 2]. */
extern "C" __global__ void planarInverseBackwardPartials(const float* z, const float* u, const float* w, const float* b, const float* gx,
                                                         const float* gLd, int n, int d, float* gz, double* part) {
    planarBackwardChunk(z, u, w, b, gx, gLd, n, d, true, gz, part);
}

/**
 * Stage 2 of both planar backwards (one block): sums the chunks in order into ∂L/∂û, the data part of ∂L/∂w, ∂L/∂b,
 * ∂L/∂c, and chains û = u + k·w, k = (m(p) − p)/‖w‖², c = m(p), p = wᵀu into gu, gw, gb (accumulated).
 */
extern "C" __global__ void planarBackwardFinalize(const double* part, int chunks, const float* u, const float* w, int d,
                                                  float* gu, float* gw, float* gb) {
    __shared__ double scratch[33];
    long long stride = 2LL * d + 2;
    double p = 0.0, n2 = 0.0, gk = 0.0;
    for (int j = threadIdx.x; j < d; j += blockDim.x) {
        double guh = 0.0;
        for (int c = 0; c < chunks; c++) guh += part[c * stride + j];
        double wj = w[j];
        p += wj * u[j];
        n2 += wj * wj;
        gk += guh * wj;
    }
    p = flvBlockSum(p, scratch);
    n2 = flvBlockSum(n2, scratch);
    gk = flvBlockSum(gk, scratch);
    double sb = 0.0, sc = 0.0;
    for (int c = 0; c < chunks; c++) { sb += part[c * stride + 2 * d]; sc += part[c * stride + 2 * d + 1]; }
    double cc = -1.0 + residualSoftplus(p), k = (cc - p) / n2, sig = residualSigmoid(p);
    double gp = sc * sig + gk * (sig - 1.0) / n2;
    for (int j = threadIdx.x; j < d; j += blockDim.x) {
        double guh = 0.0, gwd = 0.0;
        for (int c = 0; c < chunks; c++) { guh += part[c * stride + j]; gwd += part[c * stride + d + j]; }
        double wj = w[j], uj = u[j];
        gu[j] = (float) ((double) gu[j] + guh + gp * wj);
        gw[j] = (float) ((double) gw[j] + k * guh + gwd - gk * 2.0 * k * wj / n2 + gp * uj);
    }
    if (threadIdx.x == 0) gb[0] = (float) ((double) gb[0] + sb);
}

// ---------------------------------------------------------------------------------------------- radial

/** The non-negative root r of r² + (α + β − ρ)·r − αρ = 0 (ρ = r·(1 + β/(α + r))), without cancellation. */
__device__ __forceinline__ double radialSolve(double rho, double alpha, double beta) {
    if (rho == 0.0) return 0.0;
    double bq = alpha + beta - rho, disc = sqrt(bq * bq + 4.0 * alpha * rho);
    return bq >= 0.0 ? 2.0 * alpha * rho / (bq + disc) : (disc - bq) / 2.0;
}

/** z = z0 + (x − z0)/H, H = 1 + β/(α + r), r the radius whose image is ‖x − z0‖; ld[r] += −(D−1)·log H − log J. z may be x. */
extern "C" __global__ void radialForward(const float* x, const float* z0, const float* alphaRaw, const float* betaRaw, int n, int d,
                                         float* z, float* ld) {
    int lane = threadIdx.x & (FLV_WARP - 1);
    double alpha = residualSoftplus(alphaRaw[0]), beta = -alpha + residualSoftplus(betaRaw[0]);
    FLV_FOR_ROWS_BY_WARP(r, n) {
        const float* xr = x + r * d;
        double s = 0.0;
        for (int j = lane; j < d; j += FLV_WARP) { double y = (double) xr[j] - z0[j]; s += y * y; }
        double rho = sqrt(flvWarpSum(s)), rad = radialSolve(rho, alpha, beta), aa = alpha + rad;
        double hh = 1.0 + beta / aa, jj = 1.0 + beta * alpha / (aa * aa);
        for (int j = lane; j < d; j += FLV_WARP) z[r * d + j] = (float) ((double) z0[j] + ((double) xr[j] - z0[j]) / hh);
        if (lane == 0) ld[r] = (float) ((double) ld[r] - ((d - 1) * log(hh) + log(jj)));
    }
}

/** x = z0 + H·(z − z0), r = ‖z − z0‖; ld[r] += (D−1)·log H + log J. x may be z. */
extern "C" __global__ void radialInverse(const float* z, const float* z0, const float* alphaRaw, const float* betaRaw, int n, int d,
                                         float* x, float* ld) {
    int lane = threadIdx.x & (FLV_WARP - 1);
    double alpha = residualSoftplus(alphaRaw[0]), beta = -alpha + residualSoftplus(betaRaw[0]);
    FLV_FOR_ROWS_BY_WARP(r, n) {
        const float* zr = z + r * d;
        double s = 0.0;
        for (int j = lane; j < d; j += FLV_WARP) { double y = (double) zr[j] - z0[j]; s += y * y; }
        double rad = sqrt(flvWarpSum(s)), aa = alpha + rad;
        double hh = 1.0 + beta / aa, jj = 1.0 + beta * alpha / (aa * aa);
        for (int j = lane; j < d; j += FLV_WARP) x[r * d + j] = (float) ((double) z0[j] + hh * ((double) zr[j] - z0[j]));
        if (lane == 0) ld[r] = (float) ((double) ld[r] + (d - 1) * log(hh) + log(jj));
    }
}

/**
 * Stage 1 of both radial backwards; block = chunk blockIdx.x. Per row (warp): gout = cg·g + cy·(in − z0) and the row's
 * ∂L/∂α, ∂L/∂β; then thread per column: gout written, part[chunk] = [Σ (g − gout)_j (D) | Σ ∂L/∂α | Σ ∂L/∂β].
 */
__device__ __forceinline__ void radialBackwardChunk(const float* in, const float* z0, const float* alphaRaw, const float* betaRaw,
                                                    const float* g, const float* gLd, int n, int d, bool generative, float* gout,
                                                    double* part) {
    __shared__ double rs[RESIDUAL_CHUNK][4];
    int chunk = blockIdx.x, lo = chunk * RESIDUAL_CHUNK, hi = min(n, lo + RESIDUAL_CHUNK);
    int lane = threadIdx.x & (FLV_WARP - 1), warp = threadIdx.x / FLV_WARP, warps = blockDim.x / FLV_WARP;
    double al = residualSoftplus(alphaRaw[0]), bt = -al + residualSoftplus(betaRaw[0]);
    for (int r = lo + warp; r < hi; r += warps) {
        const float* xr = in + (long long) r * d;
        const float* gr = g + (long long) r * d;
        double s = 0.0, gy = 0.0;
        for (int j = lane; j < d; j += FLV_WARP) {
            double y = (double) xr[j] - z0[j];
            s += y * y;
            gy += gr[j] * y;
        }
        s = flvWarpSum(s);
        gy = flvWarpSum(gy);
        double gl = gLd[r], cg, cy, ga, gbeta;
        if (generative) {
            double rad = sqrt(s), aa = al + rad, hh = 1.0 + bt / aa, jj = 1.0 + bt * al / (aa * aa);
            double gH = (d - 1) * gl / hh + gy, gJ = gl / jj;
            double gA = -gH * bt / (aa * aa) - 2.0 * gJ * bt * al / (aa * aa * aa);
            gbeta = gH / aa + gJ * al / (aa * aa);
            ga = gJ * bt / (aa * aa) + gA;
            cg = hh;
            cy = rad > 0.0 ? gA / rad : 0.0;
        } else {
            double rho = sqrt(s), rad = radialSolve(rho, al, bt), aa = al + rad;
            double hh = 1.0 + bt / aa, jj = 1.0 + bt * al / (aa * aa);
            double gH = -gy / (hh * hh) - gl * (d - 1) / hh, gJ = -gl / jj;
            double gA = -gH * bt / (aa * aa) - 2.0 * gJ * bt * al / (aa * aa * aa);
            gbeta = gH / aa + gJ * al / (aa * aa) - gA * (rad / aa) / jj;
            ga = gJ * bt / (aa * aa) + gA + gA * (bt * rad / (aa * aa)) / jj;
            cg = 1.0 / hh;
            cy = rho > 0.0 ? gA / jj / rho : 0.0;
        }
        if (lane == 0) {
            rs[r - lo][0] = cg;
            rs[r - lo][1] = cy;
            rs[r - lo][2] = ga;
            rs[r - lo][3] = gbeta;
        }
    }
    __syncthreads();
    long long base = (long long) chunk * (d + 2);
    for (int j = threadIdx.x; j < d; j += blockDim.x) {
        double c = z0[j], gc = 0.0;
        for (int r = lo; r < hi; r++) {
            long long e = (long long) r * d + j;
            double gv = g[e], o = rs[r - lo][0] * gv + rs[r - lo][1] * ((double) in[e] - c);
            gout[e] = (float) o;
            gc += gv - o;
        }
        part[base + j] = gc;
    }
    if (threadIdx.x == 0) {
        double sa = 0.0, sb = 0.0;
        for (int r = lo; r < hi; r++) { sa += rs[r - lo][2]; sb += rs[r - lo][3]; }
        part[base + d] = sa;
        part[base + d + 1] = sb;
    }
}

/** Stage 1 of radialBackward (normalizing direction, through the implicit radius): gx overwritten, partials [chunks][D + 2]. */
extern "C" __global__ void radialBackwardPartials(const float* x, const float* z0, const float* alphaRaw, const float* betaRaw,
                                                  const float* gz, const float* gLd, int n, int d, float* gx, double* part) {
    radialBackwardChunk(x, z0, alphaRaw, betaRaw, gz, gLd, n, d, false, gx, part);
}

/** Stage 1 of radialInverseBackward (generative direction, closed form): gz overwritten, partials [chunks][D + 2]. */
extern "C" __global__ void radialInverseBackwardPartials(const float* z, const float* z0, const float* alphaRaw, const float* betaRaw,
                                                         const float* gx, const float* gLd, int n, int d, float* gz, double* part) {
    radialBackwardChunk(z, z0, alphaRaw, betaRaw, gx, gLd, n, d, true, gz, part);
}

/** Stage 2 of both radial backwards (one block): chunk order; gz0 += Σ, galpha += (Σα − Σβ)·σ(α̂), gbeta += Σβ·σ(β̂). */
extern "C" __global__ void radialBackwardFinalize(const double* part, int chunks, int d, const float* alphaRaw, const float* betaRaw,
                                                  float* gz0, float* galpha, float* gbeta) {
    long long stride = (long long) d + 2;
    for (int j = threadIdx.x; j < d; j += blockDim.x) {
        double s = 0.0;
        for (int c = 0; c < chunks; c++) s += part[c * stride + j];
        gz0[j] = (float) ((double) gz0[j] + s);
    }
    if (threadIdx.x == 0) {
        double sa = 0.0, sb = 0.0;
        for (int c = 0; c < chunks; c++) { sa += part[c * stride + d]; sb += part[c * stride + d + 1]; }
        galpha[0] = (float) ((double) galpha[0] + (sa - sb) * residualSigmoid(alphaRaw[0]));
        gbeta[0] = (float) ((double) gbeta[0] + sb * residualSigmoid(betaRaw[0]));
    }
}

// ---------------------------------------------------------------------------------------------- sylvester

/**
 * Q = H_1⋯H_K (row i: e_iᵀ H_1 ⋯ H_K, one thread per row, H_k = I − 2 v_k v_kᵀ/‖v_k‖²) and the effective triangles
 * re, rte (upper, tanh on the diagonal, zero below), all [D, D] double.
 */
extern "C" __global__ void sylvesterPrepare(const float* v, const float* r, const float* rt, int k, int d, double* q, double* re,
                                            double* rte) {
    FLV_FOR(e, (long long) d * d) {
        int i = (int) (e / d), j = (int) (e % d);
        re[e] = j > i ? (double) r[e] : j == i ? tanh((double) r[e]) : 0.0;
        rte[e] = j > i ? (double) rt[e] : j == i ? tanh((double) rt[e]) : 0.0;
        if (e < d) {
            double* qi = q + e * d;
            for (int c = 0; c < d; c++) qi[c] = c == e ? 1.0 : 0.0;
            for (int kk = 0; kk < k; kk++) {
                const float* vk = v + (long long) kk * d;
                double dot = 0.0, nn = 0.0;
                for (int c = 0; c < d; c++) { dot += qi[c] * vk[c]; nn += (double) vk[c] * vk[c]; }
                double f = 2.0 * dot / nn;
                for (int c = 0; c < d; c++) qi[c] -= f * vk[c];
            }
        }
    }
}

/** x = z + Q R tanh(R̃ Qᵀ z + b), thread per row (work: [N, D] double); ld[r] += Σ log(1 + R_ii R̃_ii (1 − tanh² a_i)). x may be z. */
extern "C" __global__ void sylvesterInverse(const float* z, const float* b, const double* q, const double* re, const double* rte, int n,
                                            int d, double* work, float* x, float* ld) {
    FLV_FOR(r, n) {
        const float* zr = z + r * d;
        double* s = work + r * d;
        for (int j = 0; j < d; j++) {
            double acc = 0.0;
            for (int i = 0; i < d; i++) acc += q[(long long) i * d + j] * zr[i];
            s[j] = acc;
        }
        double l = 0.0;
        for (int i = 0; i < d; i++) {   // a_i reads s_j (j ≥ i): s_i may then hold h_i
            double a = b[i];
            for (int j = i; j < d; j++) a += rte[(long long) i * d + j] * s[j];
            double h = tanh(a);
            l += log1p(re[(long long) i * d + i] * rte[(long long) i * d + i] * (1.0 - h * h));
            s[i] = h;
        }
        for (int i = 0; i < d; i++) {   // p_i reads h_j (j ≥ i): s_i may then hold p_i
            double p = 0.0;
            for (int j = i; j < d; j++) p += re[(long long) i * d + j] * s[j];
            s[i] = p;
        }
        for (int i = 0; i < d; i++) {
            double acc = zr[i];
            for (int j = 0; j < d; j++) acc += q[(long long) i * d + j] * s[j];
            x[r * d + i] = (float) acc;
        }
        ld[r] = (float) ((double) ld[r] + l);
    }
}

/**
 * Stage 1 of sylvesterInverseBackward, thread per row: gz = gx + Q R̃ᵀ g_a (overwritten) and the row's vectors for the
 * parameter gradients, rows [N][7][D] double: s = Qᵀz, h = tanh a, p = R h, g_p = Qᵀ gx, g_a, g_s = R̃ᵀ g_a, e = gL·sp/(1 + R_ii R̃_ii sp).
 */
extern "C" __global__ void sylvesterInverseBackwardRows(const float* z, const float* gx, const float* gLd, const float* b, const double* q,
                                                        const double* re, const double* rte, int n, int d, double* rows, float* gz) {
    FLV_FOR(r, n) {
        const float* zr = z + r * d;
        const float* gr = gx + r * d;
        double* s = rows + r * 7LL * d;
        double *h = s + d, *p = s + 2 * d, *gp = s + 3 * d, *ga = s + 4 * d, *gs = s + 5 * d, *e = s + 6 * d;
        double gl = gLd[r];
        for (int j = 0; j < d; j++) {
            double acc = 0.0, acg = 0.0;
            for (int i = 0; i < d; i++) { double qij = q[(long long) i * d + j]; acc += qij * zr[i]; acg += qij * gr[i]; }
            s[j] = acc;
            gp[j] = acg;
        }
        for (int i = 0; i < d; i++) {
            double a = b[i];
            for (int j = i; j < d; j++) a += rte[(long long) i * d + j] * s[j];
            h[i] = tanh(a);
        }
        for (int i = 0; i < d; i++) {
            double acc = 0.0;
            for (int j = i; j < d; j++) acc += re[(long long) i * d + j] * h[j];
            p[i] = acc;
        }
        for (int j = 0; j < d; j++) {   // g_h = Rᵀ g_p + the ld⁻¹ term, then g_a = g_h ⊙ (1 − h²)
            double acc = 0.0;
            for (int i = 0; i <= j; i++) acc += re[(long long) i * d + j] * gp[i];
            double rr = re[(long long) j * d + j] * rte[(long long) j * d + j], sp = 1.0 - h[j] * h[j], den = 1.0 + rr * sp;
            e[j] = gl * sp / den;
            acc += gl * rr * (-2.0 * h[j]) / den;
            ga[j] = acc * sp;
        }
        for (int j = 0; j < d; j++) {
            double acc = 0.0;
            for (int i = 0; i <= j; i++) acc += rte[(long long) i * d + j] * ga[i];
            gs[j] = acc;
        }
        for (int i = 0; i < d; i++) {
            double acc = gr[i];
            for (int j = 0; j < d; j++) acc += q[(long long) i * d + j] * gs[j];
            gz[r * d + i] = (float) acc;
        }
    }
}

/**
 * Stage 2: grid (chunks, ⌈E/blockDim⌉), E = 3D² + 2D, thread per entry summing the chunk's rows in order:
 * part[chunk] = [G_Q = Σ gx pᵀ + z g_sᵀ | G_R = Σ g_p hᵀ | G_R̃ = Σ g_a sᵀ | Σ g_a | Σ e].
 */
extern "C" __global__ void sylvesterInverseBackwardPartials(const float* z, const float* gx, const double* rows, int n, int d, double* part) {
    long long dd = (long long) d * d, entries = 3 * dd + 2LL * d;
    long long idx = (long long) blockIdx.y * blockDim.x + threadIdx.x;
    int chunk = blockIdx.x, lo = chunk * RESIDUAL_CHUNK, hi = min(n, lo + RESIDUAL_CHUNK);
    if (idx >= entries) return;
    double acc = 0.0;
    for (int r = lo; r < hi; r++) {
        const double* s = rows + r * 7LL * d;
        if (idx < dd) {
            int i = (int) (idx / d), j = (int) (idx % d);
            acc += (double) gx[(long long) r * d + i] * s[2 * d + j] + (double) z[(long long) r * d + i] * s[5 * d + j];
        } else if (idx < 2 * dd) {
            int i = (int) ((idx - dd) / d), j = (int) ((idx - dd) % d);
            acc += s[3 * d + i] * s[d + j];
        } else if (idx < 3 * dd) {
            int i = (int) ((idx - 2 * dd) / d), j = (int) ((idx - 2 * dd) % d);
            acc += s[4 * d + i] * s[j];
        } else if (idx < 3 * dd + d) {
            acc += s[4 * d + (idx - 3 * dd)];
        } else {
            acc += s[6 * d + (idx - 3 * dd - d)];
        }
    }
    part[(long long) chunk * entries + idx] = acc;
}

/**
 * Stage 3: thread per entry, the chunks in order. gq = G_Q (overwritten, double); gr, grt += G (strict upper triangle),
 * (G + R̃_ii Σe_i)·(1 − tanh² r_ii) on the diagonal (R̃ ↔ R for grt), nothing below; gb += Σ g_a.
 */
extern "C" __global__ void sylvesterInverseBackwardFinalize(const double* part, int chunks, int d, const float* r, const float* rt,
                                                            const double* re, const double* rte, double* gq, float* gr, float* grt,
                                                            float* gb) {
    long long dd = (long long) d * d, entries = 3 * dd + 2LL * d;
    FLV_FOR(idx, 3 * dd + d) {
        double s = 0.0;
        for (int c = 0; c < chunks; c++) s += part[c * entries + idx];
        if (idx < dd) {
            gq[idx] = s;
        } else if (idx < 3 * dd) {
            bool tilde = idx >= 2 * dd;
            long long e = idx - (tilde ? 2 * dd : dd);
            int i = (int) (e / d), j = (int) (e % d);
            float* g = tilde ? grt : gr;
            if (j > i) {
                g[e] = (float) ((double) g[e] + s);
            } else if (j == i) {
                double ei = 0.0;
                for (int c = 0; c < chunks; c++) ei += part[c * entries + 3 * dd + d + i];
                double other = tilde ? re[e] : rte[e], raw = tilde ? rt[e] : r[e], t = tanh(raw);
                g[e] = (float) ((double) g[e] + (s + other * ei) * (1.0 - t * t));
            }
        } else {
            long long j = idx - 3 * dd;
            gb[j] = (float) ((double) gb[j] + s);
        }
    }
}

/**
 * ∂L/∂v from G_Q, thread per row i of Q: from the row q = e_iᵀQ and g = G_Q row i, for k = K..1 undo the reflection
 * (q ← H_k q, H_k its own inverse), contrib[i][k] = −2(q(gᵀv) + (qᵀv)g)/n + 4(qᵀv)(gᵀv)v/n², then g ← H_k g.
 * work: [D][2D] double.
 */
extern "C" __global__ void sylvesterHouseholderBackward(const float* v, const double* q, const double* gq, int k, int d, double* work,
                                                        double* contrib) {
    FLV_FOR(i, d) {
        double* qi = work + i * 2LL * d;
        double* gi = qi + d;
        for (int c = 0; c < d; c++) { qi[c] = q[i * d + c]; gi[c] = gq[i * d + c]; }
        for (int kk = k - 1; kk >= 0; kk--) {
            const float* vk = v + (long long) kk * d;
            double nn = 0.0, a = 0.0;
            for (int c = 0; c < d; c++) { nn += (double) vk[c] * vk[c]; a += qi[c] * vk[c]; }
            for (int c = 0; c < d; c++) qi[c] -= 2.0 * a / nn * vk[c];
            double al = 0.0, be = 0.0;
            for (int c = 0; c < d; c++) { al += qi[c] * vk[c]; be += gi[c] * vk[c]; }
            double* out = contrib + (i * (long long) k + kk) * d;
            for (int c = 0; c < d; c++) out[c] = -2.0 * (qi[c] * be + al * gi[c]) / nn + 4.0 * al * be * vk[c] / (nn * nn);
            for (int c = 0; c < d; c++) gi[c] -= 2.0 * be / nn * vk[c];
        }
    }
}

/** gv[k, j] += Σ_i contrib[i][k][j], rows of Q in order (thread per entry of v). */
extern "C" __global__ void sylvesterHouseholderFinalize(const double* contrib, int k, int d, float* gv) {
    long long kd = (long long) k * d;
    FLV_FOR(e, kd) {
        double s = 0.0;
        for (int i = 0; i < d; i++) s += contrib[i * kd + e];
        gv[e] = (float) ((double) gv[e] + s);
    }
}
