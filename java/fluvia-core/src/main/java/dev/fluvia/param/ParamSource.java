package dev.fluvia.param;

import dev.fluvia.backend.Backend;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Where a layer's parameters come from while it is built: {@link #fresh} computes their initial values (random or
 * constant, from the layer's {@code init}), {@link #stored} takes them straight from stored tensors (a checkpoint) and
 * never runs an initialisation. A stored source may also leave out the gradient buffers, for a model that only scores.
 *
 * <p>Layers ask for every parameter through {@link #param}, in a fixed order; when {@link #fresh()} is false they skip any
 * random draw (their {@code SplittableRandom} may then be null).
 */
public interface ParamSource {

    /** Looks up a stored parameter's values; throws a typed error naming it when it is missing or has another shape. */
    @FunctionalInterface
    interface Stored {
        /**
         * The stored values of one parameter.
         *
         * @param name      the parameter's name within the layer
         * @param trainable whether the layer declares it trainable
         * @param shape     the shape the layer expects
         * @return the values, row-major, {@code Π shape} of them
         */
        float[] values(String name, boolean trainable, int[] shape);
    }

    /** {@return true when initial values are computed here; false when they come from stored tensors} */
    boolean fresh();

    /**
     * The parameter {@code name} of the given shape: {@code init}'s values (called only by a fresh source) or the stored
     * tensor. A trainable parameter gets a gradient buffer unless the source is a scoring-only one.
     *
     * @param name      the parameter's name within the layer
     * @param trainable whether the optimizer updates it
     * @param init      computes the initial values (row-major); not called by a stored source
     * @param shape     the extents
     * @return the parameter
     */
    Param param(String name, boolean trainable, Supplier<float[]> init, int... shape);

    /** {@return the parameters initialised fresh in this JVM so far} A diagnostic counter: loading a checkpoint adds none. */
    static long initialisations() { return Fresh.COUNT.get(); }

    /**
     * Initial values computed from each layer's init; trainable parameters get gradient buffers.
     *
     * @param be the backend the parameters are allocated on
     * @return the fresh source
     */
    static ParamSource fresh(Backend be) { return new Fresh(be); }

    /**
     * Values taken from {@code stored}; no initialisation runs.
     *
     * @param be     the backend the parameters are allocated on
     * @param stored looks up each parameter's values
     * @param grads whether trainable parameters get gradient buffers (false for a model that only scores)
     * @return the stored source
     */
    static ParamSource stored(Backend be, Stored stored, boolean grads) {
        return new ParamSource() {
            @Override public boolean fresh() { return false; }
            @Override public Param param(String name, boolean trainable, Supplier<float[]> init, int... shape) {
                float[] v = stored.values(name, trainable, shape);
                return new Param(be, name, be.fromHost(v, shape), trainable, trainable && grads);
            }
        };
    }

    /** The fresh source. */
    final class Fresh implements ParamSource {
        static final AtomicLong COUNT = new AtomicLong();
        private final Backend be;

        private Fresh(Backend be) { this.be = be; }

        @Override public boolean fresh() { return true; }

        @Override public Param param(String name, boolean trainable, Supplier<float[]> init, int... shape) {
            COUNT.incrementAndGet();
            return Param.of(be, name, init.get(), trainable, shape);
        }
    }
}
