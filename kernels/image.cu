// Fluvia CUDA kernels: image ops (NCHW float32) — activation, convolution helpers (im2col / col2im / bias; the
// matrix products are cuBLAS), squeeze, channel slicing, the conditional Gaussian prior and the logit pre-processing.
// Same semantics as dev.fluvia.backend.cpu.ImageOps; see Backend.java for the op contract.
#include "common.cuh"

#ifndef FLV_LOG_2PI
#define FLV_LOG_2PI 1.8378770664093454835606594728112
#endif

/** y = act(x). */
extern "C" __global__ void activate(const float* __restrict__ x, float* __restrict__ y, long long n, int act) {
    FLV_FOR(i, n) y[i] = flvActivate(act, x[i]);
}

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

/** Squeeze (dir 1: x → y) or unsqueeze (dir 0: y → x); y[n][4c + 2i + j][h][w] = x[n][c][2h + i][2w + j]. */
extern "C" __global__ void squeezeCopy(float* __restrict__ x, float* __restrict__ y, int n, int c, int hh, int ww, int dir) {
    int h2 = hh / 2, w2 = ww / 2;
    FLV_FOR(e, (long long) n * c * hh * ww) {
        int w = (int) (e % w2), h = (int) ((e / w2) % h2);
        long long q = e / ((long long) w2 * h2);
        int yc = (int) (q % (4 * c));
        long long r = q / (4 * c);
        int ch = yc / 4, i = (yc / 2) % 2, j = yc % 2;
        long long xi = ((r * c + ch) * hh + 2 * h + i) * ww + 2 * w + j;
        if (dir) y[e] = x[xi]; else x[xi] = y[e];
    }
}

/** part[n][c'][p] ↔ full[n][start + c'][p] (toPart 1: slice, 0: place). */
extern "C" __global__ void channelCopy(float* __restrict__ full, float* __restrict__ part, int n, int c, int cp, long long hw,
                                       int start, int toPart) {
    FLV_FOR(e, (long long) n * cp * hw) {
        long long p = e % hw, q = e / hw;
        int ch = (int) (q % cp);
        long long r = q / cp;
        long long fi = (r * c + start + ch) * hw + p;
        if (toPart) part[e] = full[fi]; else full[fi] = part[e];
    }
}

/**
 * Logit pre-processing, warp per row. inverse 0: p = λ + (1−2λ)x, out = log p − log(1−p); inverse 1: p = sigmoid(in),
 * out = (p − λ)/(1−2λ). ld[r] += ±Σ (log(1−2λ) − log p − log(1−p)).
 */
extern "C" __global__ void logitApply(const float* __restrict__ in, float lambda, int n, int d, int inverse,
                                      float* __restrict__ out, float* ld) {
    int lane = threadIdx.x & (FLV_WARP - 1);
    double a = 1.0 - 2.0 * (double) lambda, logA = log(a);
    FLV_FOR_ROWS_BY_WARP(r, n) {
        double s = 0.0;
        for (int j = lane; j < d; j += FLV_WARP) {
            long long i = r * d + j;
            double v = in[i], p;
            if (inverse) {
                p = 1.0 / (1.0 + exp(-v));
                out[i] = (float) ((p - lambda) / a);
            } else {
                p = lambda + a * v;
                out[i] = (float) (log(p) - log1p(-p));
            }
            s += logA - log(p) - log1p(-p);
        }
        s = flvWarpSum(s);
        if (lane == 0) ld[r] = (float) ((double) ld[r] + (inverse ? -s : s));
    }
}

/** gx = gy·a/(p(1−p)) + gLd[r]·a(2p−1)/(p(1−p)), a = 1−2λ, p = λ + a·x. */
extern "C" __global__ void logitBackward(const float* __restrict__ x, float lambda, const float* __restrict__ gy,
                                         const float* __restrict__ gLd, int n, int d, float* __restrict__ gx) {
    double a = 1.0 - 2.0 * (double) lambda;
    FLV_FOR(i, (long long) n * d) {
        double p = lambda + a * x[i], q = p * (1.0 - p);
        gx[i] = (float) (gy[i] * a / q + (double) gLd[i / d] * a * (2.0 * p - 1.0) / q);
    }
}
