package dev.fluvia.transforms;

import dev.fluvia.param.HostMath;
import dev.fluvia.backend.Backend;

/**
 * Element-wise logit map (kind {@code logit_map}; {@code logit} is the image pre-processing with λ):
 * {@code y = logit(x) = log(x/(1−x))}: (0, 1) → ℝ, {@code log logit'(x) = −log x − log(1−x)}; inverse = σ. Data outside
 * (0, 1) is refused with {@link DomainException}.
 */
public final class LogitMap extends Elementwise {
    public static final String KIND = "logit_map";

    public LogitMap(Backend be, int dim) { super(be, dim); }

    @Override public String kind() { return KIND; }
    @Override protected double f(double x, double[] th) { return Math.log(x) - Math.log1p(-x); }
    @Override protected double inv(double y, double[] th) { return HostMath.sigmoid(y); }
    @Override protected double logDeriv(double x, double[] th) { return -Math.log(x) - Math.log1p(-x); }
    @Override protected double deriv(double x, double[] th) { return 1 / (x * (1 - x)); }
    @Override protected double logDerivDeriv(double x, double[] th) { return -1 / x + 1 / (1 - x); }

    @Override protected void checkForwardDomain(double x, String op) {
        if (!(x > 0 && x < 1)) throw new DomainException(KIND + "." + op + ": logit needs values in (0, 1), got " + x);
    }
}
