package dev.fluvia.train;

import dev.fluvia.FluviaException.CheckpointException;
import dev.fluvia.FluviaException.UnknownNameException;
import dev.fluvia.backend.Backend;
import dev.fluvia.backend.reduce.StepStatus;
import dev.fluvia.param.Param;
import dev.fluvia.tensor.Tensor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A first-order optimizer over a fixed set of trainable parameters, keyed as in {@link ParamKeys}. It owns two state
 * tensors per parameter (allocated by the constructor; construct it outside any allocation scope so they live as long as
 * the optimizer), a step counter starting at 0, and applies one fused backend update per parameter per {@link #step}.
 */
public abstract class Optimizer {
    /** The backend the parameters and state tensors live on. */
    protected final Backend be;
    private final Map<String, Param> params;
    private final Map<String, Tensor[]> slots = new LinkedHashMap<>();
    private final List<String> slotNames;
    private int step;

    /**
     * Allocates the state tensors (zero) of every parameter.
     *
     * @param be        the backend
     * @param params    the trainable parameters by {@link ParamKeys} key (copied, order kept)
     * @param slotNames the state tensors per parameter, e.g. {@code m, v}; they name the exported state
     * @throws IllegalArgumentException when a parameter is not trainable
     */
    protected Optimizer(Backend be, Map<String, Param> params, List<String> slotNames) {
        this.be = be;
        this.params = new LinkedHashMap<>(params);
        this.slotNames = List.copyOf(slotNames);
        for (Map.Entry<String, Param> e : this.params.entrySet()) {
            if (!e.getValue().trainable()) throw new IllegalArgumentException("optimizer given the fixed parameter " + e.getKey());
            Tensor[] s = new Tensor[slotNames.size()];
            for (int i = 0; i < s.length; i++) s[i] = be.alloc(e.getValue().value().shape());
            slots.put(e.getKey(), s);
        }
    }

    /**
     * Builds "adam" or "adamax" from the config's hyperparameters.
     *
     * @param cfg    the training config (optimizer, β1, β2, ε, weight decay)
     * @param be     the backend
     * @param params the trainable parameters by {@link ParamKeys} key
     * @return the optimizer, at step 0
     * @throws UnknownNameException for an unknown optimizer name
     * @throws InvalidConfigException for an out-of-range hyperparameter, or weight decay with adamax
     */
    public static Optimizer create(TrainConfig cfg, Backend be, Map<String, Param> params) {
        return switch (cfg.optimizer()) {
            case "adam" -> new Adam(be, params, cfg.beta1(), cfg.beta2(), cfg.eps(), cfg.weightDecay());
            case "adamax" -> {
                if (cfg.weightDecay() != 0) throw new InvalidConfigException("weight decay is only implemented for adam, not adamax");
                yield new Adamax(be, params, cfg.beta1(), cfg.beta2(), cfg.eps());
            }
            default -> throw new UnknownNameException("unknown optimizer '" + cfg.optimizer() + "' (known: adam, adamax)");
        };
    }

    /** {@return the optimizer's name: "adam" or "adamax"} */
    public abstract String kind();

    /**
     * Applies one fused update to parameter {@code p} with gradient already in {@code p.grad()}; {@code t ≥ 1}.
     *
     * @param p     the parameter, updated in place
     * @param slots its state tensors, in {@code slotNames} order, updated in place
     * @param lr    the learning rate of this step
     * @param t     the step number (1 for the first update), for bias correction
     */
    protected abstract void update(Param p, Tensor[] slots, float lr, int t);

    /**
     * Increments the step counter and updates every parameter with the gradients they hold.
     *
     * @param lr the learning rate of this step
     */
    public void step(double lr) {
        step++;
        for (Map.Entry<String, Param> e : params.entrySet()) update(e.getValue(), slots.get(e.getKey()), (float) lr, step);
    }

    /**
     * Applies one update per parameter driven by the step status (skip flag, clip factor, lr and t = stepCount()+1 read on the device).
     *
     * @param p     the parameter, updated in place
     * @param slots its state tensors, updated in place
     * @param st    the step's status on the device
     */
    protected abstract void update(Param p, Tensor[] slots, StepStatus st);

    /**
     * Queues the device-side step: every parameter updated from the status written by the step ({@code st[LR], st[T]} set by
     * {@link StepStatus#begin} with {@code t = stepCount() + 1}), nothing changed when {@code st[SKIP]} is set. The host
     * counter is advanced by {@link #countStep} once the step is known to be good.
     *
     * @param st the step's status on the device
     */
    public void step(StepStatus st) {
        for (Map.Entry<String, Param> e : params.entrySet()) update(e.getValue(), slots.get(e.getKey()), st);
    }

    /** Counts an update applied through {@link #step(StepStatus)} (after reading that the step was not skipped). */
    public void countStep() { step++; }

    /** {@return the updates applied so far (the bias-correction counter)} */
    public int stepCount() { return step; }

    /** {@return the optimized parameters by key, unmodifiable} */
    public Map<String, Param> params() { return java.util.Collections.unmodifiableMap(params); }

    /** {@return a host copy of the state: kind, step count and every state tensor} */
    public OptimizerState exportState() {
        Map<String, float[]> m = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor[]> e : slots.entrySet())
            for (int i = 0; i < slotNames.size(); i++) m.put(e.getKey() + "." + slotNames.get(i), be.toHost(e.getValue()[i]));
        return new OptimizerState(kind(), step, m);
    }

    /**
     * Restores a state exported by an optimizer of the same kind over the same parameters.
     *
     * @param st the state, as {@link #exportState} gave it
     * @throws CheckpointException when the kind differs, the step is negative, or a tensor is missing or of the wrong size
     *                             (nothing is changed then)
     */
    public void importState(OptimizerState st) {
        if (!kind().equals(st.kind())) throw new CheckpointException("optimizer state is for " + st.kind() + ", this run uses " + kind());
        if (st.step() < 0) throw new CheckpointException("optimizer state has a negative step " + st.step());
        for (Map.Entry<String, Tensor[]> e : slots.entrySet())
            for (int i = 0; i < slotNames.size(); i++) {
                String key = e.getKey() + "." + slotNames.get(i);
                float[] v = st.tensors().get(key);
                if (v == null) throw new CheckpointException("optimizer state lacks " + key);
                if (v.length != e.getValue()[i].numel())
                    throw new CheckpointException("optimizer state " + key + " has " + v.length + " values, expected " + e.getValue()[i].numel());
            }
        for (Map.Entry<String, Tensor[]> e : slots.entrySet())
            for (int i = 0; i < slotNames.size(); i++) be.upload(st.tensors().get(e.getKey() + "." + slotNames.get(i)), e.getValue()[i]);
        step = st.step();
    }

    static void checkBetas(float beta1, float beta2, float eps) {
        if (!(beta1 >= 0 && beta1 < 1)) throw new InvalidConfigException("beta1 must be in [0, 1), got " + beta1);
        if (!(beta2 >= 0 && beta2 < 1)) throw new InvalidConfigException("beta2 must be in [0, 1), got " + beta2);
        if (!(eps > 0)) throw new InvalidConfigException("eps must be > 0, got " + eps);
    }
}
