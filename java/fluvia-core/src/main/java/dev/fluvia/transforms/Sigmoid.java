package dev.fluvia.transforms;

import dev.fluvia.backend.Backend;
import dev.fluvia.param.HostMath;

/** {@code y = σ(x)}: ℝ → (0, 1), {@code log σ'(x) = −softplus(−x) − softplus(x)}; inverse = logit (y must lie in (0, 1)). */
public final class Sigmoid extends Elementwise {
    public static final String KIND = "sigmoid";

    public Sigmoid(Backend be, int dim) { super(be, dim); }

    @Override public String kind() { return KIND; }
    @Override protected double f(double x, double[] th) { return HostMath.sigmoid(x); }
    @Override protected double inv(double y, double[] th) { return Math.log(y) - Math.log1p(-y); }
    @Override protected double logDeriv(double x, double[] th) { return -HostMath.softplus(-x) - HostMath.softplus(x); }
    @Override protected double deriv(double x, double[] th) { double s = HostMath.sigmoid(x); return s * (1 - s); }
    @Override protected double logDerivDeriv(double x, double[] th) { return 1 - 2 * HostMath.sigmoid(x); }

    @Override protected void checkInverseDomain(double y, String op) {
        if (!(y > 0 && y < 1)) throw new DomainException(KIND + "." + op + ": the inverse (logit) needs values in (0, 1), got " + y);
    }
}
