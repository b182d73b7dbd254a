package dev.fluvia.backend.dist;

/**
 * The float64 scalar math of the dist ops' CPU bodies, written as {@code kernels/dist.cu} writes it (same formulas, same
 * order), so that the reference and the kernels differ only in the last bits of the math library: log Γ, ψ, and one
 * Gamma draw by Marsaglia–Tsang from a fixed budget of pre-drawn normals and uniforms.
 */
public final class DistMath {
    private DistMath() {}

    private static final double[] LANCZOS = {0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
            -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7};
    private static final double HALF_LOG_2PI = 0.91893853320467274178;

    /** log Γ(x) for x > 0 (Lanczos, g = 7, reflection below ½; relative error ~1e-15). */
    public static double lgamma(double x) {
        if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - lgamma(1 - x);
        x -= 1;
        double a = LANCZOS[0], t = x + 7.5;
        for (int i = 1; i < 9; i++) a += LANCZOS[i] / (x + i);
        return HALF_LOG_2PI + (x + 0.5) * Math.log(t) - t + Math.log(a);
    }

    /** ψ(x) for x > 0: the recurrence up to x ≥ 10, then the asymptotic series. */
    public static double digamma(double x) {
        double r = 0;
        while (x < 10) { r -= 1 / x; x += 1; }
        double f = 1 / (x * x);
        return r + Math.log(x) - 0.5 / x - f * (1.0 / 12 - f * (1.0 / 120 - f * (1.0 / 252 - f * (1.0 / 240 - f * (1.0 / 132)))));
    }

    /** log(1 + e^a), stable for any a (as param.HostMath.softplus, which sits on a higher floor). */
    public static double softplus(double a) { return a > 0 ? a + Math.log1p(Math.exp(-a)) : Math.log1p(Math.exp(a)); }

    /** 1 / (1 + e^−a), stable for any a. */
    public static double sigmoid(double a) { return a >= 0 ? 1 / (1 + Math.exp(-a)) : Math.exp(a) / (1 + Math.exp(a)); }

    /** log u for a uniform draw, u clamped to ≥ 1e-300 (so a 0 gives a finite value). */
    static double logUniform(double u) { return Math.log(Math.max(u, 1e-300)); }

    /**
     * log G for G ~ Gamma(a, 1) from {@code tries} pre-drawn normals x_t = normals[n0 + t] and uniforms u_t = uniforms[u0 + t]
     * (Marsaglia–Tsang: v = (1 + c·x)³, accept when v &gt; 0 and log u &lt; ½x² + d − d·v + d·log v; d = a' − ⅓, c = 1/√(9d)),
     * a' = a + 1 and a boost log U/a (U = {@code boost}) when a &lt; 1. Every try rejected: v = 1, G = d (the candidate at x = 0).
     */
    public static double logGamma(double a, float[] normals, int n0, float[] uniforms, int u0, int tries, float boost) {
        double ap = a < 1 ? a + 1 : a, d = ap - 1.0 / 3, c = 1 / Math.sqrt(9 * d), v = 1;
        for (int t = 0; t < tries; t++) {
            double x = normals[n0 + t], w = 1 + c * x;
            if (w <= 0) continue;
            w = w * w * w;
            if (logUniform(uniforms[u0 + t]) < 0.5 * x * x + d - d * w + d * Math.log(w)) { v = w; break; }
        }
        double lg = Math.log(d * v);
        return a < 1 ? lg + logUniform(boost) / a : lg;
    }

    /** The float32 Beta draw σ(la − lb) = G_α/(G_α + G_β) from log G_α, log G_β, kept inside (0, 1): [MIN_NORMAL, 1 − 2⁻²⁴]. */
    public static float betaFromLogGammas(double la, double lb) {
        float v = (float) (1 / (1 + Math.exp(lb - la)));
        return Math.min(Math.max(v, Float.MIN_NORMAL), Math.nextDown(1f));
    }
}
