package dev.fluvia.flow;

import dev.fluvia.tensor.Tensor;
import dev.fluvia.transforms.Transform;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * The latents that leave a flow part-way (multi-scale split layers), scoped to one {@link Flow} call on the calling thread.
 * A split layer's forward {@link #record records} the half it factors out; its inverse needs that half back, which it
 * takes from the context: recorded or supplied latents ({@link Flow#decode}, reversible backprop), or, when the context
 * is sampling ({@link Flow#sample}), a fresh draw at the context's temperature with a seed derived from the context's
 * seed and the layer's index ({@link #seedFor}).
 *
 * <p>Open with {@link #open}, close with try-with-resources; contexts nest (the previous one is restored at close).
 */
public final class LatentContext implements AutoCloseable {
    private static final ThreadLocal<LatentContext> CURRENT = new ThreadLocal<>();

    private final List<Transform> layers;
    private final Map<Transform, Tensor> latents = new IdentityHashMap<>();
    private final boolean sampling;
    private final float temperature;
    private final long seed;
    private LatentContext previous;
    private boolean open;

    private LatentContext(List<Transform> layers, boolean sampling, float temperature, long seed) {
        this.layers = layers;
        this.sampling = sampling;
        this.temperature = temperature;
        this.seed = seed;
    }

    /** A context that records (and gives back) latents of the given flow's layers. */
    public static LatentContext recording(List<Transform> layers) { return new LatentContext(layers, false, 1f, 0L); }

    /** A context that draws missing latents at temperature T from seeds derived from {@code seed}. */
    public static LatentContext sampling(List<Transform> layers, float temperature, long seed) {
        return new LatentContext(layers, true, temperature, seed);
    }

    /** The context open on this thread, or null. */
    public static LatentContext current() { return CURRENT.get(); }

    /** Makes this context current on the calling thread until {@link #close()}. */
    public LatentContext open() {
        if (open) throw new IllegalStateException("latent context already open");
        previous = CURRENT.get();
        CURRENT.set(this);
        open = true;
        return this;
    }

    @Override public void close() {
        if (!open) return;
        open = false;
        if (previous == null) CURRENT.remove(); else CURRENT.set(previous);
    }

    /** Stores the latent that {@code layer} factored out (replacing an earlier one). */
    public void record(Transform layer, Tensor latent) { latents.put(layer, latent); }

    /** The latent recorded or supplied for {@code layer}, or null. */
    public Tensor latent(Transform layer) { return latents.get(layer); }

    /** True when missing latents are to be drawn ({@link Flow#sample}). */
    public boolean sampling() { return sampling; }

    public float temperature() { return temperature; }

    /** The sampling seed of {@code layer}: a mix of the context's seed and the layer's index in the flow (never the base's seed). */
    public long seedFor(Transform layer) {
        int index = -1;
        for (int i = 0; i < layers.size(); i++) if (layers.get(i) == layer) { index = i; break; }
        long z = seed + 0x9E3779B97F4A7C15L * (index + 2L);   // SplitMix64 finaliser over (seed, index)
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
