package dev.fluvia.transforms.image;

import dev.fluvia.FluviaException.ShapeException;
import dev.fluvia.backend.Backend;
import dev.fluvia.param.Param;
import dev.fluvia.param.Stash;
import dev.fluvia.tensor.Tensor;
import dev.fluvia.transforms.FactorOut;
import dev.fluvia.transforms.Transform;
import java.util.List;

/**
 * A layer that acts on x alone inside a conditional flow over rows {@code [x | c]} (docs/FLOWS.md "Conditional flows in
 * Fluvia"): the wrapped layer (ActNorm, invertible 1×1 convolution, squeeze, the logit pre-processing, or any layer
 * without a conditioner) transforms the x part, reshaped to its event shape, and the context {@code c} is carried
 * through unchanged. So {@code y = [f(x) | c]}, the log-det is the wrapped layer's, and the backward passes
 * {@code ∂L/∂c} through unchanged (the wrapped layer does not see c).
 */
public final class ContextCarry implements Transform {
    /** The layer kind in checkpoints. */
    public static final String KIND = "context_carry";

    private final Transform inner;
    private final ContextRows in, out;

    /**
     * @param inner   the layer on x (not a split layer: {@link ContextSplit} carries those)
     * @param context entries of c (≥ 1)
     */
    public ContextCarry(Backend be, Transform inner, int context) {
        if (inner instanceof FactorOut)
            throw new ShapeException(KIND + ": a split layer (" + inner.kind() + ") is carried by " + ContextSplit.KIND);
        this.inner = inner;
        this.in = new ContextRows(be, KIND + "(" + inner.kind() + ")", inner.eventShape(), context);
        this.out = new ContextRows(be, KIND + "(" + inner.kind() + ")", inner.outputShape(), context);
    }

    /** The layer acting on x. */
    public Transform inner() { return inner; }
    /** Entries of the context c. */
    public int context() { return in.k; }

    @Override public String kind() { return KIND; }
    @Override public int[] eventShape() { return in.rowShape(); }
    @Override public int[] outputShape() { return out.rowShape(); }
    @Override public List<Param> params() { return inner.params(); }

    @Override public void initialize(Tensor rows) {
        in.check("initialize", rows);
        inner.initialize(in.x(rows));
    }

    @Override public Tensor forward(Tensor rows, Tensor ld, Stash stash) {
        in.check("forward", rows);
        return out.join(inner.forward(in.x(rows), ld, stash), in.c(rows));
    }

    @Override public Tensor inverse(Tensor rows, Tensor ld) {
        out.check("inverse", rows);
        return in.join(inner.inverse(out.x(rows), ld), out.c(rows));
    }

    @Override public Tensor backward(Tensor rows, Tensor gy, Tensor gLd, Stash stash) {
        in.check("backward", rows);
        out.check("backward (gy)", gy);
        return in.join(inner.backward(in.x(rows), out.x(gy), gLd, stash), out.c(gy));
    }
}
