package dev.fluvia.flow;

import dev.fluvia.backend.Activation;
import dev.fluvia.backend.CouplingScale;

/**
 * Sizes and choices of a preset; a null / non-positive field means "the preset's default".
 *
 * @param layers     couplings (realnvp, nice), steps (glow), autoregressive layers (maf, iaf) or planar / radial layers
 * @param hidden     width of every hidden layer of the conditioners
 * @param depth      number of hidden layers of the conditioners
 * @param activation hidden activation
 * @param scale      affine-coupling scale (softclamp or Glow's sigmoid)
 * @param clamp      soft-clamp constant c
 * @param base       base distribution: "normal" (standard), "diag" (learnable diagonal Gaussian) or one of
 *                   {@link Bases#NAMES}
 * @param seed       initialisation seed
 */
public record PresetOptions(int layers, int hidden, int depth, Activation activation, CouplingScale scale, float clamp, String base, long seed) {

    /** {@return options that leave every choice to the preset (all sizes 0, all choices null, seed 0)} */
    public static PresetOptions defaults() { return new PresetOptions(0, 0, 0, null, null, 0f, null, 0L); }

    /**
     * A copy with another layer count.
     *
     * @param v couplings, steps or layers ({@code <= 0}: the preset's default)
     * @return the changed copy
     */
    public PresetOptions withLayers(int v) { return new PresetOptions(v, hidden, depth, activation, scale, clamp, base, seed); }
    /**
     * A copy with another hidden width.
     *
     * @param v units of every hidden layer of the conditioners (mixcdf: the component count K; {@code <= 0}: default)
     * @return the changed copy
     */
    public PresetOptions withHidden(int v) { return new PresetOptions(layers, v, depth, activation, scale, clamp, base, seed); }
    /**
     * A copy with another conditioner depth.
     *
     * @param v hidden layers per conditioner ({@code <= 0}: the preset's default)
     * @return the changed copy
     */
    public PresetOptions withDepth(int v) { return new PresetOptions(layers, hidden, v, activation, scale, clamp, base, seed); }
    /**
     * A copy with another hidden activation.
     *
     * @param v the activation, or null for the default (ReLU)
     * @return the changed copy
     */
    public PresetOptions withActivation(Activation v) { return new PresetOptions(layers, hidden, depth, v, scale, clamp, base, seed); }
    /**
     * A copy with another affine-coupling scale.
     *
     * @param v the scale, or null for the default (soft clamp)
     * @return the changed copy
     */
    public PresetOptions withScale(CouplingScale v) { return new PresetOptions(layers, hidden, depth, activation, v, clamp, base, seed); }
    /**
     * A copy with another soft-clamp constant.
     *
     * @param v c in {@code log s = c·tanh(h/c)} ({@code <= 0}: the default, 2)
     * @return the changed copy
     */
    public PresetOptions withClamp(float v) { return new PresetOptions(layers, hidden, depth, activation, scale, v, base, seed); }
    /**
     * A copy with another base distribution.
     *
     * @param v "normal", "diag" or a name of {@link Bases#NAMES}; null: the standard normal
     * @return the changed copy
     */
    public PresetOptions withBase(String v) { return new PresetOptions(layers, hidden, depth, activation, scale, clamp, v, seed); }
    /**
     * A copy with another initialisation seed.
     *
     * @param v the seed of the layers' (and learnable base's) initial parameters
     * @return the changed copy
     */
    public PresetOptions withSeed(long v) { return new PresetOptions(layers, hidden, depth, activation, scale, clamp, base, v); }
}
