package dev.fluvia.transforms;

import dev.fluvia.param.Stash;
import dev.fluvia.backend.Backend;
import dev.fluvia.param.Param;
import dev.fluvia.param.ParamSource;
import dev.fluvia.tensor.Tensor;
import java.util.List;

/**
 * NICE's final diagonal scaling (FLOWS.md): {@code y = x ⊙ exp(s)}, {@code ld = Σ_d s_d}, with a learned {@code s [D]}
 * initialised to 0 (the identity). Runs on the actnorm ops with no bias.
 */
public final class DiagScale implements Transform {
    public static final String KIND = "diag_scale";

    private final Backend be;
    private final int dim;
    private final Param s;

    public DiagScale(Backend be, int dim) { this(ParamSource.fresh(be), be, dim); }

    public DiagScale(ParamSource src, Backend be, int dim) {
        if (dim < 1) throw new IllegalArgumentException(KIND + ": dim must be >= 1, got " + dim);
        this.be = be;
        this.dim = dim;
        this.s = src.param("s", true, () -> new float[dim], dim);
    }

    @Override public String kind() { return KIND; }
    @Override public int[] eventShape() { return new int[] {dim}; }
    @Override public List<Param> params() { return List.of(s); }

    @Override public Tensor forward(Tensor x, Tensor ld, Stash stash) {
        Events.check(KIND, "forward", x, eventShape());
        Tensor y = be.alloc(x.shape());
        be.actnormForward(x, s.value(), null, y, ld);
        return y;
    }

    @Override public Tensor inverse(Tensor y, Tensor ld) {
        Events.check(KIND, "inverse", y, eventShape());
        Tensor x = be.alloc(y.shape());
        be.actnormInverse(y, s.value(), null, x, ld);
        return x;
    }

    @Override public Tensor backward(Tensor x, Tensor gy, Tensor gLd, Stash stash) {
        Events.check(KIND, "backward", x, eventShape());
        Tensor gx = be.alloc(x.shape());
        be.actnormBackward(x, s.value(), gy, gLd, gx, s.grad(), null);
        return gx;
    }

}
