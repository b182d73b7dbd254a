package dev.fluvia.transforms;

import dev.fluvia.backend.Backend;
import dev.fluvia.param.Param;

/** Float64 helpers of the layers that run on the host (planar, radial): stable softplus / sigmoid and gradient accumulation. */
final class HostMath {
    private HostMath() {}

    /** log(1 + e^a), stable for any a. */
    static double softplus(double a) { return a > 0 ? a + Math.log1p(Math.exp(-a)) : Math.log1p(Math.exp(a)); }

    /** 1 / (1 + e^−a), stable for any a (the derivative of softplus). */
    static double sigmoid(double a) { return a >= 0 ? 1 / (1 + Math.exp(-a)) : Math.exp(a) / (1 + Math.exp(a)); }

    /** p.grad += g (g in float64, added then rounded to float32). */
    static void accumulate(Backend be, Param p, double... g) {
        float[] cur = be.toHost(p.grad());
        for (int i = 0; i < cur.length; i++) cur[i] = (float) (cur[i] + g[i]);
        be.upload(cur, p.grad());
    }
}
