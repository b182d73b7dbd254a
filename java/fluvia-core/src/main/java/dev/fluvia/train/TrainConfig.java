package dev.fluvia.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fluvia.FluviaException.UnknownNameException;
import dev.fluvia.flow.MemoryMode;

/**
 * Every option of a maximum-likelihood training run. Build with {@link #builder()} (all options have defaults);
 * the compact constructor rejects out-of-range values with {@link InvalidConfigException}.
 *
 * @param optimizer       "adam" or "adamax"
 * @param lr              base learning rate
 * @param beta1           first-moment decay
 * @param beta2           second-moment (Adam) / infinity-norm (Adamax) decay
 * @param eps             denominator guard
 * @param weightDecay     decoupled weight decay (Adam only; 0 = off)
 * @param warmupSteps     linear warmup length in steps
 * @param schedule        shape after warmup: constant or cosine decay to {@code minLr} at the last step
 * @param minLr           floor of the cosine decay
 * @param clipNorm        global gradient-norm limit (0 = no clipping)
 * @param batchSize       training rows per step
 * @param steps           total optimisation steps; 0 = derive from {@code epochs}
 * @param epochs          epochs to run when {@code steps == 0}
 * @param seed            data order seed (the flow's initialisation is seeded by whoever builds it)
 * @param memoryMode      STORE or RECOMPUTE (reversible backprop)
 * @param valBatchSize    rows per validation batch
 * @param checkpointEvery call the checkpoint sink every K steps (0 = never)
 * @param dropLast        skip the final short batch of each epoch
 * @param prefetch        batches the loader may prepare ahead (≥ 1)
 * @param maxBadSteps     consecutive non-finite steps before a rollback (≥ 1)
 * @param maxRollbacks    rollbacks allowed before the run stops with a NonFiniteException (≥ 0)
 * @param snapshotEvery   take a rollback snapshot (host copy of params + optimizer) every N good steps; validations also take one
 * @param keepBest        keep a host copy of the parameters at the best validation NLL
 * @param patience        early stopping: stop once this many validations in a row (one per epoch) have not improved on the
 *                        best validation NLL; the step budget ({@code steps}/{@code epochs}) is then a cap (0 = off)
 */
public record TrainConfig(String optimizer, double lr, float beta1, float beta2, float eps, float weightDecay,
                          int warmupSteps, LrSchedule.Kind schedule, double minLr, double clipNorm,
                          int batchSize, long steps, int epochs, long seed, MemoryMode memoryMode, int valBatchSize,
                          long checkpointEvery, boolean dropLast, int prefetch,
                          int maxBadSteps, int maxRollbacks, int snapshotEvery, boolean keepBest, int patience) {

    /**
     * Normalises the optimizer name (trimmed, lower case) and checks every range.
     *
     * @param optimizer       "adam" or "adamax"
     * @param lr              base learning rate
     * @param beta1           first-moment decay
     * @param beta2           second-moment / infinity-norm decay
     * @param eps             denominator guard
     * @param weightDecay     decoupled weight decay
     * @param warmupSteps     warmup length
     * @param schedule        shape after warmup
     * @param minLr           floor of the cosine decay
     * @param clipNorm        gradient-norm limit
     * @param batchSize       rows per step
     * @param steps           total steps, or 0
     * @param epochs          epochs when {@code steps == 0}
     * @param seed            data order seed
     * @param memoryMode      STORE or RECOMPUTE
     * @param valBatchSize    rows per validation batch
     * @param checkpointEvery checkpoint interval, or 0
     * @param dropLast        skip each epoch's final short batch
     * @param prefetch        loader queue length
     * @param maxBadSteps     non-finite steps before a rollback
     * @param maxRollbacks    rollbacks allowed
     * @param snapshotEvery   snapshot interval in good steps
     * @param keepBest        keep the best parameters
     * @param patience        early-stopping patience, or 0
     * @throws UnknownNameException for an unknown optimizer
     * @throws InvalidConfigException naming the first option out of its range
     */
    public TrainConfig {
        optimizer = optimizer.trim().toLowerCase();
        if (!optimizer.equals(Adam.KIND) && !optimizer.equals(Adamax.KIND))
            throw new UnknownNameException("unknown optimizer '" + optimizer + "' (known: adam, adamax)");
        if (!(lr > 0) || !Double.isFinite(lr)) throw new InvalidConfigException("lr must be a finite number > 0, got " + lr);
        Optimizer.checkBetas(beta1, beta2, eps);
        if (!(weightDecay >= 0)) throw new InvalidConfigException("weight decay must be >= 0, got " + weightDecay);
        if (weightDecay > 0 && optimizer.equals(Adamax.KIND)) throw new InvalidConfigException("weight decay is only implemented for adam, not adamax");
        if (warmupSteps < 0) throw new InvalidConfigException("warmup steps must be >= 0, got " + warmupSteps);
        if (!(minLr >= 0) || minLr > lr) throw new InvalidConfigException("minimum lr must be in [0, lr], got " + minLr);
        if (!(clipNorm >= 0)) throw new InvalidConfigException("clip norm must be >= 0 (0 = off), got " + clipNorm);
        if (batchSize < 1) throw new InvalidConfigException("batch size must be >= 1, got " + batchSize);
        if (steps < 0) throw new InvalidConfigException("steps must be >= 0, got " + steps);
        if (steps == 0 && epochs < 1) throw new InvalidConfigException("give steps > 0 or epochs >= 1 (got steps " + steps + ", epochs " + epochs + ")");
        if (valBatchSize < 1) throw new InvalidConfigException("validation batch size must be >= 1, got " + valBatchSize);
        if (checkpointEvery < 0) throw new InvalidConfigException("checkpoint interval must be >= 0 (0 = off), got " + checkpointEvery);
        if (prefetch < 1) throw new InvalidConfigException("prefetch must be >= 1, got " + prefetch);
        if (maxBadSteps < 1) throw new InvalidConfigException("max consecutive bad steps must be >= 1, got " + maxBadSteps);
        if (maxRollbacks < 0) throw new InvalidConfigException("max rollbacks must be >= 0, got " + maxRollbacks);
        if (snapshotEvery < 1) throw new InvalidConfigException("snapshot interval must be >= 1, got " + snapshotEvery);
        if (patience < 0) throw new InvalidConfigException("patience must be >= 0 (0 = no early stopping), got " + patience);
    }

    /** {@return a builder holding the defaults (see {@link Builder})} */
    public static Builder builder() { return new Builder(); }

    /** {@return a builder preset with this config's values} */
    public Builder toBuilder() { return Builder.from(this); }

    /**
     * The learning-rate schedule for a run of {@code totalSteps} steps.
     *
     * @param totalSteps the run's step budget (where a cosine decay reaches {@code minLr})
     * @return the schedule
     * @throws InvalidConfigException for a cosine schedule with {@code totalSteps < 1}
     */
    public LrSchedule lrSchedule(long totalSteps) { return new LrSchedule(schedule, lr, warmupSteps, minLr, totalSteps); }

    /** {@return every option as JSON with snake_case keys} The CLI's train jobs store it in a checkpoint's {@code training} metadata under {@code config}. */
    public ObjectNode toJson() {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("optimizer", optimizer); o.put("lr", lr); o.put("beta1", beta1); o.put("beta2", beta2); o.put("eps", eps);
        o.put("weight_decay", weightDecay); o.put("warmup_steps", warmupSteps); o.put("schedule", schedule.id()); o.put("min_lr", minLr);
        o.put("clip_norm", clipNorm); o.put("batch_size", batchSize); o.put("steps", steps); o.put("epochs", epochs); o.put("seed", seed);
        o.put("memory_mode", memoryMode.name().toLowerCase()); o.put("val_batch_size", valBatchSize); o.put("checkpoint_every", checkpointEvery);
        o.put("drop_last", dropLast); o.put("prefetch", prefetch); o.put("max_bad_steps", maxBadSteps); o.put("max_rollbacks", maxRollbacks);
        o.put("snapshot_every", snapshotEvery); o.put("keep_best", keepBest);
        o.put("patience", patience);
        return o;
    }

    /**
     * Reads {@link #toJson()}'s form; absent fields keep their defaults.
     *
     * @param o the JSON object
     * @return the checked config
     * @throws UnknownNameException for an unknown optimizer, schedule or memory mode
     * @throws InvalidConfigException naming the first option out of its range
     */
    public static TrainConfig fromJson(JsonNode o) {
        Builder b = builder();
        if (o.has("optimizer")) b.optimizer(o.get("optimizer").asText());
        if (o.has("lr")) b.lr(o.get("lr").asDouble());
        if (o.has("beta1")) b.beta1((float) o.get("beta1").asDouble());
        if (o.has("beta2")) b.beta2((float) o.get("beta2").asDouble());
        if (o.has("eps")) b.eps((float) o.get("eps").asDouble());
        if (o.has("weight_decay")) b.weightDecay((float) o.get("weight_decay").asDouble());
        if (o.has("warmup_steps")) b.warmupSteps(o.get("warmup_steps").asInt());
        if (o.has("schedule")) b.schedule(LrSchedule.Kind.parse(o.get("schedule").asText()));
        if (o.has("min_lr")) b.minLr(o.get("min_lr").asDouble());
        if (o.has("clip_norm")) b.clipNorm(o.get("clip_norm").asDouble());
        if (o.has("batch_size")) b.batchSize(o.get("batch_size").asInt());
        if (o.has("steps")) b.steps(o.get("steps").asLong());
        if (o.has("epochs")) b.epochs(o.get("epochs").asInt());
        if (o.has("seed")) b.seed(o.get("seed").asLong());
        if (o.has("memory_mode")) b.memoryMode(MemoryMode.parse(o.get("memory_mode").asText()));
        if (o.has("val_batch_size")) b.valBatchSize(o.get("val_batch_size").asInt());
        if (o.has("checkpoint_every")) b.checkpointEvery(o.get("checkpoint_every").asLong());
        if (o.has("drop_last")) b.dropLast(o.get("drop_last").asBoolean());
        if (o.has("prefetch")) b.prefetch(o.get("prefetch").asInt());
        if (o.has("max_bad_steps")) b.maxBadSteps(o.get("max_bad_steps").asInt());
        if (o.has("max_rollbacks")) b.maxRollbacks(o.get("max_rollbacks").asInt());
        if (o.has("snapshot_every")) b.snapshotEvery(o.get("snapshot_every").asInt());
        if (o.has("keep_best")) b.keepBest(o.get("keep_best").asBoolean());
        if (o.has("patience")) b.patience(o.get("patience").asInt());
        return b.build();
    }

    /** Mutable builder; defaults: adam, lr 1e-3, β (0.9, 0.999), eps 1e-8, no decay, no warmup, constant, no clipping, batch 256, 10 epochs, seed 0, STORE, validation batch 1024, no checkpoints, drop-last, prefetch 3, 3 bad steps per rollback, 5 rollbacks, snapshot every 100 good steps, keep best, no early stopping. */
    public static final class Builder {
        /** A builder with the defaults above; {@link TrainConfig#builder()} is the usual way to get one. */
        public Builder() {}

        private String optimizer = Adam.KIND;
        private double lr = 1e-3;
        private float beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f, weightDecay = 0f;
        private int warmupSteps = 0;
        private LrSchedule.Kind schedule = LrSchedule.Kind.CONSTANT;
        private double minLr = 0, clipNorm = 0;
        private int batchSize = 256;
        private long steps = 0;
        private int epochs = 10;
        private long seed = 0;
        private MemoryMode memoryMode = MemoryMode.STORE;
        private int valBatchSize = 1024;
        private long checkpointEvery = 0;
        private boolean dropLast = true;
        private int prefetch = 3, maxBadSteps = 3, maxRollbacks = 5, snapshotEvery = 100;
        private boolean keepBest = true;
        private int patience = 0;

        static Builder from(TrainConfig c) {
            Builder b = new Builder();
            b.optimizer = c.optimizer; b.lr = c.lr; b.beta1 = c.beta1; b.beta2 = c.beta2; b.eps = c.eps; b.weightDecay = c.weightDecay;
            b.warmupSteps = c.warmupSteps; b.schedule = c.schedule; b.minLr = c.minLr; b.clipNorm = c.clipNorm; b.batchSize = c.batchSize;
            b.steps = c.steps; b.epochs = c.epochs; b.seed = c.seed; b.memoryMode = c.memoryMode; b.valBatchSize = c.valBatchSize;
            b.checkpointEvery = c.checkpointEvery; b.dropLast = c.dropLast; b.prefetch = c.prefetch; b.maxBadSteps = c.maxBadSteps;
            b.maxRollbacks = c.maxRollbacks; b.snapshotEvery = c.snapshotEvery; b.keepBest = c.keepBest; b.patience = c.patience;
            return b;
        }

        /**
         * {@return this builder} Sets the optimizer; {@link #build()} checks the range.
         *
         * @param v "adam" or "adamax" (case-insensitive)
         */
        public Builder optimizer(String v) { optimizer = v; return this; }
        /**
         * {@return this builder} Sets the base learning rate; {@link #build()} checks the range.
         *
         * @param v finite, &gt; 0
         */
        public Builder lr(double v) { lr = v; return this; }
        /**
         * {@return this builder} Sets both decays.
         *
         * @param b1 β1, in [0, 1)
         * @param b2 β2, in [0, 1)
         */
        public Builder betas(float b1, float b2) { beta1 = b1; beta2 = b2; return this; }
        /**
         * {@return this builder} Sets β1, the first-moment decay; {@link #build()} checks the range.
         *
         * @param v in [0, 1)
         */
        public Builder beta1(float v) { beta1 = v; return this; }
        /**
         * {@return this builder} Sets β2, the second-moment (Adam) or infinity-norm (Adamax) decay; {@link #build()} checks the range.
         *
         * @param v in [0, 1)
         */
        public Builder beta2(float v) { beta2 = v; return this; }
        /**
         * {@return this builder} Sets ε, the denominator guard; {@link #build()} checks the range.
         *
         * @param v &gt; 0
         */
        public Builder eps(float v) { eps = v; return this; }
        /**
         * {@return this builder} Sets the decoupled weight decay (AdamW); {@link #build()} checks the range.
         *
         * @param v ≥ 0; 0 = off; Adam only
         */
        public Builder weightDecay(float v) { weightDecay = v; return this; }
        /**
         * {@return this builder} Sets the linear warmup length; {@link #build()} checks the range.
         *
         * @param v steps, ≥ 0
         */
        public Builder warmupSteps(int v) { warmupSteps = v; return this; }
        /**
         * {@return this builder} Sets the schedule after warmup; {@link #build()} checks the range.
         *
         * @param v constant or cosine
         */
        public Builder schedule(LrSchedule.Kind v) { schedule = v; return this; }
        /**
         * {@return this builder} Sets the schedule after warmup, by name; {@link #build()} checks the range.
         *
         * @param v "constant" or "cosine"
         */
        public Builder schedule(String v) { schedule = LrSchedule.Kind.parse(v); return this; }
        /**
         * {@return this builder} Sets the floor of the cosine decay; {@link #build()} checks the range.
         *
         * @param v in [0, lr]
         */
        public Builder minLr(double v) { minLr = v; return this; }
        /**
         * {@return this builder} Sets the global gradient-norm limit; {@link #build()} checks the range.
         *
         * @param v ≥ 0; 0 = no clipping
         */
        public Builder clipNorm(double v) { clipNorm = v; return this; }
        /**
         * {@return this builder} Sets the training rows per step; {@link #build()} checks the range.
         *
         * @param v ≥ 1
         */
        public Builder batchSize(int v) { batchSize = v; return this; }
        /**
         * {@return this builder} Sets the total optimisation steps; {@link #build()} checks the range.
         *
         * @param v ≥ 0; 0 = derive from the epochs
         */
        public Builder steps(long v) { steps = v; return this; }
        /**
         * {@return this builder} Sets the epochs to run when steps is 0; {@link #build()} checks the range.
         *
         * @param v ≥ 1 when steps is 0
         */
        public Builder epochs(int v) { epochs = v; return this; }
        /**
         * {@return this builder} Sets the data-order seed; {@link #build()} checks the range.
         *
         * @param v any value
         */
        public Builder seed(long v) { seed = v; return this; }
        /**
         * {@return this builder} Sets how the backward pass gets each layer's input; {@link #build()} checks the range.
         *
         * @param v STORE or RECOMPUTE
         */
        public Builder memoryMode(MemoryMode v) { memoryMode = v; return this; }
        /**
         * {@return this builder} Sets the rows per validation batch; {@link #build()} checks the range.
         *
         * @param v ≥ 1
         */
        public Builder valBatchSize(int v) { valBatchSize = v; return this; }
        /**
         * {@return this builder} Sets the checkpoint interval; {@link #build()} checks the range.
         *
         * @param v steps, ≥ 0; 0 = never
         */
        public Builder checkpointEvery(long v) { checkpointEvery = v; return this; }
        /**
         * {@return this builder} Sets whether each epoch's final short batch is skipped; {@link #build()} checks the range.
         *
         * @param v true to skip it
         */
        public Builder dropLast(boolean v) { dropLast = v; return this; }
        /**
         * {@return this builder} Sets the batches the loader may prepare ahead; {@link #build()} checks the range.
         *
         * @param v ≥ 1
         */
        public Builder prefetch(int v) { prefetch = v; return this; }
        /**
         * {@return this builder} Sets the consecutive non-finite steps before a rollback; {@link #build()} checks the range.
         *
         * @param v ≥ 1
         */
        public Builder maxBadSteps(int v) { maxBadSteps = v; return this; }
        /**
         * {@return this builder} Sets the rollbacks allowed before the run stops; {@link #build()} checks the range.
         *
         * @param v ≥ 0
         */
        public Builder maxRollbacks(int v) { maxRollbacks = v; return this; }
        /**
         * {@return this builder} Sets the rollback-snapshot interval; {@link #build()} checks the range.
         *
         * @param v good steps, ≥ 1
         */
        public Builder snapshotEvery(int v) { snapshotEvery = v; return this; }
        /**
         * {@return this builder} Sets whether a host copy of the parameters at the best validation NLL is kept; {@link #build()} checks the range.
         *
         * @param v true to keep it
         */
        public Builder keepBest(boolean v) { keepBest = v; return this; }
        /**
         * {@return this builder} Sets the early-stopping patience; {@link #build()} checks the range.
         *
         * @param v validations without improvement, ≥ 0; 0 = off
         */
        public Builder patience(int v) { patience = v; return this; }
        /**
         * Applies {@code f} to this builder (for helpers that set several options).
         *
         * @param f the changes to apply
         * @return what {@code f} returns (normally this builder)
         */
        public Builder apply(java.util.function.UnaryOperator<Builder> f) { return f.apply(this); }

        /**
         * The config of the options set so far.
         *
         * @return a new, checked config
         * @throws UnknownNameException for an unknown optimizer
         * @throws InvalidConfigException naming the first option out of its range
         */
        public TrainConfig build() {
            return new TrainConfig(optimizer, lr, beta1, beta2, eps, weightDecay, warmupSteps, schedule, minLr, clipNorm, batchSize,
                    steps, epochs, seed, memoryMode, valBatchSize, checkpointEvery, dropLast, prefetch, maxBadSteps, maxRollbacks,
                    snapshotEvery, keepBest, patience);
        }
    }
}
