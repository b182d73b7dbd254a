package dev.fluvia.transforms;

import dev.fluvia.backend.Backend;
import dev.fluvia.param.ParamSource;
import dev.fluvia.param.Param;
import java.util.List;

/**
 * A scalar affine map shared by every element: {@code y = e^s·x + t} (parameters {@code log_scale} = s and
 * {@code shift} = t, initialised to the identity), {@code ld = D·s}.
 */
public final class ScalarAffine extends Elementwise {
    public static final String KIND = "scalar_affine";
    private final Param logScale, shift;

    public ScalarAffine(Backend be, int dim) { this(ParamSource.fresh(be), be, dim); }

    /** @param src where log_scale and shift come from */
    public ScalarAffine(ParamSource src, Backend be, int dim) {
        super(be, dim);
        logScale = src.param("log_scale", true, () -> new float[1], 1);
        shift = src.param("shift", true, () -> new float[1], 1);
    }

    @Override public String kind() { return KIND; }
    @Override public List<Param> params() { return List.of(logScale, shift); }
    @Override protected double[] scalars() { return new double[] {scalar(logScale), scalar(shift)}; }
    @Override protected double f(double x, double[] th) { return Math.exp(th[0]) * x + th[1]; }
    @Override protected double inv(double y, double[] th) { return (y - th[1]) * Math.exp(-th[0]); }
    @Override protected double logDeriv(double x, double[] th) { return th[0]; }
    @Override protected double deriv(double x, double[] th) { return Math.exp(th[0]); }
    @Override protected double logDerivDeriv(double x, double[] th) { return 0; }

    @Override protected void paramGrad(double x, double gy, double gl, double[] th, double[] acc) {
        acc[0] += gy * Math.exp(th[0]) * x + gl;
        acc[1] += gy;
    }
}
