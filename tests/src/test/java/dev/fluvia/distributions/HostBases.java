package dev.fluvia.distributions;

import dev.fluvia.param.HostMath;

/**
 * The float64 host math the four zoo bases ran on before they moved to the backend's dist ops (kept verbatim in substance
 * as the test oracle): log p per sample and its gradients in z and in the parameters, on plain arrays.
 */
final class HostBases {
    private HostBases() {}

    private static final double HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

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

    /** Result of a backward: gz [N·D] and the parameter gradients in the order of the base's params(). */
    record Grads(double[] gz, double[][] params) {}

    static double[] uniformLogProb(float[] z, int n, double[] low, double[] high) {
        int d = low.length;
        double v = 0;
        for (int i = 0; i < d; i++) v += Math.log(high[i] - low[i]);
        double[] o = new double[n];
        for (int s = 0; s < n; s++) {
            boolean in = true;
            for (int i = 0; i < d; i++) {
                float x = z[s * d + i];
                if (!(x >= low[i] && x <= high[i])) { in = false; break; }
            }
            o[s] = in ? -v : Double.NEGATIVE_INFINITY;
        }
        return o;
    }

    static double[] logisticLogProb(float[] z, int n, int d) {
        double[] o = new double[n];
        for (int s = 0; s < n; s++)
            for (int i = 0; i < d; i++) { double v = z[s * d + i]; o[s] -= v + 2 * HostMath.softplus(-v); }
        return o;
    }

    static double[] logisticGz(float[] z, float[] g, int d) {
        double[] gz = new double[z.length];
        for (int i = 0; i < z.length; i++) gz[i] = g[i / d] * (1 - 2 * HostMath.sigmoid(z[i]));
        return gz;
    }

    static double[] betaLogProb(float[] z, int n, float[] logAlpha, float[] logBeta) {
        int d = logAlpha.length;
        double[] o = new double[n];
        for (int s = 0; s < n; s++) {
            double acc = 0;
            for (int i = 0; i < d; i++) {
                double a = Math.exp(logAlpha[i]), b = Math.exp(logBeta[i]), v = z[s * d + i];
                if (!(v > 0 && v < 1)) { acc = Double.NEGATIVE_INFINITY; break; }
                acc += (a - 1) * Math.log(v) + (b - 1) * Math.log1p(-v) - (lgamma(a) + lgamma(b) - lgamma(a + b));
            }
            o[s] = acc;
        }
        return o;
    }

    static Grads betaBackward(float[] z, float[] g, float[] logAlpha, float[] logBeta) {
        int d = logAlpha.length, n = g.length;
        double[] gz = new double[z.length], ga = new double[d], gb = new double[d];
        for (int s = 0; s < n; s++)
            for (int i = 0; i < d; i++) {
                double a = Math.exp(logAlpha[i]), b = Math.exp(logBeta[i]), v = z[s * d + i];
                if (!(v > 0 && v < 1)) continue;
                double psiAb = digamma(a + b);
                gz[s * d + i] = g[s] * ((a - 1) / v - (b - 1) / (1 - v));
                ga[i] += g[s] * (Math.log(v) - digamma(a) + psiAb) * a;
                gb[i] += g[s] * (Math.log1p(-v) - digamma(b) + psiAb) * b;
            }
        return new Grads(gz, new double[][] {ga, gb});
    }

    private static double[] logPi(float[] logits) {
        double m = Double.NEGATIVE_INFINITY, s = 0;
        for (float v : logits) m = Math.max(m, v);
        for (float v : logits) s += Math.exp(v - m);
        double[] p = new double[logits.length];
        for (int c = 0; c < p.length; c++) p[c] = logits[c] - (m + Math.log(s));
        return p;
    }

    /** Per-component terms of sample s into a (two-pass log-sum-exp, as the host base did); returns log p. */
    private static double terms(float[] z, int s, double[] lp, float[] mu, float[] ls, int d, double[] a) {
        int k = lp.length;
        double m = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < k; c++) {
            double acc = lp[c];
            for (int i = 0; i < d; i++) {
                double sd = Math.exp(ls[c * d + i]), e = (z[s * d + i] - mu[c * d + i]) / sd;
                acc += -0.5 * e * e - ls[c * d + i] - HALF_LOG_2PI;
            }
            a[c] = acc;
            m = Math.max(m, acc);
        }
        double sum = 0;
        for (int c = 0; c < k; c++) sum += Math.exp(a[c] - m);
        return m + Math.log(sum);
    }

    static double[] mixtureLogProb(float[] z, int n, float[] logits, float[] mu, float[] ls) {
        int k = logits.length, d = mu.length / k;
        double[] lp = logPi(logits), a = new double[k], o = new double[n];
        for (int s = 0; s < n; s++) o[s] = terms(z, s, lp, mu, ls, d, a);
        return o;
    }

    static Grads mixtureBackward(float[] z, float[] g, float[] logits, float[] mu, float[] ls) {
        int k = logits.length, d = mu.length / k, n = g.length;
        double[] lp = logPi(logits), a = new double[k], gz = new double[z.length], gl = new double[k], gm = new double[k * d], gs = new double[k * d];
        for (int s = 0; s < n; s++) {
            double lse = terms(z, s, lp, mu, ls, d, a);
            for (int c = 0; c < k; c++) {
                double rc = Math.exp(a[c] - lse) * g[s];
                gl[c] += rc - Math.exp(lp[c]) * g[s];
                for (int i = 0; i < d; i++) {
                    double v = Math.exp(-2 * ls[c * d + i]), diff = z[s * d + i] - mu[c * d + i];
                    gz[s * d + i] -= rc * diff * v;
                    gm[c * d + i] += rc * diff * v;
                    gs[c * d + i] += rc * (diff * diff * v - 1);
                }
            }
        }
        return new Grads(gz, new double[][] {gl, gm, gs});
    }
}
