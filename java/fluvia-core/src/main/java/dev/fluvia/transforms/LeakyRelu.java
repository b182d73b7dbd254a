package dev.fluvia.transforms;

import dev.fluvia.backend.Backend;
import dev.fluvia.param.ParamSource;
import dev.fluvia.param.Param;
import java.util.List;

/**
 * Invertible leaky ReLU with a learned slope: {@code y = x} for x ≥ 0, {@code y = e^a·x} for x &lt; 0 (parameter
 * {@code log_slope} = a, so the slope stays positive); {@code ld = a·#{x_i < 0}}; inverse {@code x = y} for y ≥ 0,
 * {@code e^{−a}·y} otherwise.
 */
public final class LeakyRelu extends Elementwise {
    public static final String KIND = "leaky_relu";
    private final Param logSlope;

    public LeakyRelu(Backend be, int dim, double slope) { this(ParamSource.fresh(be), be, dim, slope); }

    /** @param src where log_slope comes from (a stored source ignores {@code slope}) */
    public LeakyRelu(ParamSource src, Backend be, int dim, double slope) {
        super(be, dim);
        if (!(slope > 0) || !Double.isFinite(slope)) throw new IllegalArgumentException(KIND + ": slope must be > 0, got " + slope);
        logSlope = src.param("log_slope", true, () -> new float[] {(float) Math.log(slope)}, 1);
    }

    @Override public String kind() { return KIND; }
    @Override public List<Param> params() { return List.of(logSlope); }
    @Override protected double[] scalars() { return new double[] {scalar(logSlope)}; }
    @Override protected double f(double x, double[] th) { return x >= 0 ? x : Math.exp(th[0]) * x; }
    @Override protected double inv(double y, double[] th) { return y >= 0 ? y : Math.exp(-th[0]) * y; }
    @Override protected double logDeriv(double x, double[] th) { return x >= 0 ? 0 : th[0]; }
    @Override protected double deriv(double x, double[] th) { return x >= 0 ? 1 : Math.exp(th[0]); }
    @Override protected double logDerivDeriv(double x, double[] th) { return 0; }

    @Override protected void paramGrad(double x, double gy, double gl, double[] th, double[] acc) {
        if (x < 0) acc[0] += gy * Math.exp(th[0]) * x + gl;
    }
}
