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
 * @param base       base distribution: "normal" (standard) or "diag" (learnable diagonal Gaussian)
 * @param seed       initialisation seed
 */
public record PresetOptions(int layers, int hidden, int depth, Activation activation, CouplingScale scale, float clamp, String base, long seed) {

    public static PresetOptions defaults() { return new PresetOptions(0, 0, 0, null, null, 0f, null, 0L); }

    public PresetOptions withLayers(int v) { return new PresetOptions(v, hidden, depth, activation, scale, clamp, base, seed); }
    public PresetOptions withHidden(int v) { return new PresetOptions(layers, v, depth, activation, scale, clamp, base, seed); }
    public PresetOptions withDepth(int v) { return new PresetOptions(layers, hidden, v, activation, scale, clamp, base, seed); }
    public PresetOptions withActivation(Activation v) { return new PresetOptions(layers, hidden, depth, v, scale, clamp, base, seed); }
    public PresetOptions withScale(CouplingScale v) { return new PresetOptions(layers, hidden, depth, activation, v, clamp, base, seed); }
    public PresetOptions withClamp(float v) { return new PresetOptions(layers, hidden, depth, activation, scale, v, base, seed); }
    public PresetOptions withBase(String v) { return new PresetOptions(layers, hidden, depth, activation, scale, clamp, v, seed); }
    public PresetOptions withSeed(long v) { return new PresetOptions(layers, hidden, depth, activation, scale, clamp, base, v); }
}
