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

// Slots of the training step's status (dev.fluvia.backend.reduce.StepStatus), float64 on the device.
#define STEP_LR 0
#define STEP_T 1
#define STEP_SCALE 5
#define STEP_SKIP 6

/** adamUpdate driven by the step status: skipped when st[SKIP] ≠ 0, else g·st[SCALE], lr = st[LR], t = st[T]. */
extern "C" __global__ void adamStep(float* __restrict__ p, const float* __restrict__ g, float* __restrict__ m, float* __restrict__ v,
                                    long long count, const double* __restrict__ st, float beta1, float beta2, float eps, float weightDecay) {
    if (st[STEP_SKIP] != 0.0) return;
    float lr = (float) st[STEP_LR], scale = (float) st[STEP_SCALE];
    double bc1 = 1.0 - pow((double) beta1, st[STEP_T]), bc2 = 1.0 - pow((double) beta2, st[STEP_T]);
    FLV_FOR(i, count) {
        float gi = g[i] * scale;
        float mi = beta1 * m[i] + (1.f - beta1) * gi;
        float vi = beta2 * v[i] + (1.f - beta2) * gi * gi;
        m[i] = mi;
        v[i] = vi;
        double upd = (mi / bc1) / (sqrt(vi / bc2) + eps);
        float pi = p[i];
        p[i] = (float) (pi - lr * (upd + weightDecay * pi));
    }
}

/** adamaxUpdate driven by the step status, as adamStep. */
extern "C" __global__ void adamaxStep(float* __restrict__ p, const float* __restrict__ g, float* __restrict__ m, float* __restrict__ u,
                                      long long count, const double* __restrict__ st, float beta1, float beta2, float eps) {
    if (st[STEP_SKIP] != 0.0) return;
    float lr = (float) st[STEP_LR], scale = (float) st[STEP_SCALE];
    double bc1 = 1.0 - pow((double) beta1, st[STEP_T]);
    FLV_FOR(i, count) {
        float gi = g[i] * scale;
        float mi = beta1 * m[i] + (1.f - beta1) * gi;
        float ui = fmaxf(beta2 * u[i], fabsf(gi));
        m[i] = mi;
        u[i] = ui;
        p[i] = (float) (p[i] - lr / bc1 * mi / (ui + eps));
    }
}
