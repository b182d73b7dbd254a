package dev.fluvia.train;

import dev.fluvia.FluviaException.CheckpointException;
import dev.fluvia.backend.Backend;
import dev.fluvia.flow.Flow;
import dev.fluvia.param.Param;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Flow-wide unique parameter keys: {@code base.<name>} for the base distribution's parameters and
 * {@code layers.<k>.<name>} for those of transform {@code k} (layer-local names repeat across layers).
 * Optimizer state, snapshots and train-state tensors are keyed by them.
 */
public final class ParamKeys {
    private ParamKeys() {}

    /**
     * Every parameter of the flow (trainable and fixed), in {@link Flow#params()} order.
     *
     * @param flow the flow
     * @return key → parameter, in order
     * @throws IllegalStateException when two parameters share a key (a layer with duplicate names)
     */
    public static Map<String, Param> all(Flow flow) {
        Map<String, Param> m = new LinkedHashMap<>();
        for (Param p : flow.base().params()) put(m, "base." + p.name(), p);
        List<? extends dev.fluvia.transforms.Transform> ts = flow.transforms();
        for (int k = 0; k < ts.size(); k++) for (Param p : ts.get(k).params()) put(m, "layers." + k + "." + p.name(), p);
        return m;
    }

    /**
     * The trainable parameters only.
     *
     * @param flow the flow
     * @return key → trainable parameter, in {@link #all} order
     */
    public static Map<String, Param> trainable(Flow flow) {
        Map<String, Param> m = new LinkedHashMap<>();
        all(flow).forEach((k, p) -> { if (p.trainable()) m.put(k, p); });
        return m;
    }

    private static void put(Map<String, Param> m, String key, Param p) {
        if (m.put(key, p) != null) throw new IllegalStateException("two parameters share the key " + key);
    }

    /**
     * Host copies of every parameter's value.
     *
     * @param flow the flow
     * @return key → values (row-major), in {@link #all} order
     */
    public static Map<String, float[]> export(Flow flow) {
        Backend be = flow.backend();
        Map<String, float[]> out = new LinkedHashMap<>();
        all(flow).forEach((k, p) -> out.put(k, be.toHost(p.value())));
        return out;
    }

    /**
     * Uploads values into the flow's parameters; every parameter must be present with its exact size.
     *
     * @param flow the flow
     * @param values key → values, as {@link #export} gives them (extra keys are ignored)
     * @throws dev.fluvia.FluviaException.CheckpointException when a parameter is missing or has the wrong size
     */
    public static void load(Flow flow, Map<String, float[]> values) {
        Backend be = flow.backend();
        for (Map.Entry<String, Param> e : all(flow).entrySet()) {
            float[] v = values.get(e.getKey());
            if (v == null) throw new CheckpointException("parameter " + e.getKey() + " is missing");
            if (v.length != e.getValue().value().numel())
                throw new CheckpointException("parameter " + e.getKey() + " has " + v.length + " values, the model needs "
                        + e.getValue().value().numel() + " " + e.getValue().value().shapeString());
            be.upload(v, e.getValue().value());
        }
    }
}
