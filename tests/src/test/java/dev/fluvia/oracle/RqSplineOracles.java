package dev.fluvia.oracle;

import dev.fluvia.backend.Activation;
import dev.fluvia.transforms.RqSplineAutoregressive;
import dev.fluvia.transforms.RqSplineCoupling;
import java.util.Map;

/**
 * Float64 references of the rational-quadratic spline layers, written from docs/FLOWS.md ("Rational-quadratic spline in
 * Fluvia") independently of {@code RqSpline}: linear bin scan, the forward formula, and the inverse by bisection on
 * the monotone forward (not the closed-form root the layer uses).
 */
public final class RqSplineOracles {
    private RqSplineOracles() {}

    static final double MIN_W = 1e-3, MIN_H = 1e-3, MIN_D = 1e-3;

    /** {y, log g'(x)} for the spline with unnormalised parameters {@code p[off..off+3K−2]}. */
    public static double[] spline(double x, double[] p, int off, int K, double B) {
        if (x < -B || x > B) return new double[] {x, 0};
        double[] xs = knots(p, off, K, B, MIN_W), ys = knots(p, off + K, K, B, MIN_H), ds = new double[K + 1];
        ds[0] = 1;
        ds[K] = 1;
        double c0 = Math.log(Math.exp(1 - MIN_D) - 1);
        for (int k = 1; k < K; k++) ds[k] = MIN_D + Math.log1p(Math.exp(p[off + 2 * K + k - 1] + c0));
        int k = 0;
        while (k < K - 1 && x >= xs[k + 1]) k++;
        double w = xs[k + 1] - xs[k], h = ys[k + 1] - ys[k], s = h / w, xi = (x - xs[k]) / w;
        double den = s + (ds[k + 1] + ds[k] - 2 * s) * xi * (1 - xi);
        double y = ys[k] + h * (s * xi * xi + ds[k] * xi * (1 - xi)) / den;
        double deriv = s * s * (ds[k + 1] * xi * xi + 2 * s * xi * (1 - xi) + ds[k] * (1 - xi) * (1 - xi)) / (den * den);
        return new double[] {y, Math.log(deriv)};
    }

    private static double[] knots(double[] p, int off, int K, double B, double min) {
        double m = Double.NEGATIVE_INFINITY, sum = 0;
        for (int k = 0; k < K; k++) m = Math.max(m, p[off + k]);
        for (int k = 0; k < K; k++) sum += Math.exp(p[off + k] - m);
        double[] kn = new double[K + 1];
        kn[0] = -B;
        double c = 0;
        for (int k = 0; k < K; k++) {
            c += min + (1 - K * min) * Math.exp(p[off + k] - m) / sum;
            kn[k + 1] = -B + 2 * B * c;
        }
        kn[K] = B;
        return kn;
    }

    /** {x, −log g'(x)} with g(x) = y, by bisection. */
    public static double[] splineInverse(double y, double[] p, int off, int K, double B) {
        if (y < -B || y > B) return new double[] {y, 0};
        double lo = -B, hi = B;
        for (int i = 0; i < 200 && hi - lo > 1e-15 * B; i++) {
            double mid = 0.5 * (lo + hi);
            if (spline(mid, p, off, K, B)[0] < y) lo = mid; else hi = mid;
        }
        double x = 0.5 * (lo + hi);
        return new double[] {x, -spline(x, p, off, K, B)[1]};
    }

    public static TransformOracle coupling(RqSplineCoupling t) {
        int D = t.dim(), K = t.bins(), P = 3 * K - 1;
        double B = t.bound();
        int[] a = t.a(), b = t.b();
        MlpOracle net = new MlpOracle("net.", t.net().dims(), t.net().activation());
        return new TransformOracle() {
            private Out run(double[] in, Map<String, double[]> p, boolean inverse) {
                double[] xa = new double[a.length];
                for (int i = 0; i < a.length; i++) xa[i] = in[a[i]];
                double[] h = net.apply(xa, p), out = in.clone();
                double ld = 0;
                for (int j = 0; j < b.length; j++) {
                    double[] r = inverse ? splineInverse(in[b[j]], h, j * P, K, B) : spline(in[b[j]], h, j * P, K, B);
                    out[b[j]] = r[0];
                    ld += r[1];
                }
                return new Out(out, ld);
            }
            @Override public Out forward(double[] x, Map<String, double[]> p) { return run(x, p, false); }
            @Override public Out inverse(double[] y, Map<String, double[]> p) { return run(y, p, true); }
        };
    }

    /**
     * MADE degrees re-derived from FLOWS.md: hidden unit k sees i iff m_k ≥ m_i; output row d·P + q sees k iff m_in(d) > m_k.
     * A conditional layer's context inputs (after the D modelled ones) have degree 0 and pass through unchanged.
     */
    public static TransformOracle autoregressive(RqSplineAutoregressive t, Activation act) {
        int[] order = t.order(), hidden = t.hidden();
        int[][] deg = t.degrees();
        int D = order.length, K = t.bins(), P = 3 * K - 1, W = t.eventShape()[0];
        double B = t.bound();
        int[] min = new int[W];
        for (int s = 0; s < D; s++) min[order[s]] = s + 1;
        return new TransformOracle() {
            double[] net(double[] x, Map<String, double[]> p) {
                double[] cur = x;
                int[] prevDeg = min;
                int L = hidden.length;
                for (int l = 0; l <= L; l++) {
                    double[] w = p.get("made.w" + l), bias = p.get("made.b" + l);
                    int in = cur.length, out = l == L ? D * P : hidden[l];
                    double[] o = new double[out];
                    for (int r = 0; r < out; r++) {
                        double acc = bias[r];
                        for (int c = 0; c < in; c++) {
                            boolean on = l == L ? min[r / P] > prevDeg[c] : deg[l][r] >= prevDeg[c];
                            if (on) acc += w[r * in + c] * cur[c];
                        }
                        o[r] = l == L ? acc : MlpOracle.activate(act, acc);
                    }
                    cur = o;
                    if (l < L) prevDeg = deg[l];
                }
                return cur;
            }
            @Override public Out forward(double[] x, Map<String, double[]> p) {
                double[] h = net(x, p), z = x.clone();
                double ld = 0;
                for (int d = 0; d < D; d++) {
                    double[] r = spline(x[d], h, d * P, K, B);
                    z[d] = r[0];
                    ld += r[1];
                }
                return new Out(z, ld);
            }
            @Override public Out inverse(double[] z, Map<String, double[]> p) {
                double[] x = new double[W];
                System.arraycopy(z, D, x, D, W - D);   // the context, given
                double ld = 0;
                for (int s = 0; s < D; s++) {
                    int d = order[s];
                    double[] r = splineInverse(z[d], net(x, p), d * P, K, B);
                    x[d] = r[0];
                    ld += r[1];
                }
                return new Out(x, ld);
            }
        };
    }
}
