package dev.fluvia.io.codec;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fluvia.backend.Backend;
import dev.fluvia.param.ParamSource;

/**
 * How one kind of layer (or base distribution) is written to and read from a checkpoint's model description: its
 * {@code config} (hyperparameters and fixed structure: masks, orders, permutations, flags) and, on reading, the layer
 * built straight from its stored parameters ({@link ParamSource}). One codec per kind; {@link dev.fluvia.io.Registry} lists them.
 * Layers know nothing of this: io reads and writes layers, never the reverse.
 *
 * @param <T> the layer (or base distribution) class
 */
public interface Codec<T> {
    /** The kind as written in checkpoints ("affine_coupling", "std_normal", ...). */
    String kind();

    /** The class this codec writes. */
    Class<T> type();

    /** The config of a layer of this kind. */
    ObjectNode write(T layer);

    /**
     * Builds a layer of this kind from its config, taking its parameters from {@code params} (a checkpoint's tensors; or
     * a fresh source, which then initialises them as the layer's constructor does with a fixed seed).
     */
    T read(Backend be, ObjectNode config, ParamSource params);
}
