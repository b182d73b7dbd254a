package dev.fluvia.oracle;

import dev.fluvia.backend.Activation;
import dev.fluvia.backend.CouplingScale;
import java.util.Map;

/** Float64 references of the affine (RealNVP / Glow) and additive (NICE) couplings, FLOWS.md. */
public final class CouplingOracles {
    private CouplingOracles() {}

    static double[] pick(double[] x, int[] idx) {
        double[] o = new double[idx.length];
        for (int k = 0; k < idx.length; k++) o[k] = x[idx[k]];
        return o;
    }

    static int[] mlpDims(int in, int[] hidden, int out) {
        int[] d = new int[hidden.length + 2];
        d[0] = in;
        System.arraycopy(hidden, 0, d, 1, hidden.length);
        d[d.length - 1] = out;
        return d;
    }

    /** Affine coupling: h = MLP(x_a) = [raw | t]; SOFTCLAMP log s = c·tanh(raw/c), y_b = x_b·s + t; SIGMOID s = σ(raw + 2), y_b = (x_b + t)·s. */
    public static TransformOracle affine(int[] a, int[] b, int[] hidden, Activation act, CouplingScale scale, double clamp) {
        MlpOracle net = new MlpOracle("net.", mlpDims(a.length, hidden, 2 * b.length), act);
        int k = b.length;
        return new TransformOracle() {
            double logS(double raw) {
                return scale == CouplingScale.SOFTCLAMP ? clamp * Math.tanh(raw / clamp) : Math.log(1 / (1 + Math.exp(-(raw + 2))));
            }

            @Override public Out forward(double[] x, Map<String, double[]> p) {
                double[] h = net.apply(pick(x, a), p), y = x.clone();
                double ld = 0;
                for (int j = 0; j < k; j++) {
                    double ls = logS(h[j]), t = h[k + j], xb = x[b[j]];
                    y[b[j]] = scale == CouplingScale.SOFTCLAMP ? xb * Math.exp(ls) + t : (xb + t) * Math.exp(ls);
                    ld += ls;
                }
                return new Out(y, ld);
            }

            @Override public Out inverse(double[] y, Map<String, double[]> p) {
                double[] h = net.apply(pick(y, a), p), x = y.clone();
                double ld = 0;
                for (int j = 0; j < k; j++) {
                    double ls = logS(h[j]), t = h[k + j], yb = y[b[j]];
                    x[b[j]] = scale == CouplingScale.SOFTCLAMP ? (yb - t) * Math.exp(-ls) : yb * Math.exp(-ls) - t;
                    ld -= ls;
                }
                return new Out(x, ld);
            }
        };
    }

    /** Additive coupling: y_b = x_b + MLP(x_a), ld = 0. */
    public static TransformOracle additive(int[] a, int[] b, int[] hidden, Activation act) {
        MlpOracle net = new MlpOracle("net.", mlpDims(a.length, hidden, b.length), act);
        return new TransformOracle() {
            Out shift(double[] in, Map<String, double[]> p, double sign) {
                double[] m = net.apply(pick(in, a), p), out = in.clone();
                for (int j = 0; j < b.length; j++) out[b[j]] += sign * m[j];
                return new Out(out, 0);
            }
            @Override public Out forward(double[] x, Map<String, double[]> p) { return shift(x, p, 1); }
            @Override public Out inverse(double[] y, Map<String, double[]> p) { return shift(y, p, -1); }
        };
    }
}
