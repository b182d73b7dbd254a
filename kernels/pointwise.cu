// Fluvia CUDA kernels: the pointwise family (docs/FLOWS.md "Element-wise" and "1-D mixture-of-Gaussians CDF flow").
//   The element-wise bijections sigmoid, logit_map, tanh, leaky_relu (learned log-slope a) and scalar_affine (learned
//   log-scale s and shift t): <kind>Forward / <kind>Inverse (warp per row, one lane per element, per-row log-det in
//   double), <kind>Backward and <kind>InverseBackward (one thread per element; the learned kinds write per-block partials
//   of their scalar gradients, summed in block order by pointwiseParamsFinalize), in float32 with the forms that stay
//   finite in the tails (log σ' = −|x| − 2·log1p(e^{−|x|}), f' = exp(log f')).
//   The mixture-of-Gaussians CDF flow: mixCdfForward / mixCdfInverse (warp per row) and mixCdfBackwardPartials (thread per
//   (chunk of 64 rows, dimension): per-chunk partials of the [D, K] gradients, summed by the reduce family's
//   columnSumAccumulate), in float64 per element: log Φ of each component by the Maclaurin series of erf (|u| ≤ 2) or the
//   continued fraction of erfc (beyond), kept in the log domain; log-sum-exps in one pass (running maximum); the inverse by
//   Newton steps safeguarded by bisection on a bracket widened until it holds the root.
//   Domains: the ops that can meet an input outside their domain take `bad`: each block writes the smallest flat index of
//   such an element it saw (1e300 for none) and pointwiseFirstBad reduces them to one value that the host reads back.
// Layout: x, y [N, D] row-major; ld, gLd [N]; scalar parameters [1]; mixture parameters [D, K]. CpuPointwise is this code in Java.
#include "common.cuh"

#define PW_SIGMOID 0
#define PW_LOGIT_MAP 1
#define PW_TANH 2
#define PW_LEAKY_RELU 3
#define PW_SCALAR_AFFINE 4
#define PW_NONE 1e300          // "no element outside the domain" in a bad-index partial
#define PW_CHUNK 64            // rows per partial of mixCdfBackwardPartials (CudaContext.CHUNK)
#define PW_LN2 0.693147180559945309417232121458176568
#define PW_PI 3.141592653589793

__device__ __forceinline__ float pwSigmoid(float v) {
    if (v >= 0.f) return 1.f / (1.f + expf(-v));
    float e = expf(v);
    return e / (1.f + e);
}

__device__ __forceinline__ float pwSoftplus(float v) { return fmaxf(v, 0.f) + log1pf(expf(-fabsf(v))); }

/** y = f(x). a, b: the learned scalars (leaky_relu: a = log-slope; scalar_affine: a = log-scale, b = shift). */
__device__ __forceinline__ float pwF(int kind, float x, float a, float b) {
    switch (kind) {
        case PW_SIGMOID: return pwSigmoid(x);
        case PW_LOGIT_MAP: return logf(x) - log1pf(-x);
        case PW_TANH: return tanhf(x);
        case PW_LEAKY_RELU: return x >= 0.f ? x : expf(a) * x;
        default: return expf(a) * x + b;
    }
}

/** x = f⁻¹(y). */
__device__ __forceinline__ float pwInv(int kind, float y, float a, float b) {
    switch (kind) {
        case PW_SIGMOID: return logf(y) - log1pf(-y);
        case PW_LOGIT_MAP: return pwSigmoid(y);
        case PW_TANH: return 0.5f * (log1pf(y) - log1pf(-y));
        case PW_LEAKY_RELU: return y >= 0.f ? y : expf(-a) * y;
        default: return (y - b) * expf(-a);
    }
}

/** log f'(x). */
__device__ __forceinline__ float pwLogDeriv(int kind, float x, float a, float b) {
    switch (kind) {
        case PW_SIGMOID: { float m = fabsf(x); return -m - 2.f * log1pf(expf(-m)); }
        case PW_LOGIT_MAP: return -logf(x) - log1pf(-x);
        case PW_TANH: return 2.f * ((float) PW_LN2 - x - pwSoftplus(-2.f * x));
        case PW_LEAKY_RELU: return x >= 0.f ? 0.f : a;
        default: return a;
    }
}

/** f'(x) (sigmoid, tanh: exp of log f', which does not round to 0 where 1 − tanh² would). */
__device__ __forceinline__ float pwDeriv(int kind, float x, float a, float b) {
    switch (kind) {
        case PW_SIGMOID: case PW_TANH: return expf(pwLogDeriv(kind, x, a, b));
        case PW_LOGIT_MAP: return 1.f / (x * (1.f - x));
        case PW_LEAKY_RELU: return x >= 0.f ? 1.f : expf(a);
        default: return expf(a);
    }
}

/** (log f')'(x). */
__device__ __forceinline__ float pwLogDerivDeriv(int kind, float x, float a, float b) {
    switch (kind) {
        case PW_SIGMOID: return -tanhf(0.5f * x);   // 1 − 2σ(x)
        case PW_LOGIT_MAP: return -1.f / x + 1.f / (1.f - x);
        case PW_TANH: return -2.f * tanhf(x);
        default: return 0.f;
    }
}

/** Whether v lies in the domain of the map being applied (the forward's, or with inverse the inverse's). NaN: outside. */
__device__ __forceinline__ bool pwInDomain(int kind, bool inverse, float v) {
    if (kind == PW_SIGMOID && inverse) return v > 0.f && v < 1.f;
    if (kind == PW_LOGIT_MAP && !inverse) return v > 0.f && v < 1.f;
    if (kind == PW_TANH && inverse) return v > -1.f && v < 1.f;
    return true;
}

/** acc0 += gy·∂f/∂a + gl·∂log f'/∂a; acc1 += gy·∂f/∂b + gl·∂log f'/∂b. */
__device__ __forceinline__ void pwParamGrad(int kind, float x, float gy, float gl, float a, double* acc0, double* acc1) {
    if (kind == PW_LEAKY_RELU) {
        if (x < 0.f) *acc0 += (double) (gy * expf(a) * x + gl);
    } else if (kind == PW_SCALAR_AFFINE) {
        *acc0 += (double) (gy * expf(a) * x + gl);
        *acc1 += (double) gy;
    }
}

/** Minimum over the block (fixed tree; scratch: 33 doubles of shared memory). Call from uniform control flow. */
__device__ __forceinline__ double pwBlockMin(double v, double* scratch) {
    int lane = threadIdx.x & (FLV_WARP - 1), warp = threadIdx.x / FLV_WARP, warps = blockDim.x / FLV_WARP;
    for (int o = FLV_WARP / 2; o > 0; o >>= 1) v = fmin(v, __shfl_xor_sync(FLV_FULL_MASK, v, o));
    __syncthreads();
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    if (warp == 0) {
        double w = lane < warps ? scratch[lane] : PW_NONE;
        for (int o = FLV_WARP / 2; o > 0; o >>= 1) w = fmin(w, __shfl_xor_sync(FLV_FULL_MASK, w, o));
        if (lane == 0) scratch[32] = w;
    }
    __syncthreads();
    return scratch[32];
}

/** The scalars a, b of a learned kind (0 where the pointer is null). */
__device__ __forceinline__ float pwScalar(const float* p) { return p == nullptr ? 0.f : p[0]; }

/**
 * The row loop of every element-wise forward and inverse: out = f(in) (or f⁻¹(in)); ld[r] += Σ log f'(x) (inverse:
 * −Σ log f'(x) at x = f⁻¹(y), logit_map's from y directly: log σ'(y)); bad (nullable) [gridDim.x]: the block's smallest
 * flat index of an input outside the domain. A warp per row; out may alias in.
 */
__device__ __forceinline__ void pwRows(int kind, bool inverse, const float* in, const float* pa, const float* pb, int n, int d,
                                       float* out, float* ld, double* bad) {
    __shared__ double scratch[33];
    int lane = threadIdx.x & (FLV_WARP - 1);
    float a = pwScalar(pa), b = pwScalar(pb);
    double first = PW_NONE;
    FLV_FOR_ROWS_BY_WARP(r, n) {
        double acc = 0.0;
        for (int j = lane; j < d; j += FLV_WARP) {
            long long e = r * d + j;
            float v = in[e];
            if (!pwInDomain(kind, inverse, v)) first = fmin(first, (double) e);
            float o, l;
            if (!inverse) { o = pwF(kind, v, a, b); l = pwLogDeriv(kind, v, a, b); }
            else if (kind == PW_LOGIT_MAP) { o = pwInv(kind, v, a, b); l = pwLogDeriv(PW_SIGMOID, v, a, b); }
            else { o = pwInv(kind, v, a, b); l = -pwLogDeriv(kind, o, a, b); }
            out[e] = o;
            acc += (double) l;
        }
        acc = flvWarpSum(acc);
        if (lane == 0) ld[r] = (float) ((double) ld[r] + acc);
    }
    if (bad != nullptr) {
        first = pwBlockMin(first, scratch);
        if (threadIdx.x == 0) bad[blockIdx.x] = first;
    }
}

/**
 * The element loop of every element-wise backward: forward direction gOut = gx = g·f'(x) + gl·(log f')'(x); generative
 * direction (inverse) gOut = gy = w = (g − gl·(log f')'(x)) / f'(x) with the parameter gradient taken at (−w, −gl).
 * part (nullable; learned kinds) [2][gridDim.x]: the block's sums of the two scalar gradients. gOut may alias g.
 */
__device__ __forceinline__ void pwBack(int kind, bool inverse, const float* __restrict__ x, const float* pa, const float* pb,
                                       const float* g, const float* __restrict__ gLd, int n, int d, float* gOut, double* part) {
    __shared__ double scratch[33];
    float a = pwScalar(pa), b = pwScalar(pb);
    double acc0 = 0.0, acc1 = 0.0;
    FLV_FOR(e, (long long) n * d) {
        float xv = x[e], gv = g[e], gl = gLd[e / d];
        if (!inverse) {
            gOut[e] = gv * pwDeriv(kind, xv, a, b) + gl * pwLogDerivDeriv(kind, xv, a, b);
            pwParamGrad(kind, xv, gv, gl, a, &acc0, &acc1);
        } else {
            float w = (gv - gl * pwLogDerivDeriv(kind, xv, a, b)) / pwDeriv(kind, xv, a, b);
            gOut[e] = w;
            pwParamGrad(kind, xv, -w, -gl, a, &acc0, &acc1);
        }
    }
    if (part != nullptr) {
        acc0 = flvBlockSum(acc0, scratch);
        acc1 = flvBlockSum(acc1, scratch);
        if (threadIdx.x == 0) { part[blockIdx.x] = acc0; part[gridDim.x + blockIdx.x] = acc1; }
    }
}

// ------------------------------------------------------------------ sigmoid

/** y = σ(x); ld[r] += Σ_j log σ'(x). y may alias x. */
extern "C" __global__ void sigmoidForward(const float* x, int n, int d, float* y, float* ld) {
    pwRows(PW_SIGMOID, false, x, nullptr, nullptr, n, d, y, ld, nullptr);
}

/** x = logit(y); ld[r] −= Σ_j log σ'(x); bad [gridDim.x]: first index with y ∉ (0, 1) per block. */
extern "C" __global__ void sigmoidInverse(const float* y, int n, int d, float* x, float* ld, double* bad) {
    pwRows(PW_SIGMOID, true, y, nullptr, nullptr, n, d, x, ld, bad);
}

/** gx = gy·σ'(x) + gLd·(1 − 2σ(x)). */
extern "C" __global__ void sigmoidBackward(const float* __restrict__ x, const float* gy, const float* __restrict__ gLd, int n, int d, float* gx) {
    pwBack(PW_SIGMOID, false, x, nullptr, nullptr, gy, gLd, n, d, gx, nullptr);
}

/** gy = (gx − gLd·(1 − 2σ(x))) / σ'(x). */
extern "C" __global__ void sigmoidInverseBackward(const float* __restrict__ x, const float* gx, const float* __restrict__ gLd, int n, int d, float* gy) {
    pwBack(PW_SIGMOID, true, x, nullptr, nullptr, gx, gLd, n, d, gy, nullptr);
}

// ------------------------------------------------------------------ logit_map

/** y = logit(x); ld[r] += Σ_j −log x − log(1 − x); bad [gridDim.x]: first index with x ∉ (0, 1) per block. */
extern "C" __global__ void logitMapForward(const float* x, int n, int d, float* y, float* ld, double* bad) {
    pwRows(PW_LOGIT_MAP, false, x, nullptr, nullptr, n, d, y, ld, bad);
}

/** x = σ(y); ld[r] += Σ_j log σ'(y). */
extern "C" __global__ void logitMapInverse(const float* y, int n, int d, float* x, float* ld) {
    pwRows(PW_LOGIT_MAP, true, y, nullptr, nullptr, n, d, x, ld, nullptr);
}

/** gx = gy/(x(1 − x)) + gLd·(1/(1 − x) − 1/x). */
extern "C" __global__ void logitMapBackward(const float* __restrict__ x, const float* gy, const float* __restrict__ gLd, int n, int d, float* gx) {
    pwBack(PW_LOGIT_MAP, false, x, nullptr, nullptr, gy, gLd, n, d, gx, nullptr);
}

/** gy = (gx − gLd·(1/(1 − x) − 1/x))·x(1 − x). */
extern "C" __global__ void logitMapInverseBackward(const float* __restrict__ x, const float* gx, const float* __restrict__ gLd, int n, int d, float* gy) {
    pwBack(PW_LOGIT_MAP, true, x, nullptr, nullptr, gx, gLd, n, d, gy, nullptr);
}

// ------------------------------------------------------------------ tanh

/** y = tanh x; ld[r] += Σ_j 2(log 2 − x − softplus(−2x)). */
extern "C" __global__ void tanhForward(const float* x, int n, int d, float* y, float* ld) {
    pwRows(PW_TANH, false, x, nullptr, nullptr, n, d, y, ld, nullptr);
}

/** x = atanh y; ld[r] −= Σ_j log tanh'(x); bad [gridDim.x]: first index with y ∉ (−1, 1) per block. */
extern "C" __global__ void tanhInverse(const float* y, int n, int d, float* x, float* ld, double* bad) {
    pwRows(PW_TANH, true, y, nullptr, nullptr, n, d, x, ld, bad);
}

/** gx = gy·tanh'(x) − 2·gLd·tanh x. */
extern "C" __global__ void tanhBackward(const float* __restrict__ x, const float* gy, const float* __restrict__ gLd, int n, int d, float* gx) {
    pwBack(PW_TANH, false, x, nullptr, nullptr, gy, gLd, n, d, gx, nullptr);
}

/** gy = (gx + 2·gLd·tanh x) / tanh'(x). */
extern "C" __global__ void tanhInverseBackward(const float* __restrict__ x, const float* gx, const float* __restrict__ gLd, int n, int d, float* gy) {
    pwBack(PW_TANH, true, x, nullptr, nullptr, gx, gLd, n, d, gy, nullptr);
}

// ------------------------------------------------------------------ leaky_relu

/** y = x (x ≥ 0) or e^a·x; ld[r] += a·#{x &lt; 0}. */
extern "C" __global__ void leakyReluForward(const float* x, const float* logSlope, int n, int d, float* y, float* ld) {
    pwRows(PW_LEAKY_RELU, false, x, logSlope, nullptr, n, d, y, ld, nullptr);
}

/** x = y (y ≥ 0) or e^{−a}·y; ld[r] −= a·#{y &lt; 0}. */
extern "C" __global__ void leakyReluInverse(const float* y, const float* logSlope, int n, int d, float* x, float* ld) {
    pwRows(PW_LEAKY_RELU, true, y, logSlope, nullptr, n, d, x, ld, nullptr);
}

/** gx = gy·f'(x); part [2][gridDim.x]: the block's Σ_{x<0} gy·e^a·x + gLd (and 0). Stage 2: pointwiseParamsFinalize. */
extern "C" __global__ void leakyReluBackwardPartials(const float* __restrict__ x, const float* logSlope, const float* gy,
                                                     const float* __restrict__ gLd, int n, int d, float* gx, double* part) {
    pwBack(PW_LEAKY_RELU, false, x, logSlope, nullptr, gy, gLd, n, d, gx, part);
}

/** gy = gx/f'(x); part: the block's −Σ_{x<0} gy·e^a·x + gLd. Stage 2: pointwiseParamsFinalize. */
extern "C" __global__ void leakyReluInverseBackwardPartials(const float* __restrict__ x, const float* logSlope, const float* gx,
                                                            const float* __restrict__ gLd, int n, int d, float* gy, double* part) {
    pwBack(PW_LEAKY_RELU, true, x, logSlope, nullptr, gx, gLd, n, d, gy, part);
}

// ------------------------------------------------------------------ scalar_affine

/** y = e^s·x + t; ld[r] += D·s (summed per element). */
extern "C" __global__ void scalarAffineForward(const float* x, const float* logScale, const float* shift, int n, int d, float* y, float* ld) {
    pwRows(PW_SCALAR_AFFINE, false, x, logScale, shift, n, d, y, ld, nullptr);
}

/** x = (y − t)·e^{−s}; ld[r] −= D·s. */
extern "C" __global__ void scalarAffineInverse(const float* y, const float* logScale, const float* shift, int n, int d, float* x, float* ld) {
    pwRows(PW_SCALAR_AFFINE, true, y, logScale, shift, n, d, x, ld, nullptr);
}

/** gx = gy·e^s; part [2][gridDim.x]: the block's Σ gy·e^s·x + gLd and Σ gy. Stage 2: pointwiseParamsFinalize. */
extern "C" __global__ void scalarAffineBackwardPartials(const float* __restrict__ x, const float* logScale, const float* shift, const float* gy,
                                                        const float* __restrict__ gLd, int n, int d, float* gx, double* part) {
    pwBack(PW_SCALAR_AFFINE, false, x, logScale, shift, gy, gLd, n, d, gx, part);
}

/** gy = gx·e^{−s}; part: the block's −Σ gy·e^s·x + gLd and −Σ gy. Stage 2: pointwiseParamsFinalize. */
extern "C" __global__ void scalarAffineInverseBackwardPartials(const float* __restrict__ x, const float* logScale, const float* shift, const float* gx,
                                                               const float* __restrict__ gLd, int n, int d, float* gy, double* part) {
    pwBack(PW_SCALAR_AFFINE, true, x, logScale, shift, gx, gLd, n, d, gy, part);
}

// ------------------------------------------------------------------ the two reductions (one block each)

/** g0[0] += Σ_b part[b], g1[0] += Σ_b part[blocks + b] (g1 nullable), in a fixed order. */
extern "C" __global__ void pointwiseParamsFinalize(const double* __restrict__ part, int blocks, float* g0, float* g1) {
    __shared__ double scratch[33];
    double s0 = 0.0, s1 = 0.0;
    for (int i = threadIdx.x; i < blocks; i += blockDim.x) { s0 += part[i]; s1 += part[blocks + i]; }
    s0 = flvBlockSum(s0, scratch);
    s1 = flvBlockSum(s1, scratch);
    if (threadIdx.x == 0) {
        g0[0] = (float) ((double) g0[0] + s0);
        if (g1 != nullptr) g1[0] = (float) ((double) g1[0] + s1);
    }
}

/** out[0] = min_b part[b] (1e300: every element inside the domain). */
extern "C" __global__ void pointwiseFirstBad(const double* __restrict__ part, int count, double* out) {
    __shared__ double scratch[33];
    double m = PW_NONE;
    for (int i = threadIdx.x; i < count; i += blockDim.x) m = fmin(m, part[i]);
    m = pwBlockMin(m, scratch);
    if (threadIdx.x == 0) out[0] = m;
}

// ------------------------------------------------------------------ the mixture-of-Gaussians CDF (float64 per element)

/** erf(u) by its Maclaurin series (|u| ≤ 2). */
__device__ __forceinline__ double pwErfSeries(double u) {
    double u2 = u * u, term = u, sum = u;
    for (int k = 1; k < 200; k++) {
        term *= -u2 / k;
        double add = term / (2 * k + 1);
        sum += add;
        if (fabs(add) < 1e-17 * fabs(sum)) break;
    }
    return 2.0 / sqrt(PW_PI) * sum;
}

/** log K(u), erfc(u) = e^{−u²}/√π·K(u), u > 2: K = 1/(u + (1/2)/(u + 1/(u + (3/2)/(u + …)))) (modified Lentz). */
__device__ __forceinline__ double pwLogCf(double u) {
    double tiny = 1e-300, f = u, c = u, dd = 0.0;
    for (int k = 1; k < 500; k++) {
        double a = k / 2.0;
        dd = u + a * dd;
        dd = fabs(dd) < tiny ? tiny : dd;
        c = u + a / c;
        c = fabs(c) < tiny ? tiny : c;
        dd = 1.0 / dd;
        double delta = c * dd;
        f *= delta;
        if (fabs(delta - 1.0) < 1e-16) break;
    }
    return -log(f);
}

/** log Φ(t) and log Φ(−t) from one evaluation of erf or of the continued fraction (u = −t/√2). */
__device__ __forceinline__ void pwLogPhiPair(double t, double* lc, double* ls) {
    double u = -t / sqrt(2.0), lu, lnu, logSqrtPi = 0.5 * log(PW_PI);
    if (fabs(u) <= 2.0) {
        double e = pwErfSeries(u);
        lu = log1p(-e);
        lnu = log1p(e);
    } else if (u > 2.0) {
        lu = -u * u - logSqrtPi + pwLogCf(u);
        lnu = log(2.0 - exp(lu));
    } else {
        lnu = -u * u - logSqrtPi + pwLogCf(-u);
        lu = log(2.0 - exp(lnu));
    }
    *lc = log(0.5) + lu;
    *ls = log(0.5) + lnu;
}

/** One step of a one-pass log-sum-exp: (m, s) with Σ e^v = e^m·s. */
__device__ __forceinline__ void pwLse(double v, double* m, double* s) {
    if (v > *m) { *s = *s * exp(*m - v) + 1.0; *m = v; }
    else *s += exp(v - *m);
}

/** log Σ_c e^{logits[c]} of one dimension's row. */
__device__ __forceinline__ double pwLogitsLse(const float* a, int k) {
    double m = -INFINITY, s = 0.0;
    for (int c = 0; c < k; c++) pwLse((double) a[c], &m, &s);
    return m + log(s);
}

/** log φ(t) − log σ + log π of a component, log Φ(±t) + log π, at x; t and σ returned. */
__device__ __forceinline__ void pwComponent(const float* a, const float* mu, const float* lsc, int c, double lse, double x,
                                            double* logQ, double* lcdf, double* lsurv, double* t, double* sd) {
    double lpi = (double) a[c] - lse, ls = (double) lsc[c];
    *sd = exp(ls);
    *t = (x - (double) mu[c]) / *sd;
    *logQ = lpi + (-0.5 * *t * *t - 0.5 * log(2.0 * PW_PI)) - ls;
    double lc, lv;
    pwLogPhiPair(*t, &lc, &lv);
    *lcdf = lpi + lc;
    *lsurv = lpi + lv;
}

/** log p, log F, log(1 − F) of one dimension at x (a, mu, lsc: that dimension's K parameters). */
__device__ __forceinline__ void pwMixEval(const float* a, const float* mu, const float* lsc, int k, double lse, double x,
                                          double* logP, double* logF, double* logG) {
    double mp = -INFINITY, sp = 0.0, mf = -INFINITY, sf = 0.0, mg = -INFINITY, sg = 0.0;
    for (int c = 0; c < k; c++) {
        double q, f, g, t, sd;
        pwComponent(a, mu, lsc, c, lse, x, &q, &f, &g, &t, &sd);
        pwLse(q, &mp, &sp);
        pwLse(f, &mf, &sf);
        pwLse(g, &mg, &sg);
    }
    *logP = mp + log(sp);
    *logF = mf + log(sf);
    *logG = mg + log(sg);
}

__device__ __forceinline__ double pwMixY(bool logit, double lp, double lf, double lg) { return logit ? lf - lg : exp(lf); }
__device__ __forceinline__ double pwMixLd(bool logit, double lp, double lf, double lg) { return logit ? lp - lf - lg : lp; }
__device__ __forceinline__ double pwMixDy(bool logit, double lp, double lf, double lg) {
    return logit ? exp(lp - lf) + exp(lp - lg) : exp(lp);
}

/** Solves y(x) = target (y increasing): a bracket around the components widened until it holds the root, then Newton steps
 *  that fall back to bisection when they leave it; stops when the step or the bracket is below 1e-13·(1 + |x|). */
__device__ __forceinline__ double pwMixSolve(const float* a, const float* mu, const float* lsc, int k, double lse, bool logit, double target) {
    double lo = INFINITY, hi = -INFINITY, width = 0.0, lp, lf, lg;
    for (int c = 0; c < k; c++) {
        lo = fmin(lo, (double) mu[c]);
        hi = fmax(hi, (double) mu[c]);
        width = fmax(width, exp((double) lsc[c]));
    }
    lo -= 10.0 * width;
    hi += 10.0 * width;
    for (int it = 0; it < 200; it++) { pwMixEval(a, mu, lsc, k, lse, lo, &lp, &lf, &lg); if (pwMixY(logit, lp, lf, lg) < target) break; lo -= (hi - lo); }
    for (int it = 0; it < 200; it++) { pwMixEval(a, mu, lsc, k, lse, hi, &lp, &lf, &lg); if (pwMixY(logit, lp, lf, lg) > target) break; hi += (hi - lo); }
    double x = 0.5 * (lo + hi);
    for (int it = 0; it < 300; it++) {
        pwMixEval(a, mu, lsc, k, lse, x, &lp, &lf, &lg);
        double g = pwMixY(logit, lp, lf, lg) - target;
        if (g == 0.0) return x;
        if (g > 0.0) hi = x; else lo = x;
        double next = x - g / pwMixDy(logit, lp, lf, lg);
        if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
        double step = fabs(next - x);
        x = next;
        if (step <= 1e-13 * (1.0 + fabs(x)) || hi - lo <= 1e-13 * (1.0 + fabs(x))) return x;
    }
    return x;
}

/** y = F(x) (logit: log F − log(1 − F)) per element; ld[r] += Σ_j log p (− log F − log(1 − F)). A warp per row; y may alias x. */
extern "C" __global__ void mixCdfForward(const float* x, const float* __restrict__ logits, const float* __restrict__ means,
                                         const float* __restrict__ logScales, int n, int d, int k, int logit, float* y, float* ld) {
    int lane = threadIdx.x & (FLV_WARP - 1);
    FLV_FOR_ROWS_BY_WARP(r, n) {
        double acc = 0.0;
        for (int j = lane; j < d; j += FLV_WARP) {
            long long e = r * d + j;
            const float *a = logits + (long long) j * k, *mu = means + (long long) j * k, *lsc = logScales + (long long) j * k;
            double lp, lf, lg;
            pwMixEval(a, mu, lsc, k, pwLogitsLse(a, k), (double) x[e], &lp, &lf, &lg);
            y[e] = (float) pwMixY(logit != 0, lp, lf, lg);
            acc += pwMixLd(logit != 0, lp, lf, lg);
        }
        acc = flvWarpSum(acc);
        if (lane == 0) ld[r] = (float) ((double) ld[r] + acc);
    }
}

/**
 * x = F⁻¹(y) per element (pwMixSolve); ld[r] −= Σ_j the forward's log-det at x; bad [gridDim.x]: the block's first index
 * with y non-finite or (without logit) outside (0, 1). A warp per row; x may alias y.
 */
extern "C" __global__ void mixCdfInverse(const float* y, const float* __restrict__ logits, const float* __restrict__ means,
                                         const float* __restrict__ logScales, int n, int d, int k, int logit, float* x, float* ld, double* bad) {
    __shared__ double scratch[33];
    int lane = threadIdx.x & (FLV_WARP - 1);
    double first = PW_NONE;
    FLV_FOR_ROWS_BY_WARP(r, n) {
        double acc = 0.0;
        for (int j = lane; j < d; j += FLV_WARP) {
            long long e = r * d + j;
            float v = y[e];
            bool inside = logit ? isfinite(v) : (v > 0.f && v < 1.f);
            if (!inside) { first = fmin(first, (double) e); x[e] = 0.f; continue; }
            const float *a = logits + (long long) j * k, *mu = means + (long long) j * k, *lsc = logScales + (long long) j * k;
            double lse = pwLogitsLse(a, k), lp, lf, lg;
            double xv = pwMixSolve(a, mu, lsc, k, lse, logit != 0, (double) v);
            pwMixEval(a, mu, lsc, k, lse, xv, &lp, &lf, &lg);
            x[e] = (float) xv;
            acc -= pwMixLd(logit != 0, lp, lf, lg);
        }
        acc = flvWarpSum(acc);
        if (lane == 0) ld[r] = (float) ((double) ld[r] + acc);
    }
    first = pwBlockMin(first, scratch);
    if (threadIdx.x == 0) bad[blockIdx.x] = first;
}

/**
 * Backward of mixCdfForward, one thread per (chunk of PW_CHUNK rows, dimension j): gx of its elements (overwritten; may
 * alias gy) and part [3][chunks][D·K] (∂L/∂logits, ∂L/∂means, ∂L/∂logScales of its chunk, written whole, summed over the
 * chunk's rows in order). Stage 2: columnSumAccumulate on each third. With q_c = π_c φ(t_c)/σ_c, r_c = q_c/p:
 * ∂log p/∂x = −Σ r_c t_c/σ_c, ∂log p/∂μ_c = r_c t_c/σ_c, ∂log p/∂log σ_c = r_c(t_c² − 1), ∂log p/∂a_c = r_c − π_c;
 * ∂F/∂x = p, ∂F/∂μ_c = −q_c, ∂F/∂log σ_c = −t_c σ_c q_c, ∂F/∂a_c = π_c(Φ(t_c) − F); with logit the quotients by F and
 * 1 − F are formed in the log domain.
 */
extern "C" __global__ void mixCdfBackwardPartials(const float* __restrict__ x, const float* __restrict__ logits, const float* __restrict__ means,
                                                  const float* __restrict__ logScales, const float* gy, const float* __restrict__ gLd,
                                                  int n, int d, int k, int logit, float* gx, double* __restrict__ part) {
    long long chunks = ((long long) n + PW_CHUNK - 1) / PW_CHUNK, dk = (long long) d * k;
    bool lg1 = logit != 0;
    FLV_FOR(tid, chunks * d) {
        long long chunk = tid / d;
        int j = (int) (tid % d);
        const float *a = logits + (long long) j * k, *mu = means + (long long) j * k, *lsc = logScales + (long long) j * k;
        double* ga = part + chunk * dk + (long long) j * k;
        double* gm = ga + chunks * dk;
        double* gs = gm + chunks * dk;
        for (int c = 0; c < k; c++) { ga[c] = 0.0; gm[c] = 0.0; gs[c] = 0.0; }
        double lse = pwLogitsLse(a, k);
        long long r1 = min((long long) n, (chunk + 1) * PW_CHUNK);
        for (long long r = chunk * PW_CHUNK; r < r1; r++) {
            long long e = r * d + j;
            double xv = (double) x[e], g = (double) gy[e], gl = (double) gLd[r], lp, lf, lgg;
            pwMixEval(a, mu, lsc, k, lse, xv, &lp, &lf, &lgg);
            double gxv = 0.0;
            for (int c = 0; c < k; c++) {
                double q, f, s, t, sd;
                pwComponent(a, mu, lsc, c, lse, xv, &q, &f, &s, &t, &sd);
                double rr = exp(q - lp), pi = exp((double) a[c] - lse);
                gxv += gl * (-rr * t / sd);
                gm[c] += gl * rr * t / sd;
                gs[c] += gl * rr * (t * t - 1.0);
                ga[c] += gl * (rr - pi);
                if (!lg1) {
                    double qc = exp(q);
                    gm[c] += g * -qc;
                    gs[c] += g * -t * sd * qc;
                    ga[c] += g * (exp(f) - pi * exp(lf));
                } else {
                    double qf = exp(q - lf), qg = exp(q - lgg);
                    double aMu = -qf, bMu = -qg, aS = -t * sd * qf, bS = -t * sd * qg;
                    double aA = exp(f - lf) - pi, bA = pi - exp(s - lgg);
                    gm[c] += g * (aMu + bMu) + gl * (-aMu + bMu);
                    gs[c] += g * (aS + bS) + gl * (-aS + bS);
                    ga[c] += g * (aA + bA) + gl * (-aA + bA);
                }
            }
            if (!lg1) gxv += g * exp(lp);
            else {
                double aX = exp(lp - lf), bX = exp(lp - lgg);
                gxv += g * (aX + bX) + gl * (-aX + bX);
            }
            gx[e] = (float) gxv;
        }
    }
}
