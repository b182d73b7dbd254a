package dev.fluvia.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fluvia.FluviaException.CheckpointException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything besides the model parameters that a run needs to continue exactly where it stopped: the step and the data
 * position, the learning-rate multiplier of the NaN guard, best-model bookkeeping, the loss history and the optimizer state.
 * A checkpoint holds {@link #toJson()} (small, in the header) and {@link #tensors()} (optimizer moments, best parameters);
 * {@link #fromJson} reads them back.
 *
 * <p>Steps count completed optimisation steps (skipped non-finite steps included: they consumed a batch);
 * {@code epoch}/{@code position} name the next batch the loader produces.
 */
public final class TrainState {
    /** Version of the JSON layout. */
    public static final int FORMAT = 1;

    long step;
    int epoch;
    int position;
    double lrMultiplier = 1.0;
    double bestValNll = Double.POSITIVE_INFINITY;
    long bestStep = -1;
    int rollbacks;
    int consecutiveBad;
    boolean initialized;
    long samples;
    double trainSeconds;
    final List<Double> losses = new ArrayList<>();
    final List<Double> valNlls = new ArrayList<>();
    OptimizerState optimizer;
    Map<String, float[]> bestParams;

    /** A fresh state: step 0, epoch 0, position 0, learning-rate multiplier 1, no best, no history, not initialised. */
    public TrainState() {}

    /** {@return the completed optimisation steps (skipped non-finite steps included)} */
    public long step() { return step; }
    /** {@return the epoch (0-based) of the next batch} */
    public int epoch() { return epoch; }
    /** {@return the position (0-based batch number) of the next batch within its epoch} */
    public int position() { return position; }
    /** {@return the factor the NaN guard applies to the scheduled learning rate (1, halved at each rollback)} */
    public double lrMultiplier() { return lrMultiplier; }
    /** {@return the best validation NLL so far in nats (+∞ before the first validation)} */
    public double bestValNll() { return bestValNll; }
    /** {@return the step at which {@link #bestValNll()} was reached, or −1} */
    public long bestStep() { return bestStep; }
    /** {@return the rollbacks to a snapshot so far (after too many non-finite steps in a row)} */
    public int rollbacks() { return rollbacks; }
    /** {@return the non-finite steps in a row that end at the current step (0 after a good step)} */
    public int consecutiveBad() { return consecutiveBad; }
    /** {@return whether the data-dependent initialisation has run} It runs once, on the first batch. */
    public boolean initialized() { return initialized; }
    /** {@return the training rows consumed} */
    public long samples() { return samples; }
    /** {@return the seconds spent in training steps, summed over resumed runs} */
    public double trainSeconds() { return trainSeconds; }
    /** {@return the loss (mean NLL, nats) of every step; NaN for a step skipped as non-finite} A copy. */
    public List<Double> losses() { return List.copyOf(losses); }
    /** {@return the validation NLL (nats) after each epoch} A copy. */
    public List<Double> valNlls() { return List.copyOf(valNlls); }
    /** {@return the optimizer state as of the last export (null before)} */
    public OptimizerState optimizer() { return optimizer; }
    /** {@return a host copy of the parameters at the best validation NLL, keyed as in {@link ParamKeys}, or null} */
    public Map<String, float[]> bestParams() { return bestParams; }

    /** {@return the scalar part as JSON (non-finite numbers are written as null)} */
    public ObjectNode toJson() {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("format", FORMAT);
        o.put("step", step);
        o.put("epoch", epoch);
        o.put("position", position);
        o.put("lr_multiplier", lrMultiplier);
        putNumber(o, "best_val_nll", bestValNll);
        o.put("best_step", bestStep);
        o.put("rollbacks", rollbacks);
        o.put("consecutive_bad", consecutiveBad);
        o.put("initialized", initialized);
        o.put("samples", samples);
        o.put("train_seconds", trainSeconds);
        ArrayNode l = o.putArray("losses");
        for (double v : losses) addNumber(l, v);
        ArrayNode vn = o.putArray("val_nlls");
        for (double v : valNlls) addNumber(vn, v);
        if (optimizer != null) {
            ObjectNode op = o.putObject("optimizer");
            op.put("kind", optimizer.kind());
            op.put("step", optimizer.step());
            ArrayNode keys = op.putArray("tensors");
            for (String k : optimizer.tensors().keySet()) keys.add(k);
        }
        o.put("has_best_params", bestParams != null);
        return o;
    }

    /** {@return the tensor part: {@code optim.<key>} for optimizer moments, {@code best.<paramKey>} for the best parameters} */
    public Map<String, float[]> tensors() {
        Map<String, float[]> m = new LinkedHashMap<>();
        if (optimizer != null) optimizer.tensors().forEach((k, v) -> m.put("optim." + k, v));
        if (bestParams != null) bestParams.forEach((k, v) -> m.put("best." + k, v));
        return m;
    }

    /**
     * Reads what {@link #toJson()} and {@link #tensors()} wrote; a missing field or tensor is a {@link CheckpointException}.
     *
     * @param o       the JSON of {@link #toJson()}
     * @param tensors the tensors of {@link #tensors()}, by name
     * @return the state
     * @throws CheckpointException when a field or tensor is missing, the format is unknown or the values are inconsistent
     */
    public static TrainState fromJson(JsonNode o, Map<String, float[]> tensors) {
        if (o == null || !o.isObject()) throw new CheckpointException("train state: expected a JSON object, got " + o);
        int format = req(o, "format").asInt();
        if (format != FORMAT) throw new CheckpointException("train state: format " + format + " is not supported (this version reads " + FORMAT + ")");
        TrainState s = new TrainState();
        s.step = req(o, "step").asLong();
        s.epoch = req(o, "epoch").asInt();
        s.position = req(o, "position").asInt();
        s.lrMultiplier = req(o, "lr_multiplier").asDouble();
        s.bestValNll = number(req(o, "best_val_nll"), Double.POSITIVE_INFINITY);
        s.bestStep = req(o, "best_step").asLong();
        s.rollbacks = req(o, "rollbacks").asInt();
        s.consecutiveBad = req(o, "consecutive_bad").asInt();
        s.initialized = req(o, "initialized").asBoolean();
        s.samples = req(o, "samples").asLong();
        s.trainSeconds = req(o, "train_seconds").asDouble();
        for (JsonNode v : req(o, "losses")) s.losses.add(number(v, Double.NaN));
        for (JsonNode v : req(o, "val_nlls")) s.valNlls.add(number(v, Double.NaN));
        if (s.step < 0 || s.epoch < 0 || s.position < 0 || !(s.lrMultiplier > 0) || s.losses.size() != s.step)
            throw new CheckpointException("train state: inconsistent values (step " + s.step + ", epoch " + s.epoch + ", position "
                    + s.position + ", lr multiplier " + s.lrMultiplier + ", " + s.losses.size() + " losses)");
        JsonNode op = o.get("optimizer");
        if (op != null && !op.isNull()) {
            Map<String, float[]> ot = new LinkedHashMap<>();
            for (JsonNode k : req(op, "tensors")) ot.put(k.asText(), tensor(tensors, "optim." + k.asText()));
            s.optimizer = new OptimizerState(req(op, "kind").asText(), req(op, "step").asInt(), ot);
        }
        if (req(o, "has_best_params").asBoolean()) {
            s.bestParams = new LinkedHashMap<>();
            tensors.forEach((k, v) -> { if (k.startsWith("best.")) s.bestParams.put(k.substring(5), v); });
            if (s.bestParams.isEmpty()) throw new CheckpointException("train state: says it has best parameters but no best.* tensor is present");
        }
        return s;
    }

    private static JsonNode req(JsonNode o, String f) {
        JsonNode v = o.get(f);
        if (v == null) throw new CheckpointException("train state: field '" + f + "' is missing");
        return v;
    }

    private static float[] tensor(Map<String, float[]> t, String k) {
        float[] v = t.get(k);
        if (v == null) throw new CheckpointException("train state: tensor '" + k + "' is missing");
        return v;
    }

    private static void putNumber(ObjectNode o, String f, double v) { if (Double.isFinite(v)) o.put(f, v); else o.putNull(f); }
    private static void addNumber(ArrayNode a, double v) { if (Double.isFinite(v)) a.add(v); else a.addNull(); }
    private static double number(JsonNode n, double ifNull) { return n.isNull() ? ifNull : n.asDouble(); }
}
