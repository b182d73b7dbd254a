// Fluvia CUDA kernels: element-wise ops.
// Sections: dense epilogues | masks and BLAS-1.
#include "common.cuh"

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
