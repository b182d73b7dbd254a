package dev.fluvia.transforms;

import dev.fluvia.backend.Backend;
import dev.fluvia.backend.pointwise.PointwiseOps;
import dev.fluvia.tensor.Tensor;

/**
 * {@code y = tanh(x)}: ℝ → (−1, 1), {@code log(1 − tanh²x) = 2(log 2 − x − softplus(−2x))} (stable for large |x|);
 * inverse = atanh (y must lie in (−1, 1)).
 */
public final class Tanh extends Elementwise {
    public static final String KIND = "tanh";

    public Tanh(Backend be, int dim) { super(be, dim); }

    @Override public String kind() { return KIND; }
    @Override protected long forwardOp(PointwiseOps o, Tensor x, Tensor y, Tensor ld) { o.tanhForward(x, y, ld); return -1; }
    @Override protected long inverseOp(PointwiseOps o, Tensor y, Tensor x, Tensor ld) { return o.tanhInverse(y, x, ld); }
    @Override protected void backwardOp(PointwiseOps o, Tensor x, Tensor gy, Tensor gLd, Tensor gx) { o.tanhBackward(x, gy, gLd, gx); }
    @Override protected void inverseBackwardOp(PointwiseOps o, Tensor x, Tensor gx, Tensor gLd, Tensor gy) { o.tanhInverseBackward(x, gx, gLd, gy); }
    @Override protected String domain(boolean inverse) { return "the inverse (atanh) needs values in (−1, 1)"; }
}
