package dev.fluvia.transforms;

import dev.fluvia.backend.Backend;
import dev.fluvia.backend.pointwise.PointwiseOps;
import dev.fluvia.param.ParamSource;
import dev.fluvia.param.Param;
import dev.fluvia.tensor.Tensor;
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
    @Override protected long forwardOp(PointwiseOps o, Tensor x, Tensor y, Tensor ld) { o.leakyReluForward(x, logSlope.value(), y, ld); return -1; }
    @Override protected long inverseOp(PointwiseOps o, Tensor y, Tensor x, Tensor ld) { o.leakyReluInverse(y, logSlope.value(), x, ld); return -1; }
    @Override protected void backwardOp(PointwiseOps o, Tensor x, Tensor gy, Tensor gLd, Tensor gx) {
        o.leakyReluBackward(x, logSlope.value(), gy, gLd, gx, logSlope.grad());
    }
    @Override protected void inverseBackwardOp(PointwiseOps o, Tensor x, Tensor gx, Tensor gLd, Tensor gy) {
        o.leakyReluInverseBackward(x, logSlope.value(), gx, gLd, gy, logSlope.grad());
    }
}
