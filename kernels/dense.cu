// Fluvia CUDA kernels: the dense family (dev.fluvia.backend.dense) — the epilogues of the cuBLAS GEMMs of a linear layer
// (bias + activation), the activation backward, MADE's masked weights, and an element-wise activation.
#include "common.cuh"

/** linearForward epilogue after the cuBLAS GEMM y = x·wᵀ: a = y + bias; pre = a (pre may be null); y = act(a). */
extern "C" __global__ void linearForwardEpilogue(float* y, const float* __restrict__ bias, float* pre, int n, int out, int act) {
    FLV_FOR(i, (long long) n * out) {
        float a = y[i] + (bias == nullptr ? 0.f : bias[i % out]);
        if (pre != nullptr) pre[i] = a;
        y[i] = flvActivate(act, a);
    }
}

/**
 * prefixLinearForward: the linear layer whose weight row o is zero past column extent[o] (MADE with hidden units sorted by
 * degree): pre[r, o] = Σ_{k < extent[o]} x[r, k]·w[o, k] + bias[o] (float accumulator, k in order), y = act(pre). One thread
 * per output element, so the skipped blocks cost nothing; neighbouring threads share a row of x and read adjacent weight rows.
 */
extern "C" __global__ void prefixLinearForward(const float* __restrict__ x, const float* __restrict__ w, const int* __restrict__ extent,
                                               const float* __restrict__ bias, float* pre, float* y, int n, int in, int out, int act) {
    FLV_FOR(i, (long long) n * out) {
        int r = (int) (i / out), o = (int) (i % out), e = extent[o];
        const float* xr = x + (long long) r * in;
        const float* wr = w + (long long) o * in;
        float s = 0.f;
        for (int k = 0; k < e; k++) s = fmaf(xr[k], wr[k], s);
        float a = s + (bias == nullptr ? 0.f : bias[o]);
        if (pre != nullptr) pre[i] = a;
        y[i] = flvActivate(act, a);
    }
}

/**
 * prefixLinearBackward, the input gradient: gx[r, k] = Σ_{o : extent[o] > k} gpre[r, o]·w[o, k] (float accumulator, o in
 * order; w's entries past a row's extent are not read). One thread per element of gx; neighbouring threads share a row of
 * gpre and read adjacent columns of w.
 */
extern "C" __global__ void prefixLinearBackwardInput(const float* __restrict__ gpre, const float* __restrict__ w, const int* __restrict__ extent,
                                                     float* gx, int n, int in, int out) {
    FLV_FOR(i, (long long) n * in) {
        int r = (int) (i / in), k = (int) (i % in);
        const float* gr = gpre + (long long) r * out;
        float s = 0.f;
        for (int o = 0; o < out; o++)
            if (extent[o] > k) s = fmaf(gr[o], w[(long long) o * in + k], s);
        gx[i] = s;
    }
}

/**
 * prefixLinearBackward, the weight gradient: gw[o, k] += Σ_r gpre[r, o]·x[r, k] (float accumulator, r in order) for
 * k < extent[o]; the entries past a row's extent are not written. One thread per element of gw.
 */
extern "C" __global__ void prefixLinearBackwardWeight(const float* __restrict__ gpre, const float* __restrict__ x, const int* __restrict__ extent,
                                                      float* gw, int n, int in, int out) {
    FLV_FOR(i, (long long) out * in) {
        int o = (int) (i / in), k = (int) (i % in);
        if (k >= extent[o]) continue;
        float s = 0.f;
        for (int r = 0; r < n; r++) s = fmaf(gpre[(long long) r * out + o], x[(long long) r * in + k], s);
        gw[i] += s;
    }
}

/** gpre = gy ⊙ act'(pre, y); pre may equal y (identity, relu, tanh need only y), gpre may equal gy. */
extern "C" __global__ void activationBackward(const float* pre, const float* y, const float* gy, float* gpre, long long count, int act) {
    FLV_FOR(i, count) gpre[i] = gy[i] * flvActivationDerivative(act, pre[i], y[i]);
}

/** out = w ⊙ mask (out may be w). */
extern "C" __global__ void applyMask(const float* w, const float* __restrict__ mask, float* out, long long count) {
    FLV_FOR(i, count) out[i] = w[i] * mask[i];
}

/** y = act(x). */
extern "C" __global__ void activate(const float* __restrict__ x, float* __restrict__ y, long long n, int act) {
    FLV_FOR(i, n) y[i] = flvActivate(act, x[i]);
}
