package dev.fluvia.train;

import dev.fluvia.backend.Scope;
import dev.fluvia.backend.reduce.StepStatus;
import dev.fluvia.flow.Flow;
import dev.fluvia.flow.MemoryMode;
import dev.fluvia.tensor.Tensor;

/**
 * What training minimises. Two kinds of objective share this interface, told apart by {@link #usesData()}:
 * <ul>
 *   <li><b>data objectives</b> ({@link Nll}, maximum likelihood, FLOWS.md): the flow runs the mechanics
 *       ({@link Flow#forwardPass}, {@link Flow#backward}) on a batch of data; the objective turns the forward pass into the
 *       loss and the two gradients that seed the backward pass, {@code ∂L/∂z} and {@code ∂L/∂ld} per sample
 *       ({@link #loss}); {@link #forwardBackward} runs the whole step;</li>
 *   <li><b>sampling objectives</b> ({@link ReverseKl}, reverse KL to an unnormalised target): no data; each step draws its
 *       own reparameterised samples from the flow's base, runs the generative direction and differentiates through it.
 *       They implement {@link #step} and keep the default {@link #loss}, which refuses a data pass.</li>
 * </ul>
 * {@link #step} is the one entry point that serves both: a {@link Batch} carries the data rows for a data objective, or
 * only a sample count and a seed for a sampling objective. The data-pass methods ({@link #loss}, {@link #lossInto},
 * {@link #forwardBackward}) are what {@link Trainer} calls; they throw {@link InvalidConfigException} for a sampling objective.
 */
public interface Objective {

    /**
     * A batch's loss and the seeds of its backward pass.
     *
     * @param value the loss in nats (NLL: the batch mean of −log p(x))
     * @param gz    ∂L/∂z, shaped like the pass's final latent
     * @param gLd   ∂L/∂ld per sample, {@code [N]}
     */
    record Loss(double value, Tensor gz, Tensor gLd) {}

    /**
     * What one step consumes: the data rows {@code x} (data objectives), or {@code n} fresh samples drawn with {@code seed}
     * (sampling objectives, {@code x} null).
     *
     * @param x    the data rows {@code [N, ...eventShape]}, or null for a sampling objective
     * @param n    the number of rows or samples
     * @param seed the sampling seed (sampling objectives; 0 for data)
     */
    record Batch(Tensor x, int n, long seed) {
        /**
         * A batch of data rows.
         *
         * @param x the rows {@code [N, ...eventShape]}
         * @return the batch, {@code n = N}
         */
        public static Batch data(Tensor x) { return new Batch(x, x.dim(0), 0L); }
        /**
         * n samples drawn by the objective itself with this seed.
         *
         * @param n    the number of samples
         * @param seed the seed of the base draws
         * @return the batch, without rows
         */
        public static Batch samples(int n, long seed) { return new Batch(null, n, seed); }
    }

    /** {@return the short name, as in logs and metrics ("nll", "reverse_kl")} */
    String name();

    /** {@return true for a data objective (the default), false for a sampling objective that draws its own samples} See the class comment. */
    default boolean usesData() { return true; }

    /**
     * The loss of a forward pass and its gradients with respect to the pass's z and per-sample log-det (data objectives).
     * The default refuses: a sampling objective has no loss of a data pass.
     *
     * @param flow the flow being trained
     * @param pass the forward pass of a batch
     * @return the loss and the seeds {@code ∂L/∂z}, {@code ∂L/∂ld} of the backward pass
     * @throws InvalidConfigException for a sampling objective
     */
    default Loss loss(Flow flow, Flow.Pass pass) {
        throw new InvalidConfigException("objective " + name() + " draws its own samples and does not score a forward pass of data; "
                + "run it with step(flow, Objective.Batch.samples(n, seed), mode)");
    }

    /**
     * One step: returns the loss and accumulates its gradient into the parameters' gradients (the caller zeroes them
     * between steps, {@link Flow#zeroGrad()}). The default is the data step, {@link #forwardBackward(Flow, Tensor, MemoryMode)}
     * on {@code batch.x()}; a sampling objective overrides it.
     *
     * @param flow the flow being trained
     * @param batch the rows (data objective) or the sample count and seed (sampling objective)
     * @param mode  what the training pass keeps for its backward
     * @return the loss in nats
     * @throws InvalidConfigException when a data objective gets a batch without rows
     */
    default double step(Flow flow, Batch batch, MemoryMode mode) {
        if (batch.x() == null) throw new InvalidConfigException("objective " + name() + " needs data rows: Objective.Batch.data(x)");
        return forwardBackward(flow, batch.x(), mode);
    }

    /**
     * The loss written into {@code st[LOSS]} on the device (no host read) and the seeds of the backward pass; the default
     * computes {@link #loss} on the host and writes its value into the status.
     *
     * @param flow the flow being trained
     * @param pass the forward pass of a batch
     * @param st   the step's status, whose {@code LOSS} slot is written
     * @return {@code {∂L/∂z, ∂L/∂ld}}
     * @throws InvalidConfigException for a sampling objective
     */
    default Tensor[] lossInto(Flow flow, Flow.Pass pass, StepStatus st) {
        Loss l = loss(flow, pass);
        st.set(StepStatus.LOSS, l.value());
        return new Tensor[] {l.gz(), l.gLd()};
    }

    /**
     * {@link #forwardBackward} with the loss written into {@code st[LOSS]} instead of returned (one read per step).
     *
     * @param flow the flow being trained
     * @param x    the batch {@code [N, ...eventShape]}
     * @param mode what the training pass keeps for its backward
     * @param st   the step's status, whose {@code LOSS} slot is written
     */
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
     *
     * @param flow the flow being trained
     * @param x    the batch {@code [N, ...eventShape]}
     * @param mode what the training pass keeps for its backward
     * @return the loss in nats
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
