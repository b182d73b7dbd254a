package dev.fluvia.transforms;

import dev.fluvia.backend.Backend;
import dev.fluvia.backend.pointwise.PointwiseOps;
import dev.fluvia.param.ParamSource;
import dev.fluvia.param.Param;
import dev.fluvia.tensor.Tensor;
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
    @Override protected long forwardOp(PointwiseOps o, Tensor x, Tensor y, Tensor ld) {
        o.scalarAffineForward(x, logScale.value(), shift.value(), y, ld);
        return -1;
    }
    @Override protected long inverseOp(PointwiseOps o, Tensor y, Tensor x, Tensor ld) {
        o.scalarAffineInverse(y, logScale.value(), shift.value(), x, ld);
        return -1;
    }
    @Override protected void backwardOp(PointwiseOps o, Tensor x, Tensor gy, Tensor gLd, Tensor gx) {
        o.scalarAffineBackward(x, logScale.value(), shift.value(), gy, gLd, gx, logScale.grad(), shift.grad());
    }
    @Override protected void inverseBackwardOp(PointwiseOps o, Tensor x, Tensor gx, Tensor gLd, Tensor gy) {
        o.scalarAffineInverseBackward(x, logScale.value(), shift.value(), gx, gLd, gy, logScale.grad(), shift.grad());
    }
}
