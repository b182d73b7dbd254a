package dev.fluvia.train;

import dev.fluvia.FluviaException.CheckpointException;
import dev.fluvia.FluviaException.NonFiniteException;
import dev.fluvia.FluviaException.ShapeException;
import dev.fluvia.backend.Backend;
import dev.fluvia.backend.Scope;
import dev.fluvia.backend.reduce.StepStatus;
import dev.fluvia.flow.Flow;
import dev.fluvia.param.Param;
import dev.fluvia.tensor.Tensor;
import java.util.Arrays;
import java.util.Map;

/**
 * Maximum-likelihood training of a {@link Flow}: owns the loop, the optimizer, the schedule, validation, best-model tracking,
 * checkpoints and the NaN guard.
 *
 * <p>Each step: take the next host batch from the {@link Loader}, upload it inside the step's allocation scope
 * ({@link BatchUploader}), run the flow's data-dependent initialisation on the very first batch, zero the gradients, run
 * the {@link Objective}'s forward and backward pass ({@link Nll} unless set) in the configured memory mode, check the loss and every gradient for NaN/∞, clip to the
 * global norm, and apply the optimizer with {@code schedule.lr(step) × lrMultiplier}. The checks, the clip factor and the
 * skip decision are made on the device into one {@link StepStatus} that the optimizer reads there; the host reads the
 * status once per step, after the update (one device → host synchronisation per step). At the end of every epoch the mean NLL of
 * the whole validation set is computed (batched, in nats) and the parameters at the best value are kept on the host.
 *
 * <p><b>NaN guard.</b> A step whose loss or gradient is not finite is skipped (no update) with a warning naming the step.
 * After {@code maxBadSteps} consecutive bad steps the parameters and the optimizer state are rolled back to the last good
 * host snapshot (taken after initialisation, every {@code snapshotEvery} good steps and at each validation) and the learning
 * rate multiplier is halved; the data position is not rolled back, so the next attempt sees new batches. When a rollback would
 * be needed after {@code maxRollbacks} rollbacks the run stops with {@link NonFiniteException}.
 *
 * <p><b>Resume.</b> The data order is a function of {@code (seed, epoch, position)} and the optimizer state is exported exactly,
 * so a run continued from {@link #exportState()} and {@link ParamKeys#export} with {@link #resume(TrainState, Map)} produces
 * bit-identical losses to an uninterrupted run (on the same backend and thread count).
 *
 * <p>Construct the trainer outside any allocation scope: the optimizer's moment tensors must outlive the steps.
 */
public final class Trainer {
    private record Snapshot(long step, Map<String, float[]> params, OptimizerState optimizer) {}

    private final Flow flow;
    private final Backend be;
    private final TrainData data;
    private final TrainConfig cfg;
    private final Map<String, Param> trainable;
    private final Optimizer optimizer;
    private final int batchesPerEpoch;
    private final long totalSteps;
    private final LrSchedule schedule;
    private TrainState state = new TrainState();
    private TrainListener listener = new TrainListener() {};
    private Objective objective = Nll.INSTANCE;
    private CheckpointSink sink;
    private BatchUploader uploader;
    private final java.util.List<Tensor> grads;
    private StepStatus status;
    private Snapshot good;
    private long goodSinceSnapshot;
    private String stopReason;

    /**
     * A trainer at step 0 (use {@link #resume} to continue a run); creates the optimizer and its state tensors.
     *
     * @param flow the flow to train, loaded or built for training (every trainable parameter has a gradient buffer)
     * @param data the training and validation rows, {@code flow.eventSize()} values each
     * @param cfg  the run's options
     * @throws ShapeException when the data's row width is not the flow's event size
     * @throws InvalidConfigException when the flow has nothing to train or was loaded for scoring only, or drop-last with
     *                                more rows per batch than training rows
     */
    public Trainer(Flow flow, TrainData data, TrainConfig cfg) {
        if (flow.eventSize() != data.dim())
            throw new ShapeException("Trainer: the flow models samples of " + flow.eventSize() + " values " + Arrays.toString(flow.eventShape())
                    + " but the data rows have " + data.dim());
        this.flow = flow;
        this.be = flow.backend();
        this.data = data;
        this.cfg = cfg;
        this.trainable = ParamKeys.trainable(flow);
        if (trainable.isEmpty()) throw new InvalidConfigException("Trainer: the flow has no trainable parameters");
        trainable.forEach((k, p) -> {
            if (p.grad() == null)
                throw new InvalidConfigException("Trainer: parameter " + k + " has no gradient buffer: the flow was loaded for scoring only "
                        + "(Checkpoint.Use.SCORE); load it with Checkpoint.Use.TRAIN to train it");
        });
        this.optimizer = Optimizer.create(cfg, be, trainable);
        this.grads = trainable.values().stream().map(Param::grad).toList();
        if (cfg.dropLast() && cfg.batchSize() > data.nTrain())
            throw new InvalidConfigException("batch size " + cfg.batchSize() + " is larger than the " + data.nTrain()
                    + " training rows (with drop-last an epoch would be empty)");
        this.batchesPerEpoch = Loader.batchesPerEpoch(data.nTrain(), cfg.batchSize(), cfg.dropLast());
        this.totalSteps = cfg.steps() > 0 ? cfg.steps() : (long) cfg.epochs() * batchesPerEpoch;
        this.schedule = cfg.lrSchedule(totalSteps);
        this.uploader = BatchUploader.host(be);
    }

    /**
     * Sets the progress callbacks (none by default).
     *
     * @param l the listener, called on the training thread
     * @return this trainer
     */
    public Trainer listener(TrainListener l) { this.listener = l; return this; }
    /**
     * What training minimises ({@link Nll}, maximum likelihood, by default).
     *
     * @param o the objective, not null
     * @return this trainer
     * @throws NullPointerException when {@code o} is null
     */
    public Trainer objective(Objective o) { this.objective = java.util.Objects.requireNonNull(o, "objective"); return this; }
    /**
     * Sets where periodic checkpoints go (every {@link TrainConfig#checkpointEvery()} steps; none by default).
     *
     * @param s the sink, or null for none
     * @return this trainer
     */
    public Trainer checkpointSink(CheckpointSink s) { this.sink = s; return this; }
    /**
     * Replaces the default {@link BatchUploader#host} (e.g. with a pinned-memory uploader on CUDA).
     *
     * @param u the uploader; the trainer does not close it
     * @return this trainer
     */
    public Trainer uploader(BatchUploader u) { this.uploader = u; return this; }

    /** {@return the flow being trained} */
    public Flow flow() { return flow; }
    /** {@return the run's options} */
    public TrainConfig config() { return cfg; }
    /** {@return the optimizer over the flow's trainable parameters} */
    public Optimizer optimizer() { return optimizer; }
    /** {@return what training minimises} */
    public Objective objective() { return objective; }
    /** {@return the learning-rate schedule of the whole run} */
    public LrSchedule schedule() { return schedule; }
    /** {@return the run's step budget: {@code steps}, or {@code epochs × batchesPerEpoch()} when steps is 0} */
    public long totalSteps() { return totalSteps; }
    /** {@return the batches in one epoch of the training rows} */
    public int batchesPerEpoch() { return batchesPerEpoch; }

    /**
     * Continues from a saved state; the flow's parameters must already hold the values saved with it.
     *
     * @param st the state {@link #exportState()} gave (or {@link TrainState#fromJson} read); copied
     * @throws CheckpointException when its data position does not fit this configuration, or its optimizer state is
     *                             missing or does not match
     */
    public void resume(TrainState st) {
        if (st.position >= batchesPerEpoch)
            throw new CheckpointException("train state is at batch " + st.position + " of an epoch, but this configuration has "
                    + batchesPerEpoch + " batches per epoch (different batch size or data?)");
        if (st.optimizer != null) optimizer.importState(st.optimizer);
        else if (st.step > 0) throw new CheckpointException("train state at step " + st.step + " has no optimizer state");
        this.state = copy(st);
        this.good = null;
    }

    /**
     * Loads the parameters (keyed as in {@link ParamKeys}) into the flow, then {@link #resume(TrainState)}.
     *
     * @param st     the saved state
     * @param params the saved parameters, as {@link ParamKeys#export} gave them
     * @throws CheckpointException when a parameter is missing or misshaped, or the state does not fit
     */
    public void resume(TrainState st, Map<String, float[]> params) {
        ParamKeys.load(flow, params);
        resume(st);
    }

    /** {@return a copy of the current state with the optimizer state freshly exported} It is what a checkpoint stores next to the parameters. */
    public TrainState exportState() {
        state.optimizer = optimizer.exportState();
        return copy(state);
    }

    /** {@return whether parameters were restored} Uploads the parameters kept at the best validation NLL; false when there are none (no validation yet or keepBest off). */
    public boolean restoreBest() {
        if (state.bestParams == null) return false;
        ParamKeys.load(flow, state.bestParams);
        return true;
    }

    /**
     * Trains until the configured number of steps.
     *
     * @return the losses, validation history, best validation NLL and throughput
     * @throws NonFiniteException when training stays non-finite after {@code maxRollbacks} rollbacks
     */
    public TrainResult train() { return train(totalSteps); }

    /**
     * Trains until {@code stopAtStep} steps have been completed in total (at most the configured number); the schedule is
     * always that of the full run, so stopping early and resuming later continues the same run.
     *
     * @param stopAtStep the total step count to reach (values past {@link #totalSteps()} are capped)
     * @return the losses, validation history, best validation NLL and throughput
     * @throws NonFiniteException when training stays non-finite after {@code maxRollbacks} rollbacks
     */
    public TrainResult train(long stopAtStep) {
        long stop = Math.min(stopAtStep, totalSteps);
        long t0 = System.nanoTime();
        long samples0 = state.samples;
        if (state.initialized && good == null) good = snapshot();
        try (StepStatus st = be.reduce().stepStatus();
             Loader loader = new Loader(data, cfg.batchSize(), cfg.dropLast(), cfg.seed(), state.epoch, state.position, cfg.prefetch(), uploader)) {
            status = st;
            stopReason = patienceExhausted();
            while (state.step < stop && stopReason == null) {
                long s0 = System.nanoTime();
                step(loader.next(), t0, samples0);
                state.trainSeconds += (System.nanoTime() - s0) * 1e-9;
            }
        } finally {
            status = null;
        }
        double wall = (System.nanoTime() - t0) * 1e-9;
        state.optimizer = optimizer.exportState();
        return new TrainResult(toArray(state.losses), toArray(state.valNlls), state.bestValNll, state.bestStep, wall,
                (state.samples - samples0) / Math.max(wall, 1e-9), stopReason);
    }

    private void step(HostBatch hb, long t0, long samples0) {
        if (hb.epoch() != state.epoch || hb.index() != state.position)
            throw new IllegalStateException("loader out of step: batch " + hb.epoch() + "/" + hb.index() + ", state " + state.epoch + "/" + state.position);
        long t = state.step + 1;
        double lr = schedule.lr(t) * state.lrMultiplier;
        double loss;
        String bad = null;
        try (Scope s = be.scope()) {
            Tensor x = uploader.upload(hb, flow.batchShape(hb.n()));
            if (!state.initialized) {
                flow.initialize(x);
                state.initialized = true;
                good = snapshot();
            }
            flow.zeroGrad();
            // the whole step on the device, driven by one status: loss, finiteness, Σg², clip factor and skip flag are
            // computed there and the optimizer reads them there; the host reads the status once, after the update
            status.begin(lr, optimizer.stepCount() + 1);
            objective.forwardBackward(flow, x, cfg.memoryMode(), status);
            be.reduce().gradStatusInto(grads, status);
            be.reduce().clipScale(status, cfg.clipNorm());
            optimizer.step(status);
            double[] r = status.read();
            loss = r[StepStatus.LOSS];
            if (!Double.isFinite(loss)) bad = "loss is " + loss;
            else if (r[StepStatus.BAD] != 0) bad = firstNonFiniteGradient();  // rare: name the culprit
            if (bad == null && r[StepStatus.SKIP] != 0) bad = "gradient";
            if (bad == null) optimizer.countStep();
        } finally {
            uploader.recycle(hb);
        }
        state.step = t;
        state.samples += hb.n();
        state.position = hb.index() + 1;
        state.losses.add(bad == null ? loss : Double.NaN);
        if (bad == null) onGoodStep();
        else onBadStep(t, bad);
        double sps = (state.samples - samples0) / Math.max((System.nanoTime() - t0) * 1e-9, 1e-9);
        listener.onStep(t, bad == null ? loss : Double.NaN, lr, sps);
        if (hb.lastInEpoch()) endOfEpoch(hb.epoch());
        if (sink != null && cfg.checkpointEvery() > 0 && t % cfg.checkpointEvery() == 0) sink.save(flow, exportState());
    }

    private String firstNonFiniteGradient() {
        for (Map.Entry<String, Param> e : trainable.entrySet())
            if (!be.reduce().allFinite(e.getValue().grad())) return "gradient of " + e.getKey();
        return null;
    }

    private void onGoodStep() {
        state.consecutiveBad = 0;
        if (++goodSinceSnapshot >= cfg.snapshotEvery()) good = snapshot();
    }

    private void onBadStep(long t, String what) {
        state.consecutiveBad++;
        listener.onWarning("step " + t + ": non-finite " + what + "; step skipped (" + state.consecutiveBad + " of "
                + cfg.maxBadSteps() + " in a row before a rollback)");
        if (state.consecutiveBad < cfg.maxBadSteps()) return;
        if (state.rollbacks >= cfg.maxRollbacks())
            throw new NonFiniteException("step " + t + ": " + state.consecutiveBad + " consecutive non-finite steps after "
                    + state.rollbacks + " rollbacks (limit " + cfg.maxRollbacks() + "); training stopped (last: non-finite " + what + ")");
        if (good == null) throw new NonFiniteException("step " + t + ": non-finite training and no good state to roll back to");
        ParamKeys.load(flow, good.params());
        optimizer.importState(good.optimizer());
        state.rollbacks++;
        state.lrMultiplier *= 0.5;
        state.consecutiveBad = 0;
        goodSinceSnapshot = 0;
        listener.onWarning("step " + t + ": rolled back to the state after step " + good.step() + " (rollback " + state.rollbacks
                + " of " + cfg.maxRollbacks() + "); learning rate multiplier now " + state.lrMultiplier);
    }

    private void endOfEpoch(int epoch) {
        state.epoch = epoch + 1;
        state.position = 0;
        double v = validate();
        state.valNlls.add(v);
        if (data.nVal() > 0 && !Double.isFinite(v)) listener.onWarning("epoch " + epoch + ": validation NLL is " + v);
        if (Double.isFinite(v) && v < state.bestValNll) {
            state.bestValNll = v;
            state.bestStep = state.step;
            if (cfg.keepBest()) state.bestParams = ParamKeys.export(flow);
        }
        if (state.consecutiveBad == 0) good = snapshot();
        listener.onEpoch(epoch, v);
        stopReason = patienceExhausted();
    }

    /**
     * With {@link TrainConfig#patience()} = P &gt; 0 and a validation set: why to stop now (the last P validations did not
     * improve on the best one), else null. Derived from the validation history alone, so a resumed run decides the same.
     */
    private String patienceExhausted() {
        int p = cfg.patience();
        if (p <= 0 || data.nVal() == 0 || state.valNlls.isEmpty()) return null;
        int best = -1;
        for (int i = 0; i < state.valNlls.size(); i++) {
            double v = state.valNlls.get(i);
            if (Double.isFinite(v) && (best < 0 || v < state.valNlls.get(best))) best = i;
        }
        int since = state.valNlls.size() - 1 - best;
        if (since < p) return null;
        return best < 0
                ? String.format(java.util.Locale.ROOT, "no finite validation NLL in %d evaluations", since)
                : String.format(java.util.Locale.ROOT, "no improvement for %d evaluations (%d steps) since the best validation NLL %.4f at step %d",
                        since, state.step - state.bestStep, state.bestValNll, state.bestStep);
    }

    /** {@return the mean validation NLL in nats over the whole validation set (NaN when there is none)} Runs in batches of {@code valBatchSize}. */
    public double validate() {
        if (data.nVal() == 0) return Double.NaN;
        double sum = 0;
        int dim = data.dim();
        for (int from = 0; from < data.nVal(); from += cfg.valBatchSize()) {
            int n = Math.min(cfg.valBatchSize(), data.nVal() - from);
            try (Scope s = be.scope()) {
                Tensor x = be.fromHost(Arrays.copyOfRange(data.validation(), from * dim, (from + n) * dim), flow.batchShape(n));
                sum += be.reduce().sum(flow.logProb(x));
            }
        }
        return -sum / data.nVal();
    }

    private Snapshot snapshot() {
        goodSinceSnapshot = 0;
        return new Snapshot(state.step, ParamKeys.export(flow), optimizer.exportState());
    }

    private static TrainState copy(TrainState s) {
        TrainState c = new TrainState();
        c.step = s.step; c.epoch = s.epoch; c.position = s.position; c.lrMultiplier = s.lrMultiplier;
        c.bestValNll = s.bestValNll; c.bestStep = s.bestStep; c.rollbacks = s.rollbacks; c.consecutiveBad = s.consecutiveBad;
        c.initialized = s.initialized; c.samples = s.samples; c.trainSeconds = s.trainSeconds;
        c.losses.addAll(s.losses); c.valNlls.addAll(s.valNlls);
        c.optimizer = s.optimizer;
        c.bestParams = s.bestParams;
        return c;
    }

    private static double[] toArray(java.util.List<Double> l) {
        double[] a = new double[l.size()];
        for (int i = 0; i < a.length; i++) a[i] = l.get(i);
        return a;
    }
}
