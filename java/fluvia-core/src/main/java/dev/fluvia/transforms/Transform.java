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

    /** {@return the layer's kind as written in checkpoints ("affine_coupling", "actnorm", ...)}; {@code io.Registry} maps it to the layer's codec. */
    String kind();

    /** {@return the shape of one input sample (forward direction), e.g. {@code [D]} or {@code [C, H, W]}} The batch extent is not part of it. */
    int[] eventShape();

    /**
     * Shape of one output sample of the forward direction; equal to {@link #eventShape()} except for layers that change
     * shape (squeeze {@code [C, H, W] → [4C, H/2, W/2]}, multi-scale split {@code [C, H, W] → [C/2, H, W]}).
     *
     * @return the shape of one forward output sample, without the batch extent
     */
    default int[] outputShape() { return eventShape(); }

    /**
     * Parameters in a fixed order (trainable and fixed state); names are unique within the layer.
     *
     * @return the layer's parameters, the same objects on every call (empty for a layer without any)
     */
    List<Param> params();

    /**
     * x → y; adds log|det ∂y/∂x| per sample into {@code ld}. Stores what backward needs in {@code stash} when it is storing.
     *
     * @param x     the batch, {@code [N, ...eventShape()]}; not modified
     * @param ld    per-sample log-determinants {@code [N]}, accumulated into ({@code +=})
     * @param stash where the layer keeps activations for {@link #backward} ({@link Stash#none()} at inference)
     * @return y, a new tensor {@code [N, ...outputShape()]}
     * @throws dev.fluvia.FluviaException.ShapeException when {@code x} or {@code ld} does not fit the layer
     */
    Tensor forward(Tensor x, Tensor ld, Stash stash);

    /**
     * y → x; adds the inverse log-det (−ld of the forward at x) into {@code ld}.
     *
     * @param y  the batch in the layer's output space, {@code [N, ...outputShape()]}; not modified
     * @param ld per-sample log-determinants {@code [N]}, accumulated into ({@code +=}) with log|det ∂x/∂y|
     * @return x, a new tensor {@code [N, ...eventShape()]}
     * @throws dev.fluvia.FluviaException.ShapeException when {@code y} or {@code ld} does not fit the layer
     */
    Tensor inverse(Tensor y, Tensor ld);

    /**
     * Backward of {@link #forward} at input x: given gy = ∂L/∂y and gLd = ∂L/∂ld per sample, returns gx = ∂L/∂x and
     * accumulates parameter gradients. Uses the stash if forward stored into it, else recomputes from x.
     *
     * @param x     the input the forward pass saw, {@code [N, ...eventShape()]}
     * @param gy    ∂L/∂y, {@code [N, ...outputShape()]}
     * @param gLd   ∂L/∂ld per sample, {@code [N]} (the same vector for every layer of a flow)
     * @param stash the stash {@link #forward} filled, or an empty one
     * @return gx = ∂L/∂x, a new tensor shaped like {@code x}; parameter gradients are added into each {@link Param#grad()}
     */
    Tensor backward(Tensor x, Tensor gy, Tensor gLd, Stash stash);

    /**
     * Data-dependent initialisation on the first training batch (ActNorm); a no-op for most layers.
     *
     * @param x the first batch as it reaches this layer, {@code [N, ...eventShape()]}
     */
    default void initialize(Tensor x) {}
}
