package dev.fluvia.oracle;

import dev.fluvia.backend.CouplingScale;
import dev.fluvia.oracle.ImageOracles.Conditioner;
import java.util.Arrays;
import java.util.Map;

/**
 * Float64 oracles of the layers of conditional image flows over rows {@code [x | c]} (docs/FLOWS.md "Conditional flows in
 * Fluvia"), written from the math: the conditional couplings' conditioner sees the conditioning part of x followed by
 * the K context values as constant planes; the carried layers act on x with c passing through.
 */
public final class ContextImageOracles {
    private ContextImageOracles() {}

    /** The conditioner input: the mask's conditioning input of x, then K planes, plane j filled with c_j. */
    private static double[] condInput(ImageOracles.Mask m, double[] x, double[] c) {
        double[] a = m.condInput(x);
        int hw = m.hw();
        double[] r = Arrays.copyOf(a, a.length + c.length * hw);
        for (int j = 0; j < c.length; j++) Arrays.fill(r, a.length + j * hw, a.length + (j + 1) * hw, c[j]);
        return r;
    }

    /** conditional_image_affine_coupling on rows of {@code C·H·W + context} values. */
    public static TransformOracle affineCoupling(int[] shape, int context, String mask, int parity, CouplingScale scale, double clamp, Conditioner net) {
        ImageOracles.Mask m = new ImageOracles.Mask(shape[0], shape[1], shape[2], mask, parity);
        int d = shape[0] * shape[1] * shape[2];
        return new TransformOracle() {
            double logS(double raw) {
                return scale == CouplingScale.SOFTCLAMP ? clamp * Math.tanh(raw / clamp) : -Math.log1p(Math.exp(-(raw + 2)));
            }

            Out run(double[] in, boolean fwd, Map<String, double[]> p) {
                double[] x = Arrays.copyOf(in, d), c = Arrays.copyOfRange(in, d, d + context);
                double[] out = net.apply(condInput(m, x, c), m.cin() + context, m.cout(2), m.h(), m.w(), p), r = in.clone();
                double ld = 0;
                for (int ch = 0; ch < m.c(); ch++)
                    for (int i = 0; i < m.h(); i++)
                        for (int j = 0; j < m.w(); j++) {
                            if (!m.transformed(ch, i, j)) continue;
                            int at = (ch * m.h() + i) * m.w() + j;
                            double ls = logS(out[m.outIndex(ch, i, j, 0)]), t = out[m.outIndex(ch, i, j, 1)], v = in[at];
                            if (fwd) r[at] = scale == CouplingScale.SOFTCLAMP ? v * Math.exp(ls) + t : (v + t) * Math.exp(ls);
                            else r[at] = scale == CouplingScale.SOFTCLAMP ? (v - t) * Math.exp(-ls) : v * Math.exp(-ls) - t;
                            ld += fwd ? ls : -ls;
                        }
                return new Out(r, ld);
            }

            @Override public Out forward(double[] x, Map<String, double[]> p) { return run(x, true, p); }
            @Override public Out inverse(double[] y, Map<String, double[]> p) { return run(y, false, p); }
        };
    }

    /** conditional_image_additive_coupling: y = x + m(x_a, c) on the transformed elements, c unchanged, ld = 0. */
    public static TransformOracle additiveCoupling(int[] shape, int context, String mask, int parity, Conditioner net) {
        ImageOracles.Mask m = new ImageOracles.Mask(shape[0], shape[1], shape[2], mask, parity);
        int d = shape[0] * shape[1] * shape[2];
        return new TransformOracle() {
            Out run(double[] in, double sign, Map<String, double[]> p) {
                double[] x = Arrays.copyOf(in, d), c = Arrays.copyOfRange(in, d, d + context);
                double[] out = net.apply(condInput(m, x, c), m.cin() + context, m.cout(1), m.h(), m.w(), p), r = in.clone();
                for (int ch = 0; ch < m.c(); ch++)
                    for (int i = 0; i < m.h(); i++)
                        for (int j = 0; j < m.w(); j++)
                            if (m.transformed(ch, i, j)) r[(ch * m.h() + i) * m.w() + j] += sign * out[m.outIndex(ch, i, j, 0)];
                return new Out(r, 0);
            }

            @Override public Out forward(double[] x, Map<String, double[]> p) { return run(x, 1, p); }
            @Override public Out inverse(double[] y, Map<String, double[]> p) { return run(y, -1, p); }
        };
    }

    /**
     * context_carry / context_split: the inner oracle on the x part ({@code dIn} values forward, {@code dOut} kept values
     * on the way back), c appended unchanged. For a split, the inverse input is the kept row {@code [x₁ | c]} followed by
     * z₂ (as {@link TransformCheck} passes it), and the inner oracle gets {@code x₁} followed by z₂.
     */
    public static TransformOracle carry(TransformOracle inner, int dIn, int dOut, int context) {
        return new TransformOracle() {
            @Override public Out forward(double[] row, Map<String, double[]> p) {
                Out o = inner.forward(Arrays.copyOf(row, dIn), p);
                double[] r = Arrays.copyOf(o.v(), dOut + context);
                System.arraycopy(row, dIn, r, dOut, context);
                return new Out(r, o.ld());
            }

            @Override public Out inverse(double[] in, Map<String, double[]> p) {
                double[] x = new double[in.length - context];   // x_kept, then any factored-out values
                System.arraycopy(in, 0, x, 0, dOut);
                System.arraycopy(in, dOut + context, x, dOut, in.length - dOut - context);
                Out o = inner.inverse(x, p);
                double[] r = Arrays.copyOf(o.v(), dIn + context);
                System.arraycopy(in, dOut, r, dIn, context);
                return new Out(r, o.ld());
            }
        };
    }
}
