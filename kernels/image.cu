// Fluvia CUDA kernels: the image family (dev.fluvia.backend.image) — layout ops of NCHW float32 images (squeeze, channel
// slicing) and the logit pre-processing. Same semantics as dev.fluvia.backend.image.CpuImage.
#include "common.cuh"

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
