package dev.fluvia.transforms;

import dev.fluvia.backend.Backend;
import dev.fluvia.backend.pointwise.PointwiseOps;
import dev.fluvia.tensor.Tensor;

/** {@code y = σ(x)}: ℝ → (0, 1), {@code log σ'(x) = −softplus(−x) − softplus(x)}; inverse = logit (y must lie in (0, 1)). */
public final class Sigmoid extends Elementwise {
    public static final String KIND = "sigmoid";

    public Sigmoid(Backend be, int dim) { super(be, dim); }

    @Override public String kind() { return KIND; }
    @Override protected long forwardOp(PointwiseOps o, Tensor x, Tensor y, Tensor ld) { o.sigmoidForward(x, y, ld); return -1; }
    @Override protected long inverseOp(PointwiseOps o, Tensor y, Tensor x, Tensor ld) { return o.sigmoidInverse(y, x, ld); }
    @Override protected void backwardOp(PointwiseOps o, Tensor x, Tensor gy, Tensor gLd, Tensor gx) { o.sigmoidBackward(x, gy, gLd, gx); }
    @Override protected void inverseBackwardOp(PointwiseOps o, Tensor x, Tensor gx, Tensor gLd, Tensor gy) { o.sigmoidInverseBackward(x, gx, gLd, gy); }
    @Override protected String domain(boolean inverse) { return "the inverse (logit) needs values in (0, 1)"; }
}
