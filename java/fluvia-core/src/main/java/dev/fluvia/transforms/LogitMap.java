package dev.fluvia.transforms;

import dev.fluvia.backend.Backend;
import dev.fluvia.backend.pointwise.PointwiseOps;
import dev.fluvia.tensor.Tensor;

/**
 * Element-wise logit map (kind {@code logit_map}; {@code logit} is the image pre-processing with λ):
 * {@code y = logit(x) = log(x/(1−x))}: (0, 1) → ℝ, {@code log logit'(x) = −log x − log(1−x)}; inverse = σ. Data outside
 * (0, 1) is refused with {@link DomainException}.
 */
public final class LogitMap extends Elementwise {
    public static final String KIND = "logit_map";

    public LogitMap(Backend be, int dim) { super(be, dim); }

    @Override public String kind() { return KIND; }
    @Override protected long forwardOp(PointwiseOps o, Tensor x, Tensor y, Tensor ld) { return o.logitMapForward(x, y, ld); }
    @Override protected long inverseOp(PointwiseOps o, Tensor y, Tensor x, Tensor ld) { o.logitMapInverse(y, x, ld); return -1; }
    @Override protected void backwardOp(PointwiseOps o, Tensor x, Tensor gy, Tensor gLd, Tensor gx) { o.logitMapBackward(x, gy, gLd, gx); }
    @Override protected void inverseBackwardOp(PointwiseOps o, Tensor x, Tensor gx, Tensor gLd, Tensor gy) { o.logitMapInverseBackward(x, gx, gLd, gy); }
    @Override protected String domain(boolean inverse) { return "logit needs values in (0, 1)"; }
}
