package dev.fluvia.backend.elementwise;

/**
 * The unary maps of {@link ElementwiseOps#map} (the kernel selects by ordinal: keep the order of kernels/elementwise.cu's
 * {@code flvUnary}). Every value is computed in double and rounded to float once.
 */
public enum Unary {
    /** log x. */
    LOG,
    /** exp x. */
    EXP,
    /** log(1 + exp x), stable: max(x, 0) + log1p(exp(−|x|)). */
    SOFTPLUS,
    /** 1 / (1 + exp(−x)). */
    SIGMOID,
    /** tanh x. */
    TANH,
    /** −x. */
    NEG,
    /** x². */
    SQUARE,
    /** log sigmoid(x) = −softplus(−x). */
    LOG_SIGMOID;

    /** The map in double (the CPU reference; the kernel computes the same expression). */
    public double apply(double v) {
        return switch (this) {
            case LOG -> Math.log(v);
            case EXP -> Math.exp(v);
            case SOFTPLUS -> Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v)));
            case SIGMOID -> 1 / (1 + Math.exp(-v));
            case TANH -> Math.tanh(v);
            case NEG -> -v;
            case SQUARE -> v * v;
            case LOG_SIGMOID -> -(Math.max(-v, 0) + Math.log1p(Math.exp(-Math.abs(v))));
        };
    }
}
