// Fluvia CUDA kernels: couplings and index moves.
//   affineCouplingForward / affineCouplingInverse / affineCouplingBackward (SOFTCLAMP and SIGMOID scales,
//   per-sample log-det reduction fused), additiveCouplingForward / additiveCouplingInverse, gather, scatterAdd.
// Layout: x, y [N, D]; h [N, 2K] (h[:, k] raw scale of dim b[k], h[:, K+k] its shift t); b [K] distinct dims.
// Row kernels use one warp per row; blocks of 128 threads (4 rows) grid-striding over the batch.
#include "common.cuh"

#define SCALE_SOFTCLAMP 0
#define SCALE_SIGMOID 1

/** log s: SOFTCLAMP c·tanh(h/c); SIGMOID log sigmoid(h + 2) = −softplus(−(h + 2)), written stably. */
__device__ __forceinline__ float couplingLogScale(int mode, float clamp, float raw) {
    if (mode == SCALE_SOFTCLAMP) return clamp * tanhf(raw / clamp);
    float a = raw + 2.0f;
    return -(fmaxf(-a, 0.f) + log1pf(expf(-fabsf(a))));
}

// ---------------------------------------------------------------------------------------------- affine coupling

/** y = x, then y_b = x_b·s + t (SOFTCLAMP) or (x_b + t)·s (SIGMOID); ld[n] += Σ log s (double sum per row). */
extern "C" __global__ void affineCouplingForward(const float* x, const float* __restrict__ h, const int* __restrict__ b,
                                                 int n, int d, int k, int mode, float clamp, float* y, float* ld) {
    int lane = threadIdx.x & (FLV_WARP - 1);
    FLV_FOR_ROWS_BY_WARP(r, n) {
        const float* xr = x + r * d;
        float* yr = y + r * d;
        const float* hr = h + r * 2 * k;
        if (xr != yr) for (int j = lane; j < d; j += FLV_WARP) yr[j] = xr[j];
        __syncwarp();
        double acc = 0.0;
        for (int j = lane; j < k; j += FLV_WARP) {
            float logs = couplingLogScale(mode, clamp, hr[j]), t = hr[k + j], s = expf(logs);
            int p = b[j];
            float xv = xr[p];
            yr[p] = mode == SCALE_SOFTCLAMP ? fmaf(xv, s, t) : (xv + t) * s;
            acc += logs;
        }
        acc = flvWarpSum(acc);
        if (lane == 0) ld[r] = (float) ((double) ld[r] + acc);
    }
}

/** x = y, then x_b = (y_b − t)·exp(−log s) (SOFTCLAMP) or y_b·exp(−log s) − t (SIGMOID); ld[n] += −Σ log s. */
extern "C" __global__ void affineCouplingInverse(const float* y, const float* __restrict__ h, const int* __restrict__ b,
                                                 int n, int d, int k, int mode, float clamp, float* x, float* ld) {
    int lane = threadIdx.x & (FLV_WARP - 1);
    FLV_FOR_ROWS_BY_WARP(r, n) {
        const float* yr = y + r * d;
        float* xr = x + r * d;
        const float* hr = h + r * 2 * k;
        if (xr != yr) for (int j = lane; j < d; j += FLV_WARP) xr[j] = yr[j];
        __syncwarp();
        double acc = 0.0;
        for (int j = lane; j < k; j += FLV_WARP) {
            float logs = couplingLogScale(mode, clamp, hr[j]), t = hr[k + j], inv = expf(-logs);
            int p = b[j];
            float yv = yr[p];
            xr[p] = mode == SCALE_SOFTCLAMP ? (yv - t) * inv : fmaf(yv, inv, -t);
            acc -= logs;
        }
        acc = flvWarpSum(acc);
        if (lane == 0) ld[r] = (float) ((double) ld[r] + acc);
    }
}

/**
 * Backward of the forward direction: gx = gy off the mask, gx_b = gy_b·∂y_b/∂x_b; gh[:, k] = ∂L/∂raw, gh[:, K+k] = ∂L/∂t.
 * gLd[n] enters ∂L/∂log s. gx may alias gy.
 */
extern "C" __global__ void affineCouplingBackward(const float* __restrict__ x, const float* __restrict__ h, const int* __restrict__ b,
                                                  int n, int d, int k, int mode, float clamp, const float* gy,
                                                  const float* __restrict__ gLd, float* gx, float* __restrict__ gh) {
    int lane = threadIdx.x & (FLV_WARP - 1);
    FLV_FOR_ROWS_BY_WARP(r, n) {
        const float* xr = x + r * d;
        const float* gyr = gy + r * d;
        float* gxr = gx + r * d;
        const float* hr = h + r * 2 * k;
        float* ghr = gh + r * 2 * k;
        if (gxr != gyr) for (int j = lane; j < d; j += FLV_WARP) gxr[j] = gyr[j];
        __syncwarp();
        float gl = gLd[r];
        for (int j = lane; j < k; j += FLV_WARP) {
            float raw = hr[j], t = hr[k + j];
            int p = b[j];
            float xv = xr[p], g = gyr[p];
            float gRaw, gT, gX;
            if (mode == SCALE_SOFTCLAMP) {
                float th = tanhf(raw / clamp), s = expf(clamp * th);
                float gLogs = fmaf(g * xv, s, gl);
                gRaw = gLogs * (1.f - th * th);
                gT = g;
                gX = g * s;
            } else {
                float s = 1.f / (1.f + expf(-(raw + 2.f)));
                float gS = g * (xv + t);
                gRaw = gS * s * (1.f - s) + gl * (1.f - s);
                gT = g * s;
                gX = g * s;
            }
            gxr[p] = gX;
            ghr[j] = gRaw;
            ghr[k + j] = gT;
        }
    }
}

// ---------------------------------------------------------------------------------------------- additive coupling

__device__ __forceinline__ void additiveCoupling(const float* in, const float* __restrict__ m, const int* __restrict__ b,
                                                 int n, int d, int k, float sign, float* out) {
    int lane = threadIdx.x & (FLV_WARP - 1);
    FLV_FOR_ROWS_BY_WARP(r, n) {
        const float* ir = in + r * d;
        float* orow = out + r * d;
        if (ir != orow) for (int j = lane; j < d; j += FLV_WARP) orow[j] = ir[j];
        __syncwarp();
        for (int j = lane; j < k; j += FLV_WARP) {
            int p = b[j];
            orow[p] = fmaf(sign, m[r * k + j], ir[p]);
        }
    }
}

/** y = x, y_b = x_b + m (NICE); log-det 0. */
extern "C" __global__ void additiveCouplingForward(const float* x, const float* m, const int* b, int n, int d, int k, float* y) {
    additiveCoupling(x, m, b, n, d, k, 1.f, y);
}

/** x = y, x_b = y_b − m. */
extern "C" __global__ void additiveCouplingInverse(const float* y, const float* m, const int* b, int n, int d, int k, float* x) {
    additiveCoupling(y, m, b, n, d, k, -1.f, x);
}

// ---------------------------------------------------------------------------------------------- gather / scatter

/** out[n, j] = x[n, idx[j]]; one thread per output element (coalesced writes). */
extern "C" __global__ void gather(const float* __restrict__ x, const int* __restrict__ idx, int n, int d, int k, float* __restrict__ out) {
    FLV_FOR(i, (long long) n * k) {
        long long r = i / k;
        int j = (int) (i - r * k);
        out[i] = x[r * d + idx[j]];
    }
}

/** dst[n, idx[j]] += src[n, j] for an index list without repeats: one thread per element, no two threads share a target. */
extern "C" __global__ void scatterAdd(const float* __restrict__ src, const int* __restrict__ idx, int n, int d, int k, float* dst) {
    FLV_FOR(i, (long long) n * k) {
        long long r = i / k;
        int j = (int) (i - r * k);
        long long p = r * d + idx[j];
        dst[p] += src[i];
    }
}

/** scatterAdd for an index list with repeats: one thread per row adds in index order (deterministic, as the CPU does). */
extern "C" __global__ void scatterAddSerial(const float* __restrict__ src, const int* __restrict__ idx, int n, int d, int k, float* dst) {
    FLV_FOR(r, n) {
        for (int j = 0; j < k; j++) {
            long long p = r * d + idx[j];
            dst[p] += src[r * k + j];
        }
    }
}
