package dev.fluvia.param;

import dev.fluvia.backend.Backend;
import dev.fluvia.tensor.Tensor;

/**
 * A named parameter: its value and its gradient (same shape, accumulated by backward ops, zeroed by the optimizer step).
 * {@code trainable == false} marks fixed state that is saved but never updated (standardisation statistics, LU's sign).
 */
public final class Param {
    private final String name;
    private final Tensor value;
    private final Tensor grad;
    private final boolean trainable;

    /**
     * A parameter; a trainable one gets a zero gradient buffer of its shape.
     *
     * @param be        the backend that allocates the gradient
     * @param name      the name, unique within its layer (checkpoints store it as {@code layers.<i>.<name>} or {@code base.<name>})
     * @param value     the value tensor (kept, not copied)
     * @param trainable whether the optimizer updates it
     */
    public Param(Backend be, String name, Tensor value, boolean trainable) { this(be, name, value, trainable, trainable); }

    /**
     * A parameter, with or without a gradient buffer.
     *
     * @param be        the backend that allocates the gradient
     * @param name      the name, unique within its layer
     * @param value     the value tensor (kept, not copied)
     * @param trainable whether the optimizer updates it
     * @param withGrad whether a trainable parameter gets its gradient buffer: false for a model loaded only to score
     *                 ({@link ParamSource#stored}), whose backward pass must not run
     */
    public Param(Backend be, String name, Tensor value, boolean trainable, boolean withGrad) {
        this.name = name;
        this.value = value;
        this.grad = trainable && withGrad ? be.alloc(value.shape()) : null;
        this.trainable = trainable;
    }

    /**
     * A parameter holding a copy of host values.
     *
     * @param be        the backend
     * @param name      the name, unique within its layer
     * @param init      the initial values, row-major
     * @param trainable whether the optimizer updates it (and it gets a gradient buffer)
     * @param shape     the extents; their product is {@code init.length}
     * @return the parameter
     * @throws dev.fluvia.FluviaException.ShapeException when {@code init} does not fit the shape
     */
    public static Param of(Backend be, String name, float[] init, boolean trainable, int... shape) {
        return new Param(be, name, be.fromHost(init, shape), trainable);
    }

    /** {@return the parameter's name within its layer} */
    public String name() { return name; }
    /** {@return the value tensor (updated in place by the optimizer)} */
    public Tensor value() { return value; }
    /** {@return the gradient, or null for a non-trainable parameter and for any parameter of a scoring-only model} */
    public Tensor grad() { return grad; }
    /** {@return whether the optimizer updates this parameter} */
    public boolean trainable() { return trainable; }
}
