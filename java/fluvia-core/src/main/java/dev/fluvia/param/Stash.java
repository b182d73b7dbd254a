package dev.fluvia.param;

import dev.fluvia.tensor.Tensor;
import java.util.HashMap;
import java.util.Map;

/**
 * What one layer keeps from its forward pass for its backward pass (conditioner activations, ...).
 * A layer's backward works with an empty stash too: it then recomputes what it needs from its input,
 * which is how reversible backprop (recompute mode) runs.
 */
public final class Stash {
    private final Map<String, Tensor> saved = new HashMap<>();
    private final boolean storing;

    public Stash(boolean storing) { this.storing = storing; }

    /** A stash that stores nothing (inference, or recompute mode). */
    public static Stash none() { return new Stash(false); }

    public boolean storing() { return storing; }

    public void put(String key, Tensor t) { if (storing) saved.put(key, t); }

    /** The saved tensor, or null when nothing was stored under that key. */
    public Tensor get(String key) { return saved.get(key); }

    public void clear() { saved.clear(); }
}
