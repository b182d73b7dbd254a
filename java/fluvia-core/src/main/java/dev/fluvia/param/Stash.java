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

    /**
     * An empty stash.
     *
     * @param storing whether {@link #put} keeps what it is given (false: a stash that stays empty)
     */
    public Stash(boolean storing) { this.storing = storing; }

    /** {@return a stash that stores nothing (inference, or recompute mode)} */
    public static Stash none() { return new Stash(false); }

    /** {@return whether this stash keeps what it is given} */
    public boolean storing() { return storing; }

    /**
     * Keeps {@code t} under {@code key} when storing; does nothing otherwise.
     *
     * @param key the layer's name for the tensor
     * @param t   the tensor (kept, not copied)
     */
    public void put(String key, Tensor t) { if (storing) saved.put(key, t); }

    /**
     * The saved tensor, or null when nothing was stored under that key.
     *
     * @param key the layer's name for the tensor
     * @return the tensor, or null
     */
    public Tensor get(String key) { return saved.get(key); }

    /** Forgets every saved tensor (the tensors themselves are not released). */
    public void clear() { saved.clear(); }
}
