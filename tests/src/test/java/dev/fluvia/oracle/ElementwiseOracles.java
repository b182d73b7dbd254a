package dev.fluvia.oracle;

import java.util.Map;

/** Float64 references of the per-channel affine layers (ActNorm, NICE's diagonal scaling, standardisation) and of the permutation. */
public final class ElementwiseOracles {
    private ElementwiseOracles() {}

    /**
     * Per channel {@code y = x·exp(logs_c) + bias_c} on samples of {@code channels × spatial} elements (channel-major),
     * {@code ld = spatial·Σ_c logs_c}. {@code biasName} may be null (no bias).
     */
    public static TransformOracle scaleShift(String logsName, String biasName, int channels, int spatial) {
        return new TransformOracle() {
            @Override public Out forward(double[] x, Map<String, double[]> p) {
                double[] ls = p.get(logsName), b = biasName == null ? new double[channels] : p.get(biasName);
                double[] y = new double[x.length];
                double ld = 0;
                for (int c = 0; c < channels; c++) {
                    for (int s = 0; s < spatial; s++) y[c * spatial + s] = x[c * spatial + s] * Math.exp(ls[c]) + b[c];
                    ld += spatial * ls[c];
                }
                return new Out(y, ld);
            }

            @Override public Out inverse(double[] y, Map<String, double[]> p) {
                double[] ls = p.get(logsName), b = biasName == null ? new double[channels] : p.get(biasName);
                double[] x = new double[y.length];
                double ld = 0;
                for (int c = 0; c < channels; c++) {
                    for (int s = 0; s < spatial; s++) x[c * spatial + s] = (y[c * spatial + s] - b[c]) * Math.exp(-ls[c]);
                    ld -= spatial * ls[c];
                }
                return new Out(x, ld);
            }
        };
    }

    /** {@code y = (x − mean)/std}, {@code ld = −Σ log std} (parameters "mean", "std"). */
    public static TransformOracle standardize() {
        return new TransformOracle() {
            @Override public Out forward(double[] x, Map<String, double[]> p) {
                double[] m = p.get("mean"), s = p.get("std"), y = new double[x.length];
                double ld = 0;
                for (int i = 0; i < x.length; i++) { y[i] = (x[i] - m[i]) / s[i]; ld -= Math.log(s[i]); }
                return new Out(y, ld);
            }

            @Override public Out inverse(double[] y, Map<String, double[]> p) {
                double[] m = p.get("mean"), s = p.get("std"), x = new double[y.length];
                double ld = 0;
                for (int i = 0; i < y.length; i++) { x[i] = y[i] * s[i] + m[i]; ld += Math.log(s[i]); }
                return new Out(x, ld);
            }
        };
    }

    /** {@code y[k] = x[perm[k]]}, ld 0. */
    public static TransformOracle permutation(int[] perm) {
        return new TransformOracle() {
            @Override public Out forward(double[] x, Map<String, double[]> p) {
                double[] y = new double[x.length];
                for (int k = 0; k < perm.length; k++) y[k] = x[perm[k]];
                return new Out(y, 0);
            }

            @Override public Out inverse(double[] y, Map<String, double[]> p) {
                double[] x = new double[y.length];
                for (int k = 0; k < perm.length; k++) x[perm[k]] = y[k];
                return new Out(x, 0);
            }
        };
    }
}
