package dev.fluvia.train.targets;

/**
 * An unnormalised target density {@code p̃(x) = Z·p(x)} for reverse-KL (variational) fitting, evaluated over a batch on
 * the host in float64. Any function works as long as it returns its gradient.
 */
public interface Target {
    /** Short name ("u1", "banana", "gauss:4", ...). */
    String name();

    /** Dimension D of one sample. */
    int dim();

    /**
     * log p̃ of n samples stored row-major in {@code x} ({@code [n·D]}) into {@code logp[0..n)}; when {@code grad} is not
     * null, also ∇ₓ log p̃ into it ({@code [n·D]}). Values may be −∞ (outside a support), never NaN for finite x.
     */
    void logDensity(double[] x, int n, double[] logp, double[] grad);

    /** The exact log Z = log ∫ p̃ when known in closed form, else NaN. */
    default double exactLogZ() { return Double.NaN; }

    /** A box {xmin, xmax, ymin, ymax} holding nearly all the mass of a 2-D target (for plots and grid integration). */
    default double[] view() { return new double[] {-4, 4, -4, 4}; }
}
