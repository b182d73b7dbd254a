package dev.fluvia.transforms;

import dev.fluvia.param.Stash;
import dev.fluvia.param.Param;
import dev.fluvia.tensor.Tensor;
import java.util.List;

/**
 * One bijective layer, in the directions of FLOWS.md: forward = normalizing (x → z), inverse = generative (z → x).
 * Layers compose {@link dev.fluvia.backend.Backend} ops; they never touch tensor data themselves. How a layer is written
 * to and read from a checkpoint is not its business: {@code dev.fluvia.io} holds one codec per kind.
 */
public interface Transform {

    /** The layer's kind as written in checkpoints ("affine_coupling", "actnorm", ...). */
    String kind();

    /** Shape of one input sample (forward direction), e.g. {@code [D]} or {@code [C, H, W]}. */
    int[] eventShape();

    /**
     * Shape of one output sample of the forward direction; equal to {@link #eventShape()} except for layers that change
     * shape (squeeze {@code [C, H, W] → [4C, H/2, W/2]}, multi-scale split {@code [C, H, W] → [C/2, H, W]}).
     */
    default int[] outputShape() { return eventShape(); }

    /** Parameters in a fixed order (trainable and fixed state); names are unique within the layer. */
    List<Param> params();

    /** x → y; adds log|det ∂y/∂x| per sample into {@code ld}. Stores what backward needs in {@code stash} when it is storing. */
    Tensor forward(Tensor x, Tensor ld, Stash stash);

    /** y → x; adds the inverse log-det (−ld of the forward at x) into {@code ld}. */
    Tensor inverse(Tensor y, Tensor ld);

    /**
     * Backward of {@link #forward} at input x: given gy = ∂L/∂y and gLd = ∂L/∂ld per sample, returns gx = ∂L/∂x and
     * accumulates parameter gradients. Uses the stash if forward stored into it, else recomputes from x.
     */
    Tensor backward(Tensor x, Tensor gy, Tensor gLd, Stash stash);

    /** Data-dependent initialisation on the first training batch (ActNorm); a no-op for most layers. */
    default void initialize(Tensor x) {}
}
