package dev.fluvia.train;

import dev.fluvia.backend.Backend;
import dev.fluvia.flow.Flow;
import dev.fluvia.tensor.Tensor;

/**
 * Maximum likelihood: the mean negative log-likelihood {@code −(1/N) Σ_n log p(x_n)} in nats per sample, with
 * {@code log p(x) = log p_Z(z) + ld}. Its seeds are {@code ∂L/∂ld_n = −1/N} and {@code ∂L/∂z = } the base distribution's
 * backward of that same {@code −1/N} (which also accumulates the base's parameter gradients).
 */
public final class Nll implements Objective {
    /** The one instance (the objective has no state). */
    public static final Nll INSTANCE = new Nll();

    private Nll() {}

    @Override public String name() { return "nll"; }

    @Override public Loss loss(Flow flow, Flow.Pass pass) {
        Backend be = flow.backend();
        int n = pass.batch();
        Tensor z = pass.z();
        Tensor lp = be.alloc(n);
        be.copy(pass.logdet(), lp);
        flow.base().logProb(z, lp);
        double nll = -be.sum(lp) / n;
        Tensor gLd = be.alloc(n);
        be.fill(gLd, -1f / n);                       // ∂(mean −log p)/∂ld_n = ∂/∂log p_Z = −1/N
        return new Loss(nll, flow.base().backward(z, gLd), gLd);
    }
}
