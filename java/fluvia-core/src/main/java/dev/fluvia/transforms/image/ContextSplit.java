package dev.fluvia.transforms.image;

import dev.fluvia.backend.Backend;
import dev.fluvia.param.Param;
import dev.fluvia.param.Stash;
import dev.fluvia.tensor.Tensor;
import dev.fluvia.transforms.FactorOut;
import java.util.List;

/**
 * The multi-scale split inside a conditional flow over rows {@code [x | c]} (docs/FLOWS.md "Conditional flows in Fluvia"):
 * the wrapped {@link Split} acts on the x part (its prior on the factored-out half sees the kept half, not c), and the
 * context is carried on with the kept half: {@code [x | c] → ([x₁ | c], z₂)}. Merging and drawing take the kept rows
 * and give back {@code [x | c]}; the backward passes {@code ∂L/∂c} through unchanged.
 */
public final class ContextSplit implements FactorOut {
    /** The layer kind in checkpoints. */
    public static final String KIND = "context_split";

    private final Split inner;
    private final ContextRows in, out;

    /**
     * @param inner   the split acting on x
     * @param context entries of c (≥ 1)
     */
    public ContextSplit(Backend be, Split inner, int context) {
        this.inner = inner;
        this.in = new ContextRows(be, KIND, inner.eventShape(), context);
        this.out = new ContextRows(be, KIND, inner.outputShape(), context);
    }

    /** The split acting on x. */
    public Split inner() { return inner; }
    /** Entries of the context c. */
    public int context() { return in.k; }

    @Override public String kind() { return KIND; }
    @Override public int[] eventShape() { return in.rowShape(); }
    @Override public int[] outputShape() { return out.rowShape(); }
    @Override public int[] factoredShape() { return inner.factoredShape(); }
    @Override public List<Param> params() { return inner.params(); }

    @Override public Factored factor(Tensor rows, Tensor ld, Stash stash) {
        in.check("forward", rows);
        Factored f = inner.factor(in.x(rows), ld, stash);
        return new Factored(out.join(f.kept(), in.c(rows)), f.latent());
    }

    @Override public Tensor merge(Tensor kept, Tensor latent, Tensor ld) {
        out.check("inverse", kept);
        return in.join(inner.merge(out.x(kept), latent, ld), out.c(kept));
    }

    @Override public Tensor drawLatent(Tensor kept, float temperature, long seed) {
        out.check("drawLatent", kept);
        return inner.drawLatent(out.x(kept), temperature, seed);
    }

    @Override public Tensor mergeDrawn(Tensor kept, float temperature, long seed, Tensor ld) {
        out.check("inverse", kept);
        return in.join(inner.mergeDrawn(out.x(kept), temperature, seed, ld), out.c(kept));
    }

    @Override public Tensor backward(Tensor rows, Tensor gy, Tensor gLd, Stash stash) {
        in.check("backward", rows);
        out.check("backward (gy)", gy);
        return in.join(inner.backward(in.x(rows), out.x(gy), gLd, stash), out.c(gy));
    }
}
