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
