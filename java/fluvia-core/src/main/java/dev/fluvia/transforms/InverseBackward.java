package dev.fluvia.transforms;

import dev.fluvia.tensor.Tensor;

/**
 * A layer that differentiates its generative direction ({@link Transform#inverse}, y → x) in closed form, as reverse-KL
 * (variational) training needs: samples are drawn through the inverses and the loss is differentiated through them.
 * Layers without it are differentiated through their forward's backward by the implicit function theorem
 * ({@code dev.fluvia.train.ImplicitInverseBackward}); a layer without a tractable forward (Sylvester) must implement it.
 */
public interface InverseBackward {
    /**
     * Backward of {@link Transform#inverse} at its input y (x = inverse(y), passed along so that it need not be recomputed):
     * given gx = ∂L/∂x and gLd = ∂L/∂ld⁻¹ per sample, returns gy = ∂L/∂y and accumulates the parameter gradients.
     */
    Tensor inverseBackward(Tensor y, Tensor x, Tensor gx, Tensor gLd);
}
