// Fluvia CUDA kernels: the conv family (dev.fluvia.backend.conv) — the helpers of a 2-D convolution whose matrix products
// are cuBLAS: im2col, col2im (a gather, no atomics), the bias fill and the fixed-order bias gradient.
#include "common.cuh"

/**
 * im2col for `count` samples starting at `first`: col[s][(c·k + i)·k + j][h·W + w] = x[first + s][c][h + i − k/2][w + j − k/2]
 * (0 outside the image).
 */
extern "C" __global__ void conv2dIm2col(const float* __restrict__ x, float* __restrict__ col, int first, int count,
                                        int ci, int hh, int ww, int k) {
    long long hw = (long long) hh * ww, kk = (long long) ci * k * k;
    int pad = k / 2;
    FLV_FOR(e, (long long) count * kk * hw) {
        long long p = e % hw, row = (e / hw) % kk, s = e / (hw * kk);
        int j = (int) (row % k), i = (int) ((row / k) % k), c = (int) (row / (k * k));
        int h = (int) (p / ww) + i - pad, w = (int) (p % ww) + j - pad;
        col[e] = h < 0 || h >= hh || w < 0 || w >= ww ? 0.f : x[(((long long) (first + s) * ci + c) * hh + h) * ww + w];
    }
}

/** col2im (gather form, no atomics) for `count` samples starting at `first`: gx (overwritten) = Σ of the gcol entries that read it. */
extern "C" __global__ void conv2dCol2im(const float* __restrict__ gcol, float* __restrict__ gx, int first, int count,
                                        int ci, int hh, int ww, int k) {
    long long hw = (long long) hh * ww, kk = (long long) ci * k * k;
    int pad = k / 2;
    FLV_FOR(e, (long long) count * ci * hw) {
        long long p = e % hw, s = e / (hw * ci);
        int c = (int) ((e / hw) % ci), sh = (int) (p / ww), sw = (int) (p % ww);
        float acc = 0.f;
        for (int i = 0; i < k; i++) {
            int h = sh - i + pad;
            if (h < 0 || h >= hh) continue;
            for (int j = 0; j < k; j++) {
                int w = sw - j + pad;
                if (w < 0 || w >= ww) continue;
                acc += gcol[(s * kk + (long long) (c * k + i) * k + j) * hw + (long long) h * ww + w];
            }
        }
        gx[(((long long) (first + s) * ci + c) * hh) * ww + p] = acc;
    }
}

/** y[n][o][p] = bias[o] (or 0 when bias is null): the GEMM then accumulates into it with beta = 1. */
extern "C" __global__ void conv2dBiasFill(float* __restrict__ y, const float* __restrict__ bias, int n, int co, long long hw) {
    FLV_FOR(e, (long long) n * co * hw) y[e] = bias == nullptr ? 0.f : bias[(e / hw) % co];
}

/** gb[o] += Σ_{n, p} gy[n][o][p]: one block per channel, fixed-order block sum (blockDim 256). */
extern "C" __global__ void conv2dBiasGrad(const float* __restrict__ gy, int n, int co, long long hw, float* gb) {
    __shared__ double scratch[33];
    int o = blockIdx.x;
    double s = 0.0;
    for (long long e = threadIdx.x; e < (long long) n * hw; e += blockDim.x) {
        long long r = e / hw, p = e % hw;
        s += gy[(r * co + o) * hw + p];
    }
    s = flvBlockSum(s, scratch);
    if (threadIdx.x == 0) gb[o] = (float) ((double) gb[o] + s);
}
