package dev.fluvia.distributions;

import java.util.SplittableRandom;

/** Float64 helpers of the base distributions evaluated on the host: special functions and draws (softplus, sigmoid and gradient accumulation: {@link dev.fluvia.param.HostMath}). */
final class HostDists {
    private HostDists() {}

    private static final double[] LANCZOS = {0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
            -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7};

    /** log Γ(x) for x > 0 (Lanczos, g = 7; relative error ~1e-15). */
    static double lgamma(double x) {
        if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - lgamma(1 - x);
        x -= 1;
        double a = LANCZOS[0], t = x + 7.5;
        for (int i = 1; i < 9; i++) a += LANCZOS[i] / (x + i);
        return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
    }

    /** ψ(x) = d/dx log Γ(x) for x > 0: recurrence up to x ≥ 10, then the asymptotic series. */
    static double digamma(double x) {
        double r = 0;
        while (x < 10) { r -= 1 / x; x += 1; }
        double f = 1 / (x * x);
        return r + Math.log(x) - 0.5 / x - f * (1.0 / 12 - f * (1.0 / 120 - f * (1.0 / 252 - f * (1.0 / 240 - f * (1.0 / 132)))));
    }

    static double gaussian(SplittableRandom r) {
        double u1 = Math.max(r.nextDouble(), 1e-300), u2 = r.nextDouble();
        return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }

    /** A Gamma(a, 1) draw (Marsaglia &amp; Tsang 2000; a &lt; 1 through Gamma(a + 1)·U^{1/a}). */
    static double gamma(double a, SplittableRandom r) {
        if (a < 1) return gamma(a + 1, r) * Math.pow(Math.max(r.nextDouble(), 1e-300), 1 / a);
        double d = a - 1.0 / 3, c = 1 / Math.sqrt(9 * d);
        while (true) {
            double x = gaussian(r), v = 1 + c * x;
            if (v <= 0) continue;
            v = v * v * v;
            double u = r.nextDouble();
            if (Math.log(Math.max(u, 1e-300)) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
        }
    }

    static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) d[i] = a[i];
        return d;
    }

    static void requireUnitTemperature(String kind, float t) {
        if (t != 1f)
            throw new IllegalArgumentException(kind + " base: temperature sampling scales a Gaussian's std; a bounded base samples at T = 1 only, got T = " + t);
    }

    static int size(int[] event) {
        int d = 1;
        for (int s : event) d *= s;
        return d;
    }
}
