package dev.fluvia.train;

import dev.fluvia.backend.Scope;
import dev.fluvia.backend.reduce.StepStatus;
import dev.fluvia.flow.Flow;
import dev.fluvia.flow.MemoryMode;
import dev.fluvia.tensor.Tensor;

/**
 * What training minimises. The flow runs the mechanics ({@link Flow#forwardPass}, {@link Flow#backward}); the objective
 * turns a forward pass into the loss and the two gradients that seed the backward pass: {@code ∂L/∂z} and
 * {@code ∂L/∂ld} per sample. {@link Nll} is maximum likelihood (FLOWS.md); other objectives (reverse KL) plug in here.
 */
public interface Objective {

    /** A batch's loss and the seeds of its backward pass. */
    record Loss(double value, Tensor gz, Tensor gLd) {}

    /** Short name, as in logs and metrics ("nll"). */
    String name();

    /** The loss of a forward pass and its gradients with respect to the pass's z and per-sample log-det. */
    Loss loss(Flow flow, Flow.Pass pass);

    /**
     * The loss written into {@code st[LOSS]} on the device (no host read) and the seeds of the backward pass; the default
     * computes {@link #loss} on the host and writes its value into the status.
     */
    default Tensor[] lossInto(Flow flow, Flow.Pass pass, StepStatus st) {
        Loss l = loss(flow, pass);
        st.set(StepStatus.LOSS, l.value());
        return new Tensor[] {l.gz(), l.gLd()};
    }

    /** {@link #forwardBackward} with the loss written into {@code st[LOSS]} instead of returned (one read per step). */
    default void forwardBackward(Flow flow, Tensor x, MemoryMode mode, StepStatus st) {
        try (Scope s = flow.backend().scope()) {
            Flow.Pass pass = flow.forwardPass(x, mode);
            Tensor[] seeds = lossInto(flow, pass, st);
            flow.backward(pass, seeds[0], seeds[1]);
        }
    }

    /**
     * One forward and backward pass on a batch: returns the loss and accumulates its gradient into the parameters'
     * gradients (the caller zeroes them between steps, {@link Flow#zeroGrad()}).
     */
    default double forwardBackward(Flow flow, Tensor x, MemoryMode mode) {
        try (Scope s = flow.backend().scope()) {
            Flow.Pass pass = flow.forwardPass(x, mode);
            Loss l = loss(flow, pass);
            flow.backward(pass, l.gz(), l.gLd());
            return l.value();
        }
    }
}
