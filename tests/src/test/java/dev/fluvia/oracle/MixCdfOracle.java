package dev.fluvia.oracle;

import java.util.Map;

/**
 * Float64 reference of the mixture-of-Gaussians CDF flow from FLOWS.md, independent of the library's erfc: Φ by composite
 * Simpson integration of φ from 0 (800 intervals), F and 1 − F summed per component; the inverse by bisection of F (against σ(y) with logit)
 * to adjacent doubles; with {@code logit}, {@code y = log F − log(1 − F)}.
 */
public final class MixCdfOracle implements TransformOracle {
    private final int k;
    private final boolean logit;

    public MixCdfOracle(int components, boolean logit) { this.k = components; this.logit = logit; }

    static double phi(double t) { return Math.exp(-0.5 * t * t) / Math.sqrt(2 * Math.PI); }

    /** ∫_0^t φ. */
    static double half(double t) { return half(t, 800); }

    /** ∫_0^t φ with m (even) Simpson intervals. */
    static double half(double t, int m) {
        double h = t / m, s = phi(0) + phi(t);
        for (int i = 1; i < m; i++) s += (i % 2 == 1 ? 4 : 2) * phi(i * h);
        return s * h / 3;
    }

    /** {F, 1 − F, p} of dimension i at x. */
    private double[] eval(double x, int i, Map<String, double[]> p) {
        double[] a = p.get("logits"), mu = p.get("means"), ls = p.get("log_scales");
        double norm = 0;
        for (int c = 0; c < k; c++) norm += Math.exp(a[i * k + c]);
        double f = 0, g = 0, dens = 0;
        for (int c = 0; c < k; c++) {
            int j = i * k + c;
            double pi = Math.exp(a[j]) / norm, sd = Math.exp(ls[j]), t = (x - mu[j]) / sd, hv = half(t);
            f += pi * (0.5 + hv);
            g += pi * (0.5 - hv);
            dens += pi * phi(t) / sd;
        }
        return new double[] {f, g, dens};
    }

    private double y(double[] e) { return logit ? Math.log(e[0]) - Math.log(e[1]) : e[0]; }
    private double ld(double[] e) { return logit ? Math.log(e[2]) - Math.log(e[0]) - Math.log(e[1]) : Math.log(e[2]); }

    @Override public Out forward(double[] x, Map<String, double[]> p) {
        double[] y = new double[x.length];
        double ld = 0;
        for (int i = 0; i < x.length; i++) {
            double[] e = eval(x[i], i, p);
            y[i] = y(e);
            ld += ld(e);
        }
        return new Out(y, ld);
    }

    @Override public Out inverse(double[] y, Map<String, double[]> p) {
        double[] x = new double[y.length];
        double ld = 0;
        for (int i = 0; i < y.length; i++) {
            final int ii = i;
            // bisect on F itself (no logs: far out, the integrated 1 − F is rounding noise)
            final double target = logit ? 1 / (1 + Math.exp(-y[i])) : y[i];
            double r = PlanarRadialOracles.bisect(v -> eval(v, ii, p)[0] - target, -60, 60);
            x[i] = r;
            ld -= ld(eval(r, i, p));
        }
        return new Out(x, ld);
    }
}
