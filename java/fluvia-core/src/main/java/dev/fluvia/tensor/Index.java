package dev.fluvia.tensor;

/**
 * An immutable integer index list (mask positions, permutations, autoregressive orders) kept by a backend
 * in whatever memory its ops read (host array for CPU, device buffer for CUDA). {@link #values()} is the host copy.
 */
public abstract class Index {
    private final int[] values;
    protected Index(int[] values) { this.values = values.clone(); }
    public final int size() { return values.length; }
    public final int[] values() { return values.clone(); }
    /** The host array without a copy, for backends; never modify it. */
    public final int[] raw() { return values; }
}
