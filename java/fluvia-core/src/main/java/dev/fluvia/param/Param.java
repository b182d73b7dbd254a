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

    public Param(Backend be, String name, Tensor value, boolean trainable) { this(be, name, value, trainable, trainable); }

    /**
     * @param withGrad whether a trainable parameter gets its gradient buffer: false for a model loaded only to score
     *                 ({@link ParamSource#stored}), whose backward pass must not run
     */
    public Param(Backend be, String name, Tensor value, boolean trainable, boolean withGrad) {
        this.name = name;
        this.value = value;
        this.grad = trainable && withGrad ? be.alloc(value.shape()) : null;
        this.trainable = trainable;
    }

    public static Param of(Backend be, String name, float[] init, boolean trainable, int... shape) {
        return new Param(be, name, be.fromHost(init, shape), trainable);
    }

    public String name() { return name; }
    public Tensor value() { return value; }
    /** The gradient, or null for a non-trainable parameter and for any parameter of a scoring-only model. */
    public Tensor grad() { return grad; }
    public boolean trainable() { return trainable; }
}
