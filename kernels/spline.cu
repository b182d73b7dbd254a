// Fluvia CUDA kernels: the rational-quadratic spline (docs/FLOWS.md "Rational-quadratic spline in Fluvia").
//   rqSplineForward / rqSplineInverse (warp per row, one lane per element, per-row log-det in double) and
//   rqSplineBackward (one thread per element). Bin search and evaluation are fused: each thread takes its element's
//   P = 3K − 1 unnormalised values, forms the softmax of widths and heights and the cumulative knots on the fly (no
//   per-thread arrays, any K), finds the bin by a scan of the knots, evaluates the bin's rational quadratic and its
//   log-derivative, and (backward) runs reverse mode through the bin formula, the knots and the softmax.
// Layout: x, y [N, D]; h [N, D·P], element (n, j) at h[(n·D + j)·P ..]: [uw_0..uw_{K−1} | uh_0..uh_{K−1} | ud_1..ud_{K−1}].
// Outside [−B, B] the map is the identity with log-det 0 (linear tails). The CPU body (CpuSpline) is this code in Java.
#include "common.cuh"

/** The softmax of u[0..K−1]: its maximum and Σ exp(u − max). */
__device__ __forceinline__ void splineSoftmaxStats(const float* u, int K, float* mx, float* sum) {
    float m = u[0];
    for (int i = 1; i < K; i++) m = fmaxf(m, u[i]);
    float s = 0.f;
    for (int i = 0; i < K; i++) s += expf(u[i] - m);
    *mx = m;
    *sum = s;
}

/** Knot j (0..K) of the axis with softmax stats (mx, sum): −B + 2B·Σ_{i<j} (m + (1 − K·m)·σ_i); knot K is B exactly. */
__device__ __forceinline__ float splineKnot(const float* u, int K, float mx, float sum, float minSize, float bound, int j) {
    if (j == K) return bound;
    float c = 0.f, scale = 1.f - K * minSize;
    for (int i = 0; i < j; i++) c += minSize + scale * (expf(u[i] - mx) / sum);
    return -bound + 2.f * bound * c;
}

/** The bin k of v (knot_k ≤ v < knot_{k+1}, the last bin closed) on the axis u; writes its left knot and width, and (hi
 *  not null) its right knot. */
__device__ __forceinline__ int splineBin(const float* u, int K, float mx, float sum, float minSize, float bound, float v,
                                         float* lo, float* width, float* hi) {
    float c = 0.f, scale = 1.f - K * minSize, left = -bound;
    for (int k = 0; k < K; k++) {
        c += minSize + scale * (expf(u[k] - mx) / sum);
        float right = k == K - 1 ? bound : -bound + 2.f * bound * c;
        if (v < right || k == K - 1) {
            *lo = left;
            *width = right - left;
            if (hi != nullptr) *hi = right;
            return k;
        }
        left = right;
    }
    return K - 1; // not reached
}

__device__ __forceinline__ float splineSoftplus(float v) { return fmaxf(v, 0.f) + log1pf(expf(-fabsf(v))); }

__device__ __forceinline__ float splineSigmoid(float v) {
    if (v >= 0.f) return 1.f / (1.f + expf(-v));
    float e = expf(v);
    return e / (1.f + e);
}

/** Derivative at knot j: 1 at the ends, m_d + softplus(ud_j + c₀) inside. */
__device__ __forceinline__ float splineDerivative(const float* ud, int K, float minD, float c0, int j) {
    return (j == 0 || j == K) ? 1.f : minD + splineSoftplus(ud[j - 1] + c0);
}

/** c₀ = log(e^{1 − m_d} − 1), computed in double (as the CPU body does). */
__device__ __forceinline__ float splineC0(float minD) { return (float) log(expm1(1.0 - (double) minD)); }

/** g(x) and log g'(x) of one element (tails: x and 0). */
__device__ __forceinline__ void splineForwardOne(const float* p, int K, float bound, float minW, float minH, float minD, float c0,
                                                 float x, float* y, float* logd) {
    if (!(x >= -bound && x <= bound)) { *y = x; *logd = 0.f; return; }
    const float *uw = p, *uh = p + K, *ud = p + 2 * K;
    float mw, sw, mh, sh;
    splineSoftmaxStats(uw, K, &mw, &sw);
    splineSoftmaxStats(uh, K, &mh, &sh);
    float xk = -bound, w = 2.f * bound;
    int k = splineBin(uw, K, mw, sw, minW, bound, x, &xk, &w, nullptr);
    float yk = splineKnot(uh, K, mh, sh, minH, bound, k), h = splineKnot(uh, K, mh, sh, minH, bound, k + 1) - yk;
    float s = h / w, xi = fminf(1.f, fmaxf(0.f, (x - xk) / w)), t = xi * (1.f - xi);
    float dk = splineDerivative(ud, K, minD, c0, k), dk1 = splineDerivative(ud, K, minD, c0, k + 1);
    float den = s + (dk1 + dk - 2.f * s) * t;
    *y = yk + h * (s * xi * xi + dk * t) / den;
    float m = dk1 * xi * xi + 2.f * s * t + dk * (1.f - xi) * (1.f - xi);
    *logd = 2.f * logf(s) + logf(m) - 2.f * logf(den);
}

/**
 * g⁻¹(y) by the stable root of the bin's quadratic, and −log g'(x) (tails: y and 0). The root is taken from the nearer end
 * of the bin: with q the fraction of the bin's width measured from that end (ξ = q from the left knot, ξ = 1 − q from the
 * right one: the bin's rational quadratic mirrored, d_k and d_{k+1} swapped), Δ the distance of y from that end and Δ'
 * from the other (both formed directly from the knots), a q² + b q + c = 0 with b = h·d₀ − Δ·e, c = −s·Δ and the
 * discriminant b² − 4ac = (h·d₀ − Δ·(d₀ + d₁))² + 4s²·Δ·Δ', a sum of two terms ≥ 0. (The one-sided b² − 4ac of two terms
 * ~4s²h² that cancel to ~h² in a steep bin put an error of ~ε·s on ξ near the bin's right end and ~2ε·s² on the log-det:
 * 1e-4 at y = B. Now y = B gives x = B and log-det 0 exactly.)
 */
__device__ __forceinline__ void splineInverseOne(const float* p, int K, float bound, float minW, float minH, float minD, float c0,
                                                 float y, float* x, float* logd) {
    if (!(y >= -bound && y <= bound)) { *x = y; *logd = 0.f; return; }
    const float *uw = p, *uh = p + K, *ud = p + 2 * K;
    float mw, sw, mh, sh;
    splineSoftmaxStats(uw, K, &mw, &sw);
    splineSoftmaxStats(uh, K, &mh, &sh);
    float yk = -bound, h = 2.f * bound, yk1 = bound;
    int k = splineBin(uh, K, mh, sh, minH, bound, y, &yk, &h, &yk1);
    float xk = splineKnot(uw, K, mw, sw, minW, bound, k), xk1 = splineKnot(uw, K, mw, sw, minW, bound, k + 1), w = xk1 - xk;
    float s = h / w;
    float dk = splineDerivative(ud, K, minD, c0, k), dk1 = splineDerivative(ud, K, minD, c0, k + 1);
    float e = dk1 + dk - 2.f * s, dl = y - yk, dr = yk1 - y;
    bool fromRight = dr < dl;
    float d0 = fromRight ? dk1 : dk, d1 = fromRight ? dk : dk1, near = fromRight ? dr : dl, far = fromRight ? dl : dr;
    float b = h * d0 - near * e, c = -s * near, u = h * d0 - near * (d0 + d1);
    float disc = fmaxf(0.f, u * u + 4.f * s * s * near * far);
    float denom = -b - sqrtf(disc);
    float q = denom == 0.f ? 0.f : 2.f * c / denom;
    q = fminf(1.f, fmaxf(0.f, q));
    *x = fromRight ? xk1 - q * w : xk + q * w;
    float t = q * (1.f - q), den = s + e * t;
    float m = d1 * q * q + 2.f * s * t + d0 * (1.f - q) * (1.f - q);
    *logd = -(2.f * logf(s) + logf(m) - 2.f * logf(den));
}

/** The row loop of forward and inverse (as CpuSpline.rows): out = g(in) or g⁻¹(in) element-wise, ld[n] += the row's
 *  log-derivatives (double sum). A warp per row, a lane per element; out may alias in. */
__device__ __forceinline__ void splineRows(const float* in, const float* __restrict__ h, int n, int d, int bins, float bound,
                                           float minWidth, float minHeight, float minDerivative, float* out, float* ld, bool inverse) {
    int lane = threadIdx.x & (FLV_WARP - 1);
    int P = 3 * bins - 1;
    float c0 = splineC0(minDerivative);
    FLV_FOR_ROWS_BY_WARP(r, n) {
        double acc = 0.0;
        for (int j = lane; j < d; j += FLV_WARP) {
            long long e = r * d + j;
            float ov, lv;
            if (inverse) splineInverseOne(h + e * P, bins, bound, minWidth, minHeight, minDerivative, c0, in[e], &ov, &lv);
            else splineForwardOne(h + e * P, bins, bound, minWidth, minHeight, minDerivative, c0, in[e], &ov, &lv);
            out[e] = ov;
            acc += lv;
        }
        acc = flvWarpSum(acc);
        if (lane == 0) ld[r] = (float) ((double) ld[r] + acc);
    }
}

/** y = g(x) element-wise; ld[n] += Σ_j log g'(x[n, j]) (double sum per row). y may alias x. */
extern "C" __global__ void rqSplineForward(const float* x, const float* __restrict__ h, int n, int d, int bins, float bound,
                                           float minWidth, float minHeight, float minDerivative, float* y, float* ld) {
    splineRows(x, h, n, d, bins, bound, minWidth, minHeight, minDerivative, y, ld, false);
}

/** x = g⁻¹(y) element-wise; ld[n] += −Σ_j log g'(x[n, j]). x may alias y. */
extern "C" __global__ void rqSplineInverse(const float* y, const float* __restrict__ h, int n, int d, int bins, float bound,
                                           float minWidth, float minHeight, float minDerivative, float* x, float* ld) {
    splineRows(y, h, n, d, bins, bound, minWidth, minHeight, minDerivative, x, ld, true);
}

/** ∂L/∂u of one axis: gp_i += (1 − K·m)·σ_i·(g_i − Σ g·σ), g_i = 2B·(gLo·[i < k] + gHi·[i < k+1 < K]). */
__device__ __forceinline__ void splineKnotGrad(const float* u, int K, float mx, float sum, float minSize, float bound, int k,
                                               float gLo, float gHi, float* gp) {
    float dot = 0.f;
    for (int i = 0; i < K; i++) {
        float gi = (i < k ? gLo : 0.f) + (i < k + 1 && k + 1 < K ? gHi : 0.f);
        dot += 2.f * bound * gi * (expf(u[i] - mx) / sum);
    }
    float scale = 1.f - K * minSize;
    for (int i = 0; i < K; i++) {
        float gi = 2.f * bound * ((i < k ? gLo : 0.f) + (i < k + 1 && k + 1 < K ? gHi : 0.f));
        gp[i] += scale * (expf(u[i] - mx) / sum) * (gi - dot);
    }
}

/**
 * Backward of the forward direction, one thread per element: gx = ∂L/∂x (overwritten; tails: gy), gh += ∂L/∂h through the
 * bin's formula (gy) and its log-derivative (gLd of the row). Tail elements add nothing to gh. gx may alias gy.
 */
extern "C" __global__ void rqSplineBackward(const float* __restrict__ x, const float* __restrict__ h, int n, int d, int bins,
                                            float bound, float minWidth, float minHeight, float minDerivative,
                                            const float* gy, const float* __restrict__ gLd, float* gx, float* __restrict__ gh) {
    int K = bins, P = 3 * bins - 1;
    float c0 = splineC0(minDerivative);
    FLV_FOR(e, (long long) n * d) {
        float xv = x[e], g = gy[e];
        if (!(xv >= -bound && xv <= bound)) { gx[e] = g; continue; }
        float gl = gLd[e / d];
        const float* p = h + e * P;
        const float *uw = p, *uh = p + K, *ud = p + 2 * K;
        float* gp = gh + e * P;
        float mw, sw, mh, sh;
        splineSoftmaxStats(uw, K, &mw, &sw);
        splineSoftmaxStats(uh, K, &mh, &sh);
        float xk = -bound, w = 2.f * bound;
        int k = splineBin(uw, K, mw, sw, minWidth, bound, xv, &xk, &w, nullptr);
        float yk = splineKnot(uh, K, mh, sh, minHeight, bound, k), hh = splineKnot(uh, K, mh, sh, minHeight, bound, k + 1) - yk;
        float s = hh / w, xi = fminf(1.f, fmaxf(0.f, (xv - xk) / w)), t = xi * (1.f - xi);
        float dk = splineDerivative(ud, K, minDerivative, c0, k), dk1 = splineDerivative(ud, K, minDerivative, c0, k + 1);
        float ee = dk1 + dk - 2.f * s, den = s + ee * t, num = s * xi * xi + dk * t;
        float m = dk1 * xi * xi + 2.f * s * t + dk * (1.f - xi) * (1.f - xi);
        float gyk = g, gH = g * num / den, gN = g * hh / den;
        float gD = -g * hh * num / (den * den) - 2.f * gl / den;
        float gs = 2.f * gl / s, gM = gl / m;
        float gdk1 = gM * xi * xi, gdk = gM * (1.f - xi) * (1.f - xi), gxi = gM * (2.f * dk1 * xi - 2.f * dk * (1.f - xi)), gt = gM * 2.f * s;
        gs += gM * 2.f * t;
        gs += gN * xi * xi; gxi += gN * 2.f * s * xi; gdk += gN * t; gt += gN * dk;
        gs += gD; float ge = gD * t; gt += gD * ee;
        gdk1 += ge; gdk += ge; gs -= 2.f * ge;
        gxi += gt * (1.f - 2.f * xi);
        gH += gs / w; float gw = -gs * hh / (w * w);
        float gX = gxi / w, gxk = -gxi / w; gw -= gxi * xi / w;
        float gxk1 = gw; gxk -= gw;
        float gyk1 = gH; gyk -= gH;
        gx[e] = gX;
        splineKnotGrad(uw, K, mw, sw, minWidth, bound, k, gxk, gxk1, gp);
        splineKnotGrad(uh, K, mh, sh, minHeight, bound, k, gyk, gyk1, gp + K);
        if (k >= 1) gp[2 * K + k - 1] += gdk * splineSigmoid(ud[k - 1] + c0);
        if (k + 1 <= K - 1) gp[2 * K + k] += gdk1 * splineSigmoid(ud[k] + c0);
    }
}
