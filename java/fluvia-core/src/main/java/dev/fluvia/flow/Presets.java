package dev.fluvia.flow;

import dev.fluvia.FluviaException.UnknownNameException;
import dev.fluvia.backend.Activation;
import dev.fluvia.backend.Backend;
import dev.fluvia.backend.CouplingScale;
import dev.fluvia.distributions.BaseDistribution;
import dev.fluvia.distributions.DiagonalGaussian;
import dev.fluvia.distributions.StandardNormal;
import dev.fluvia.transforms.ActNorm;
import dev.fluvia.transforms.AdditiveCoupling;
import dev.fluvia.transforms.AffineCoupling;
import dev.fluvia.transforms.DiagScale;
import dev.fluvia.transforms.Iaf;
import dev.fluvia.transforms.InvertibleLinear;
import dev.fluvia.transforms.Maf;
import dev.fluvia.transforms.Masks;
import dev.fluvia.transforms.Planar;
import dev.fluvia.transforms.Radial;
import dev.fluvia.transforms.RqSplineAutoregressive;
import dev.fluvia.transforms.RqSplineCoupling;
import dev.fluvia.transforms.Standardize;
import dev.fluvia.transforms.Transform;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The tabular flow zoo: {@code nice}, {@code realnvp}, {@code glow}, {@code maf}, {@code iaf}, {@code planar}, {@code radial}
 * (K = {@code layers} planar / radial layers, default 16), {@code sylvester} (generative only: fitted by reverse KL),
 * {@code mixcdf} (the mixture-of-Gaussians CDF flow, {@code hidden} = K components, also on 1-D data) with sensible defaults,
 * every size overridable through {@link PresetOptions}. An optional standardisation (fitted on the training split)
 * becomes the first layer, so {@code logProb} on raw data is the density in the data's own units.
 */
public final class Presets {
    /** The preset names {@link #build} accepts, in the order the CLI's help lists them. */
    public static final List<String> NAMES = List.of("realnvp", "nice", "glow", "maf", "iaf", "planar", "radial", "sylvester", "mixcdf", "spline", "spline-ar");

    private Presets() {}

    /** Defaults per preset: {layers, hidden, depth}. */
    static int[] defaults(String name) {
        return switch (name) {
            case "realnvp" -> new int[] {8, 64, 2};
            case "nice" -> new int[] {4, 64, 3};
            case "glow" -> new int[] {6, 64, 2};
            case "maf", "iaf" -> new int[] {5, 64, 2};
            case "spline", "spline-ar" -> new int[] {4, 64, 2};
            case "planar", "radial" -> new int[] {16, 0, 0}; // no conditioner: hidden and depth are unused
            case "sylvester" -> new int[] {8, 0, 0};         // D Householder reflections per layer
            case "mixcdf" -> new int[] {1, 4, 0};            // hidden = K mixture components
            default -> throw unknown(name);
        };
    }

    static UnknownNameException unknown(String name) {
        return new UnknownNameException("unknown flow preset '" + name + "' (known: " + String.join(", ", NAMES) + ")");
    }

    /**
     * Builds the preset {@code name} over {@code dim} dimensions.
     *
     * @param name the preset, one of {@link #NAMES}
     * @param be   the backend the layers are allocated on
     * @param dim  the data dimension D (at least 2; mixcdf: at least 1)
     * @param o    sizes and choices; {@link PresetOptions#defaults()} for the preset's own
     * @param mean per-dim mean fitted on the training data (with {@code std}: the first, fixed standardisation layer), or null
     * @param std  per-dim standard deviation fitted on the training data, or null
     * @return a freshly initialised flow on vectors {@code [D]}
     * @throws UnknownNameException for an unknown preset or base name
     * @throws IllegalArgumentException when {@code dim} is too small
     */
    public static Flow build(String name, Backend be, int dim, PresetOptions o, float[] mean, float[] std) {
        if (!NAMES.contains(name)) throw unknown(name);
        if (dim < (name.equals("mixcdf") ? 1 : 2)) throw new IllegalArgumentException("flow presets need at least 2 dimensions, got " + dim);
        int[] d = defaults(name);
        int layers = o.layers() > 0 ? o.layers() : d[0];
        int width = o.hidden() > 0 ? o.hidden() : d[1];
        int depth = o.depth() > 0 ? o.depth() : d[2];
        Activation act = o.activation() != null ? o.activation() : Activation.RELU;
        CouplingScale scale = o.scale() != null ? o.scale() : CouplingScale.SOFTCLAMP;
        float clamp = o.clamp() > 0 ? o.clamp() : 2f;
        int[] hidden = new int[depth];
        Arrays.fill(hidden, width);
        SplittableRandom rng = new SplittableRandom(o.seed());

        List<Transform> ts = new ArrayList<>();
        if (mean != null) ts.add(new Standardize(be, mean, std));
        switch (name) {
            case "realnvp" -> {
                for (int l = 0; l < layers; l++) {
                    int[][] m = Masks.alternating(dim, l);
                    ts.add(new AffineCoupling(be, dim, m[0], m[1], hidden, act, scale, clamp, rng));
                }
            }
            case "nice" -> {
                for (int l = 0; l < layers; l++) {
                    int[][] m = Masks.alternating(dim, l);
                    ts.add(new AdditiveCoupling(be, dim, m[0], m[1], hidden, act, rng));
                }
                ts.add(new DiagScale(be, dim));
            }
            case "glow" -> {
                for (int l = 0; l < layers; l++) {
                    ts.add(new ActNorm(be, dim));
                    ts.add(new InvertibleLinear(be, dim, rng.nextLong()));
                    int[][] m = Masks.alternating(dim, 0); // the learned linear mixes dims; the split can stay fixed
                    ts.add(new AffineCoupling(be, dim, m[0], m[1], hidden, act, scale, clamp, rng));
                }
            }
            case "maf", "iaf" -> {
                int[] order = Maf.naturalOrder(dim);
                for (int l = 0; l < layers; l++) {
                    Maf maf = new Maf(be, order, hidden, act, clamp, null, rng);
                    ts.add(name.equals("maf") ? maf : new Iaf(be, maf));
                    order = Maf.reversedOrder(order);
                }
            }
            case "spline" -> { // rational-quadratic spline coupling, 8 bins on [-3, 3] (standardised data)
                for (int l = 0; l < layers; l++) {
                    int[][] m = Masks.alternating(dim, l);
                    ts.add(new RqSplineCoupling(be, dim, m[0], m[1], hidden, act, RqSplineCoupling.DEFAULT_BINS, RqSplineCoupling.DEFAULT_BOUND, rng));
                }
            }
            case "spline-ar" -> {
                int[] order = Maf.naturalOrder(dim);
                for (int l = 0; l < layers; l++) {
                    ts.add(new RqSplineAutoregressive(be, order, hidden, act, RqSplineCoupling.DEFAULT_BINS, RqSplineCoupling.DEFAULT_BOUND, rng));
                    order = Maf.reversedOrder(order);
                }
            }
            case "planar" -> {
                for (int l = 0; l < layers; l++) ts.add(new Planar(be, dim, rng));
            }
            case "radial" -> {
                for (int l = 0; l < layers; l++) ts.add(new Radial(be, dim, rng));
            }
            case "sylvester" -> {
                for (int l = 0; l < layers; l++) ts.add(new dev.fluvia.transforms.Sylvester(be, dim, rng));
            }
            case "mixcdf" -> {   // the last layer maps onto (0, 1) for a uniform base, else onto ℝ (fused logit)
                boolean uniform = "uniform".equals(o.base());
                for (int l = 0; l < layers; l++) ts.add(new dev.fluvia.transforms.MixCdf(be, dim, width, !(uniform && l == layers - 1)));
            }
            default -> throw unknown(name);
        }
        String baseName = o.base() == null ? "normal" : o.base();
        BaseDistribution base = name.equals("mixcdf") && baseName.equals("uniform") ? dev.fluvia.distributions.UniformBox.unit(be, dim) : switch (baseName) {
            case "normal", "std", "std_normal" -> new StandardNormal(be, dim);
            case "diag", "diag_normal" -> new DiagonalGaussian(be, dim);
            default -> Bases.build(baseName, be, dim, o.seed(), ts);   // the bases of issue 11: uniform, logistic, beta, gmm[:K]
        };
        return new Flow(be, base, ts);
    }
}
