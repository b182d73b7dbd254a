package dev.fluvia.transforms;

import dev.fluvia.backend.Backend;
import dev.fluvia.param.Stash;
import dev.fluvia.tensor.Index;
import dev.fluvia.tensor.Tensor;

/** The shared last step of the couplings' closed-form generative backward ({@link AffineCoupling#inverseBackward}). */
final class CouplingInverseBackward {
    private CouplingInverseBackward() {}

    /**
     * Given {@code w} with {@code w_b = gx_b / s} and {@code w_a = gx_a}: one call of the layer's own backward at x with
     * {@code (−(0, w_b), −gℓ)} accumulates the parameter gradient {@code −B_θ(w, gℓ)} and returns {@code −B_x(w_b, gℓ)},
     * whose {@code a} part is added to {@code w_a}. Returns w = ∂L/∂y. {@code stash}: what the layer's forward at x would have
     * stored (the conditioner pass at {@code x_a = y_a}), or {@link Stash#none()} to recompute it.
     */
    static Tensor finish(Backend be, Transform t, Tensor x, Tensor w, Tensor gLd, Index aIdx, Index bIdx, int nb, Stash stash) {
        int n = x.dim(0);
        Tensor wb = be.alloc(n, nb), negWb = be.alloc(x.shape()), negGl = be.alloc(n);
        be.coupling().gather(w, bIdx, wb);
        be.elementwise().scale(wb, -1f);
        be.coupling().scatterAdd(wb, bIdx, negWb);
        be.copy(gLd, negGl);
        be.elementwise().scale(negGl, -1f);
        Tensor g = t.backward(x, negWb, negGl, stash);
        Tensor ga = be.alloc(n, x.dim(1) - nb);
        be.coupling().gather(g, aIdx, ga);
        be.coupling().scatterAdd(ga, aIdx, w);
        return w;
    }
}
