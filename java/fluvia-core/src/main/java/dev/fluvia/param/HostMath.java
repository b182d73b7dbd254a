package dev.fluvia.param;

import dev.fluvia.backend.Backend;

/**
 * Float64 helpers of the layers, base distributions and targets whose math runs on the host (planar, radial, Sylvester,
 * the element-wise flows, the zoo bases): stable softplus / sigmoid and gradient accumulation.
 */
public final class HostMath {
    private HostMath() {}

    /**
     * log(1 + e^a), stable for any a.
     *
     * @param a the argument
     * @return softplus(a), ≥ 0
     */
    public static double softplus(double a) { return a > 0 ? a + Math.log1p(Math.exp(-a)) : Math.log1p(Math.exp(a)); }

    /**
     * 1 / (1 + e^−a), stable for any a (the derivative of softplus).
     *
     * @param a the argument
     * @return σ(a), in [0, 1]
     */
    public static double sigmoid(double a) { return a >= 0 ? 1 / (1 + Math.exp(-a)) : Math.exp(a) / (1 + Math.exp(a)); }

    /**
     * p.grad += g (g in float64, added then rounded to float32).
     *
     * @param be the backend of the parameter
     * @param p  a parameter with a gradient buffer
     * @param g  one value per element of {@code p}, row-major
     */
    public static void accumulate(Backend be, Param p, double... g) {
        float[] cur = be.toHost(p.grad());
        for (int i = 0; i < cur.length; i++) cur[i] = (float) (cur[i] + g[i]);
        be.upload(cur, p.grad());
    }
}
