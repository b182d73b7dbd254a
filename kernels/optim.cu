// Fluvia CUDA kernels: the optim family (dev.fluvia.backend.optim) — fused optimizer updates, one thread per parameter.
#include "common.cuh"

/** Adam with bias correction (bc1 = 1 − β1^t, bc2 = 1 − β2^t) and decoupled weight decay, fused. */
extern "C" __global__ void adamUpdate(float* __restrict__ p, const float* __restrict__ g, float* __restrict__ m, float* __restrict__ v,
                                      long long count, float lr, float beta1, float beta2, float eps, float weightDecay,
                                      double bc1, double bc2) {
    FLV_FOR(i, count) {
        float gi = g[i];
        float mi = beta1 * m[i] + (1.f - beta1) * gi;
        float vi = beta2 * v[i] + (1.f - beta2) * gi * gi;
        m[i] = mi;
        v[i] = vi;
        double upd = (mi / bc1) / (sqrt(vi / bc2) + eps);
        float pi = p[i];
        p[i] = (float) (pi - lr * (upd + weightDecay * pi));
    }
}

/** Adamax: m = β1·m + (1−β1)·g, u = max(β2·u, |g|), p −= lr/bc1·m/(u + eps). */
extern "C" __global__ void adamaxUpdate(float* __restrict__ p, const float* __restrict__ g, float* __restrict__ m, float* __restrict__ u,
                                        long long count, float lr, float beta1, float beta2, float eps, double bc1) {
    FLV_FOR(i, count) {
        float gi = g[i];
        float mi = beta1 * m[i] + (1.f - beta1) * gi;
        float ui = fmaxf(beta2 * u[i], fabsf(gi));
        m[i] = mi;
        u[i] = ui;
        p[i] = (float) (p[i] - lr / bc1 * mi / (ui + eps));
    }
}
