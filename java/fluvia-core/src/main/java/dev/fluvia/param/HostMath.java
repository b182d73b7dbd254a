package dev.fluvia.param;

import dev.fluvia.backend.Backend;

/**
 * Float64 helpers of the layers, base distributions and targets whose math runs on the host (planar, radial, Sylvester,
 * the element-wise flows, the zoo bases): stable softplus / sigmoid and gradient accumulation.
 */
public final class HostMath {
    private HostMath() {}

    /** log(1 + e^a), stable for any a. */
    public static double softplus(double a) { return a > 0 ? a + Math.log1p(Math.exp(-a)) : Math.log1p(Math.exp(a)); }

    /** 1 / (1 + e^−a), stable for any a (the derivative of softplus). */
    public static double sigmoid(double a) { return a >= 0 ? 1 / (1 + Math.exp(-a)) : Math.exp(a) / (1 + Math.exp(a)); }

    /** p.grad += g (g in float64, added then rounded to float32). */
    public static void accumulate(Backend be, Param p, double... g) {
        float[] cur = be.toHost(p.grad());
        for (int i = 0; i < cur.length; i++) cur[i] = (float) (cur[i] + g[i]);
        be.upload(cur, p.grad());
    }
}
