package dev.fluvia.train.targets;

/**
 * An unnormalised target density {@code p̃(x) = Z·p(x)} for reverse-KL (variational) fitting, evaluated over a batch on
 * the host in float64. Any function works as long as it returns its gradient.
 */
public interface Target {
    /** {@return the short name ("u1", "banana", "gauss:4", ...)} */
    String name();

    /** {@return the dimension D of one sample} */
    int dim();

    /**
     * log p̃ of n samples stored row-major in {@code x} ({@code [n·D]}) into {@code logp[0..n)}; when {@code grad} is not
     * null, also ∇ₓ log p̃ into it ({@code [n·D]}). Values may be −∞ (outside a support), never NaN for finite x.
     *
     * @param x    n samples of D values, row-major
     * @param n    the number of samples
     * @param logp receives log p̃ per sample (overwritten, first n entries)
     * @param grad receives ∇ₓ log p̃ (overwritten, {@code n·D} entries), or null
     */
    void logDensity(double[] x, int n, double[] logp, double[] grad);

    /** {@return the exact log Z = log ∫ p̃ when known in closed form, else NaN} */
    default double exactLogZ() { return Double.NaN; }

    /** {@return a box {xmin, xmax, ymin, ymax} holding nearly all the mass of a 2-D target} For plots and grid integration. */
    default double[] view() { return new double[] {-4, 4, -4, 4}; }
}
