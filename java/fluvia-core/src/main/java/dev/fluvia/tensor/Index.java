package dev.fluvia.tensor;

/**
 * An immutable integer index list (mask positions, permutations, autoregressive orders) kept by a backend
 * in whatever memory its ops read (host array for CPU, device buffer for CUDA). {@link #values()} is the host copy.
 */
public abstract class Index {
    private final int[] values;
    /**
     * Keeps a copy of the indices; called by a backend's subclass.
     *
     * @param values the indices, copied (later changes to the array do not show)
     */
    protected Index(int[] values) { this.values = values.clone(); }
    /**
     * The number of indices.
     *
     * @return the length of the index list
     */
    public final int size() { return values.length; }
    /**
     * The indices on the host.
     *
     * @return a fresh copy of the indices, in their order
     */
    public final int[] values() { return values.clone(); }
    /**
     * The host array without a copy, for backends; never modify it.
     *
     * @return the backing array itself
     */
    public final int[] raw() { return values; }
}
