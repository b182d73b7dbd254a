package dev.fluvia.train;

import dev.fluvia.backend.Backend;
import dev.fluvia.backend.reduce.StepStatus;
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
        Tensor lp = logProb(flow, pass);
        double nll = -flow.backend().reduce().sum(lp) / pass.batch();
        Tensor[] seeds = seeds(flow, pass);
        return new Loss(nll, seeds[0], seeds[1]);
    }

    /** The same loss, {@code Σ log p / (−N)} (bit for bit {@code −Σ log p / N}), written into the status on the device. */
    @Override public Tensor[] lossInto(Flow flow, Flow.Pass pass, StepStatus st) {
        flow.backend().reduce().sumInto(logProb(flow, pass), -(double) pass.batch(), st, StepStatus.LOSS);
        return seeds(flow, pass);
    }

    private static Tensor logProb(Flow flow, Flow.Pass pass) {
        Backend be = flow.backend();
        Tensor lp = be.alloc(pass.batch());
        be.copy(pass.logdet(), lp);
        flow.base().logProb(pass.z(), lp);
        return lp;
    }

    private static Tensor[] seeds(Flow flow, Flow.Pass pass) {
        Backend be = flow.backend();
        int n = pass.batch();
        Tensor gLd = be.alloc(n);
        be.fill(gLd, -1f / n);                       // ∂(mean −log p)/∂ld_n = ∂/∂log p_Z = −1/N
        return new Tensor[] {flow.base().backward(pass.z(), gLd), gLd};
    }
}
