package dev.fluvia.transforms;

import dev.fluvia.backend.Backend;
import dev.fluvia.backend.pointwise.PointwiseOps;
import dev.fluvia.param.Param;
import dev.fluvia.param.Stash;
import dev.fluvia.tensor.Tensor;
import java.util.List;

/**
 * An element-wise bijection {@code y_i = f(x_i)} of vectors [D] (FLOWS.md "Element-wise"), with {@code ld = Σ_i log f'(x_i)},
 * computed by the backend's pointwise family ({@link Backend#pointwise()}: one fused kernel per direction on CUDA, float32
 * with per-row float64 log-det sums). A subclass names its four ops and, when a direction has a restricted domain, the
 * message of the {@link DomainException} raised for an input outside it (the op reports the first such element). The
 * generative backward (reverse KL): with {@code w = (gx − gL·(log f')'(x)) / f'(x)}, {@code ∂L/∂y = w} and
 * {@code ∂L/∂θ = −∂/∂θ[w·f + gL·log f']}. The float64 oracles of the tests ({@code ZooElementwiseOracles}) judge it.
 */
public abstract class Elementwise implements Transform, InverseBackward {
    protected final Backend be;
    protected final int dim;

    protected Elementwise(Backend be, int dim) {
        if (dim < 1) throw new IllegalArgumentException(kind() + ": dim must be >= 1, got " + dim);
        this.be = be;
        this.dim = dim;
    }

    /** y = f(x), ld += Σ log f'(x); returns the first index outside the forward's domain, or −1. */
    protected abstract long forwardOp(PointwiseOps ops, Tensor x, Tensor y, Tensor ld);
    /** x = f⁻¹(y), ld −= Σ log f'(x); returns the first index outside the inverse's domain, or −1. */
    protected abstract long inverseOp(PointwiseOps ops, Tensor y, Tensor x, Tensor ld);
    /** gx = gy·f'(x) + gLd·(log f')'(x); the parameter gradients accumulated. */
    protected abstract void backwardOp(PointwiseOps ops, Tensor x, Tensor gy, Tensor gLd, Tensor gx);
    /** gy = w (see the class comment) at x = f⁻¹(y); the parameter gradients accumulated. */
    protected abstract void inverseBackwardOp(PointwiseOps ops, Tensor x, Tensor gx, Tensor gLd, Tensor gy);
    /** What the direction needs, for the DomainException ("the inverse (logit) needs values in (0, 1)"); unused when it cannot fail. */
    protected String domain(boolean inverse) { return "outside the domain"; }

    @Override public int[] eventShape() { return new int[] {dim}; }
    @Override public List<Param> params() { return List.of(); }

    /** Raises the DomainException for element {@code bad} of {@code in} (read back only on this path). */
    private void refuse(long bad, Tensor in, boolean inverse, String op) {
        if (bad < 0) return;
        float v = be.toHost(in)[(int) bad];
        throw new DomainException(kind() + "." + op + ": " + domain(inverse) + ", got " + v + " (row " + bad / dim + ", column " + bad % dim + ")");
    }

    @Override public Tensor forward(Tensor x, Tensor ld, Stash stash) {
        Events.check(kind(), "forward", x, eventShape());
        Tensor y = be.alloc(x.shape());
        refuse(forwardOp(be.pointwise(), x, y, ld), x, false, "forward");
        return y;
    }

    @Override public Tensor inverse(Tensor y, Tensor ld) {
        Events.check(kind(), "inverse", y, eventShape());
        Tensor x = be.alloc(y.shape());
        refuse(inverseOp(be.pointwise(), y, x, ld), y, true, "inverse");
        return x;
    }

    @Override public Tensor backward(Tensor x, Tensor gy, Tensor gLd, Stash stash) {
        Events.check(kind(), "backward", x, eventShape());
        Tensor gx = be.alloc(x.shape());
        backwardOp(be.pointwise(), x, gy, gLd, gx);
        return gx;
    }

    @Override public Tensor inverseBackward(Tensor y, Tensor x, Tensor gx, Tensor gLd) {
        Events.check(kind(), "inverseBackward", y, eventShape());
        Tensor gy = be.alloc(y.shape());
        inverseBackwardOp(be.pointwise(), x, gx, gLd, gy);
        return gy;
    }
}
