package dev.fluvia.transforms;

import dev.fluvia.FluviaException;
import dev.fluvia.param.Stash;
import dev.fluvia.tensor.Tensor;

/**
 * A layer that factors part of its input out of the flow (the multi-scale split): its forward keeps part of x and hands
 * the rest back as a latent of its own, scoring it under a prior whose log-density goes into ld. The latent travels
 * explicitly: the flow that holds the layer keeps it ({@code Flow.Result#factored}) and passes it back to {@link #merge}
 * on the way down; when sampling, {@link #drawLatent} draws it. Nothing is kept in the layer or in a thread-local.
 *
 * <p>As a plain {@link Transform} its forward is {@link #factor} without the latent, its backward is that of
 * {@link #factor}, and its {@link #inverse} cannot run (the latent is missing) and says so.
 */
public interface FactorOut extends Transform {

    /** What {@link #factor} returns: the part that stays in the flow and the latent that leaves it. */
    record Factored(Tensor kept, Tensor latent) {}

    /** Shape of the factored-out latent of one sample. */
    int[] factoredShape();

    /** x → (kept, latent); adds log p(latent | kept) per sample into {@code ld}. */
    Factored factor(Tensor x, Tensor ld, Stash stash);

    /** The inverse of {@link #factor}: x from the kept part and the latent; adds −log p(latent | kept) into {@code ld}. */
    Tensor merge(Tensor kept, Tensor latent, Tensor ld);

    /** A latent for {@code kept} drawn from the layer's prior at the given temperature, reproducible for a seed. */
    Tensor drawLatent(Tensor kept, float temperature, long seed);

    /** {@code merge(kept, drawLatent(kept, T, seed), ld)}: the sampling step (a layer may share work between the two). */
    default Tensor mergeDrawn(Tensor kept, float temperature, long seed, Tensor ld) {
        return merge(kept, drawLatent(kept, temperature, seed), ld);
    }

    @Override default Tensor forward(Tensor x, Tensor ld, Stash stash) { return factor(x, ld, stash).kept(); }

    @Override default Tensor inverse(Tensor y, Tensor ld) {
        throw new FluviaException(kind() + ".inverse: needs the factored-out latent; call merge(kept, latent, ld), or run the "
                + "whole flow through Flow.decode / Flow.sample / Flow.inverse(z, factored)");
    }
}
