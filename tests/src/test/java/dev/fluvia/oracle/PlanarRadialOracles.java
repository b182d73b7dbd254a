package dev.fluvia.oracle;

import java.util.Map;

/**
 * Float64 references of the planar and radial flows, straight from FLOWS.md's generative definitions. The normalizing
 * direction (the layer's forward) inverts them by plain bisection to adjacent doubles, independently of the layer's
 * Newton / closed-form solvers; the log-det is the generative formula's, negated.
 */
public final class PlanarRadialOracles {
    private PlanarRadialOracles() {}

    static double softplus(double a) { return Math.log1p(Math.exp(-Math.abs(a))) + Math.max(a, 0); }

    /** Bisection of an increasing f on [lo, hi] (f(lo) ≤ 0 ≤ f(hi)) until the bracket holds adjacent doubles. */
    static double bisect(java.util.function.DoubleUnaryOperator f, double lo, double hi) {
        for (int i = 0; i < 2000; i++) {
            double mid = 0.5 * (lo + hi);
            if (mid <= lo || mid >= hi) break;
            if (f.applyAsDouble(mid) > 0) hi = mid; else lo = mid;
        }
        return 0.5 * (lo + hi);
    }

    private static double[] uHat(Map<String, double[]> p) {
        double[] u = p.get("u"), w = p.get("w");
        double wu = 0, ww = 0;
        for (int i = 0; i < u.length; i++) { wu += w[i] * u[i]; ww += w[i] * w[i]; }
        double m = -1 + softplus(wu);
        double[] uh = new double[u.length];
        for (int i = 0; i < u.length; i++) uh[i] = u[i] + (m - wu) * w[i] / ww;
        return uh;
    }

    /** Planar: generative x = z + û·tanh(wᵀz + b), ld_gen = log|1 + ûᵀψ|, ψ = (1 − tanh²(wᵀz + b))·w. */
    public static TransformOracle planar() {
        return new TransformOracle() {
            /** z → x with the generative log-det. */
            Out generate(double[] z, Map<String, double[]> p) {
                double[] w = p.get("w"), uh = uHat(p);
                double b = p.get("b")[0], a = 0;
                for (int i = 0; i < z.length; i++) a += w[i] * z[i];
                double t = Math.tanh(a + b), dot = 0;
                double[] x = new double[z.length];
                for (int i = 0; i < z.length; i++) {
                    x[i] = z[i] + uh[i] * t;
                    dot += uh[i] * (1 - t * t) * w[i];
                }
                return new Out(x, Math.log(Math.abs(1 + dot)));
            }

            @Override public Out forward(double[] x, Map<String, double[]> p) {
                double[] w = p.get("w"), uh = uHat(p);
                double b = p.get("b")[0], s = 0, c = 0;
                for (int i = 0; i < x.length; i++) { s += w[i] * x[i]; c += w[i] * uh[i]; }
                final double cc = c, ss = s;
                double a = bisect(v -> v + cc * Math.tanh(v + b) - ss, s - Math.abs(c) - 1, s + Math.abs(c) + 1);
                double t = Math.tanh(a + b);
                double[] z = new double[x.length];
                for (int i = 0; i < x.length; i++) z[i] = x[i] - uh[i] * t;
                return new Out(z, -generate(z, p).ld());
            }

            @Override public Out inverse(double[] z, Map<String, double[]> p) { return generate(z, p); }
        };
    }

    /** Radial: generative x = z + β·h(α, r)·(z − z0), h = 1/(α + r), ld_gen = (d−1)·log(1 + βh) + log(1 + βh + βh′r). */
    public static TransformOracle radial() {
        return new TransformOracle() {
            Out generate(double[] z, Map<String, double[]> p) {
                double[] z0 = p.get("z0");
                double alpha = softplus(p.get("alpha_raw")[0]), beta = -alpha + softplus(p.get("beta_raw")[0]);
                int d = z.length;
                double r = 0;
                for (int i = 0; i < d; i++) r += (z[i] - z0[i]) * (z[i] - z0[i]);
                r = Math.sqrt(r);
                double h = 1 / (alpha + r), hp = -1 / ((alpha + r) * (alpha + r));
                double[] x = new double[d];
                for (int i = 0; i < d; i++) x[i] = z[i] + beta * h * (z[i] - z0[i]);
                return new Out(x, (d - 1) * Math.log(1 + beta * h) + Math.log(1 + beta * h + beta * hp * r));
            }

            @Override public Out forward(double[] x, Map<String, double[]> p) {
                double[] z0 = p.get("z0");
                double alpha = softplus(p.get("alpha_raw")[0]), beta = -alpha + softplus(p.get("beta_raw")[0]);
                int d = x.length;
                double rho = 0;
                for (int i = 0; i < d; i++) rho += (x[i] - z0[i]) * (x[i] - z0[i]);
                rho = Math.sqrt(rho);
                final double rr = rho;
                double r = bisect(v -> v * (1 + beta / (alpha + v)) - rr, 0, rho + alpha + 1);
                double[] z = new double[d];
                for (int i = 0; i < d; i++) z[i] = z0[i] + (x[i] - z0[i]) * (r / rho);
                return new Out(z, -generate(z, p).ld());
            }

            @Override public Out inverse(double[] z, Map<String, double[]> p) { return generate(z, p); }
        };
    }
}
