package dev.fluvia.train;

import java.util.Map;

/**
 * A host copy of an optimizer's state.
 *
 * @param kind    "adam" or "adamax"
 * @param step    updates applied so far (the bias-correction counter)
 * @param tensors moment tensors keyed {@code <paramKey>.m}, {@code <paramKey>.v} (Adam) or {@code <paramKey>.u} (Adamax)
 */
public record OptimizerState(String kind, int step, Map<String, float[]> tensors) {
    /**
     * Copies the tensor map (the arrays themselves are shared).
     *
     * @param kind    "adam" or "adamax"
     * @param step    updates applied so far
     * @param tensors moment tensors by key
     */
    public OptimizerState { tensors = Map.copyOf(tensors); }
}
