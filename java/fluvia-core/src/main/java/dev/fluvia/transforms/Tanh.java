package dev.fluvia.transforms;

import dev.fluvia.param.HostMath;
import dev.fluvia.backend.Backend;

/**
 * {@code y = tanh(x)}: ℝ → (−1, 1), {@code log(1 − tanh²x) = 2(log 2 − x − softplus(−2x))} (stable for large |x|);
 * inverse = atanh (y must lie in (−1, 1)).
 */
public final class Tanh extends Elementwise {
    public static final String KIND = "tanh";

    public Tanh(Backend be, int dim) { super(be, dim); }

    @Override public String kind() { return KIND; }
    @Override protected double f(double x, double[] th) { return Math.tanh(x); }
    @Override protected double inv(double y, double[] th) { return 0.5 * (Math.log1p(y) - Math.log1p(-y)); }
    @Override protected double logDeriv(double x, double[] th) { return 2 * (Math.log(2) - x - HostMath.softplus(-2 * x)); }
    @Override protected double deriv(double x, double[] th) { double t = Math.tanh(x); return 1 - t * t; }
    @Override protected double logDerivDeriv(double x, double[] th) { return -2 * Math.tanh(x); }

    @Override protected void checkInverseDomain(double y, String op) {
        if (!(y > -1 && y < 1)) throw new DomainException(KIND + "." + op + ": the inverse (atanh) needs values in (−1, 1), got " + y);
    }
}
