package dev.fluvia.flow;

import dev.fluvia.FluviaException.ShapeException;
import dev.fluvia.FluviaException.UnknownNameException;
import dev.fluvia.backend.Activation;
import dev.fluvia.backend.Backend;
import dev.fluvia.backend.CouplingScale;
import dev.fluvia.distributions.BaseDistribution;
import dev.fluvia.distributions.ContextStandardNormal;
import dev.fluvia.distributions.DiagonalGaussian;
import dev.fluvia.distributions.StandardNormal;
import dev.fluvia.transforms.ActNorm;
import dev.fluvia.transforms.AffineCoupling;
import dev.fluvia.transforms.Transform;
import dev.fluvia.transforms.image.ConditionalImageAffineCoupling;
import dev.fluvia.transforms.image.ContextCarry;
import dev.fluvia.transforms.image.ContextSplit;
import dev.fluvia.transforms.image.ImageAffineCoupling;
import dev.fluvia.transforms.image.InvertibleConv1x1;
import dev.fluvia.transforms.image.LogitPreprocess;
import dev.fluvia.transforms.image.Split;
import dev.fluvia.transforms.image.Squeeze;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Multi-scale image flows for dequantised images {@code x ∈ [0, 1]^{C×H×W}} (docs/IMAGES.md):
 *
 * <pre>
 *   pre-processing (logit with λ, or none)
 *   level 1 … L:  glow:    Squeeze → K × [ActNorm → InvertibleConv1x1 (LU) → ImageAffineCoupling (channel mask)]
 *                 realnvp: K × checkerboard coupling → Squeeze → K × channel coupling
 *                 then, except after the last level, Split (half the channels leave as a latent)
 *   base distribution over the final latent shape
 * </pre>
 *
 * Glow scores the split-off halves under the learned conditional prior ({@link Split#CONDITIONAL}) and uses a learned
 * diagonal Gaussian at the top; RealNVP uses fixed standard normals for both. Every coupling starts as the identity
 * (zero-initialised last convolution), couplings alternate the mask parity. Each level halves H and W, so
 * {@code L} levels need H and W divisible by {@code 2^L}: 8×8 digits allow L ≤ 3, 28×28 MNIST L ≤ 2
 * (28 → 14 → 7; a third squeeze of 7×7 is impossible).
 */
public final class ImagePresets {
    /** The image presets {@link #build} knows. */
    public static final List<String> NAMES = List.of("glow", "realnvp");

    private ImagePresets() {}

    /**
     * Sizes and choices of an image preset; a non-positive number or null means "the preset's default".
     *
     * @param levels        multi-scale levels L (default: 3, or fewer when the image size does not allow 3)
     * @param stepsPerLevel K: Glow steps per level (default 4) / couplings per mask type per level for RealNVP (default 3)
     * @param width         conditioner width (channels of its hidden convolutions; default 64)
     * @param conditioner   "glow" ({@link dev.fluvia.nn.GlowConvNet}) or "resnet"; default glow for glow, resnet for realnvp
     * @param blocks        residual blocks of the resnet conditioner (default 1)
     * @param scale         coupling scale: sigmoid (Glow's default here) or softclamp (RealNVP's default)
     * @param clamp         soft-clamp constant (default 2)
     * @param preprocess    "logit" (default) or "none"
     * @param lambda        λ of the logit pre-processing (default 0.05, RealNVP's value)
     * @param base          "diag" (learned diagonal Gaussian, Glow's default) or "normal" (RealNVP's default)
     * @param seed          initialisation seed
     */
    public record Options(int levels, int stepsPerLevel, int width, String conditioner, int blocks, CouplingScale scale,
                          float clamp, String preprocess, float lambda, String base, long seed) {
        /**
         * Every size and choice at the preset's default.
         * @return options whose zero, negative and null fields each mean "the preset's default"
         */
        public static Options defaults() { return new Options(0, 0, 0, null, 0, null, 0f, null, -1f, null, 0L); }

        /**
         * These options with {@code levels} replaced.
         * @param v the new value
         * @return the changed copy
         */
        public Options withLevels(int v) { return new Options(v, stepsPerLevel, width, conditioner, blocks, scale, clamp, preprocess, lambda, base, seed); }
        /**
         * These options with {@code stepsPerLevel} replaced.
         * @param v the new value
         * @return the changed copy
         */
        public Options withStepsPerLevel(int v) { return new Options(levels, v, width, conditioner, blocks, scale, clamp, preprocess, lambda, base, seed); }
        /**
         * These options with {@code width} replaced.
         * @param v the new value
         * @return the changed copy
         */
        public Options withWidth(int v) { return new Options(levels, stepsPerLevel, v, conditioner, blocks, scale, clamp, preprocess, lambda, base, seed); }
        /**
         * These options with {@code conditioner} replaced.
         * @param v the new value
         * @return the changed copy
         */
        public Options withConditioner(String v) { return new Options(levels, stepsPerLevel, width, v, blocks, scale, clamp, preprocess, lambda, base, seed); }
        /**
         * These options with {@code blocks} replaced.
         * @param v the new value
         * @return the changed copy
         */
        public Options withBlocks(int v) { return new Options(levels, stepsPerLevel, width, conditioner, v, scale, clamp, preprocess, lambda, base, seed); }
        /**
         * These options with {@code scale} replaced.
         * @param v the new value
         * @return the changed copy
         */
        public Options withScale(CouplingScale v) { return new Options(levels, stepsPerLevel, width, conditioner, blocks, v, clamp, preprocess, lambda, base, seed); }
        /**
         * These options with {@code clamp} replaced.
         * @param v the new value
         * @return the changed copy
         */
        public Options withClamp(float v) { return new Options(levels, stepsPerLevel, width, conditioner, blocks, scale, v, preprocess, lambda, base, seed); }
        /**
         * These options with {@code preprocess} replaced.
         * @param v the new value
         * @return the changed copy
         */
        public Options withPreprocess(String v) { return new Options(levels, stepsPerLevel, width, conditioner, blocks, scale, clamp, v, lambda, base, seed); }
        /**
         * These options with {@code lambda} replaced.
         * @param v the new value
         * @return the changed copy
         */
        public Options withLambda(float v) { return new Options(levels, stepsPerLevel, width, conditioner, blocks, scale, clamp, preprocess, v, base, seed); }
        /**
         * These options with {@code base} replaced.
         * @param v the new value
         * @return the changed copy
         */
        public Options withBase(String v) { return new Options(levels, stepsPerLevel, width, conditioner, blocks, scale, clamp, preprocess, lambda, v, seed); }
        /**
         * These options with {@code seed} replaced.
         * @param v the new value
         * @return the changed copy
         */
        public Options withSeed(long v) { return new Options(levels, stepsPerLevel, width, conditioner, blocks, scale, clamp, preprocess, lambda, base, v); }
    }

    /**
     * The largest number of levels an image of height h and width w allows (each level halves both).
     * @param h image height in pixels
     * @param w image width in pixels
     * @return how many times both can be halved while even and above 1
     */
    public static int maxLevels(int h, int w) {
        int l = 0;
        while (h % 2 == 0 && w % 2 == 0 && h > 1 && w > 1) { h /= 2; w /= 2; l++; }
        return l;
    }

    /**
     * Builds the preset for images of shape {@code chw = [C, H, W]}.
     *
     * @param name the preset, one of {@link #NAMES}
     * @param be   the backend the flow lives on
     * @param chw  the image shape {@code [C, H, W]}
     * @param o    levels, steps, width and the other options (defaults where zero or null)
     * @return a fresh multi-scale image flow over rows of {@code C·H·W} values
     * @throws UnknownNameException for an unknown preset, conditioner, pre-processing or base name
     * @throws ShapeException when the image size does not allow the requested levels
     */
    public static Flow build(String name, Backend be, int[] chw, Options o) { return build(name, be, chw, o, 0); }

    /**
     * Builds the preset for images of shape {@code chw = [C, H, W]}, conditional on a context of {@code context} entries
     * when {@code context ≥ 1} (docs/FLOWS.md "Conditional flows in Fluvia"): the flow runs over rows {@code [x | c]}
     * ({@code C·H·W} image values, then the context), every coupling is a conditional one whose conditioner sees c as
     * constant planes ({@link ConditionalImageAffineCoupling}), the layers without a conditioner (pre-processing, squeeze,
     * ActNorm, invertible 1×1 convolution) act on x alone ({@link ContextCarry}), each split acts on x and carries c
     * with the kept half ({@link ContextSplit}), and the base is {@link ContextStandardNormal} on the final x, with (base
     * "diag", glow's default) a learned class-conditional diagonal Gaussian top prior before it: a last affine coupling
     * whose conditioner is linear in c alone. Layer for layer it is the unconditional preset; {@code context = 0} is
     * {@link #build(String, Backend, int[], Options)}.
     *
     * @param name    the preset, one of {@link #NAMES}
     * @param be      the backend the flow lives on
     * @param chw     the image shape {@code [C, H, W]}
     * @param o       levels, steps, width and the other options (defaults where zero or null)
     * @param context entries of the context (0: unconditional)
     * @return a fresh image flow over rows of {@code C·H·W + context} values
     * @throws UnknownNameException for an unknown preset, conditioner, pre-processing or base name, or a base other than
     *         the standard normal for a conditional flow
     * @throws ShapeException when the image size does not allow the requested levels, or for a negative context
     */
    public static Flow build(String name, Backend be, int[] chw, Options o, int context) {
        if (context < 0) throw new ShapeException("image presets: the context cannot have " + context + " entries");
        String preset = name == null ? "" : name.toLowerCase(Locale.ROOT);
        if (!NAMES.contains(preset))
            throw new UnknownNameException("unknown image flow preset '" + name + "' (known: " + String.join(", ", NAMES) + ")");
        if (chw == null || chw.length != 3 || chw[0] < 1 || chw[1] < 1 || chw[2] < 1)
            throw new ShapeException("image presets need an image shape [C, H, W] with positive extents, got " + Arrays.toString(chw));
        boolean glow = preset.equals("glow");
        int max = maxLevels(chw[1], chw[2]);
        if (max < 1)
            throw new ShapeException(preset + ": images of " + chw[1] + "×" + chw[2] + " cannot be squeezed (height and width must be even)");
        int levels = o.levels() > 0 ? o.levels() : Math.min(3, max);
        if (levels > max)
            throw new ShapeException(preset + ": " + levels + " levels need height and width divisible by 2^" + levels + "; "
                    + chw[1] + "×" + chw[2] + " allows at most " + max + " level" + (max == 1 ? "" : "s"));
        if (glow && chw[0] * 4 < 2) throw new ShapeException("glow: needs at least 2 channels after the first squeeze");
        int k = o.stepsPerLevel() > 0 ? o.stepsPerLevel() : (glow ? 4 : 3);
        int width = o.width() > 0 ? o.width() : 64;
        String cond = o.conditioner() != null ? o.conditioner().toLowerCase(Locale.ROOT) : (glow ? "glow" : "resnet");
        if (!cond.equals("glow") && !cond.equals("glow_actnorm") && !cond.equals("resnet"))
            throw new UnknownNameException("unknown conditioner '" + o.conditioner() + "' (known: glow, glow_actnorm, resnet)");
        int blocks = o.blocks() > 0 ? o.blocks() : 1;
        CouplingScale scale = o.scale() != null ? o.scale() : (glow ? CouplingScale.SIGMOID : CouplingScale.SOFTCLAMP);
        float clamp = o.clamp() > 0 ? o.clamp() : 2f;
        String pre = o.preprocess() != null ? o.preprocess().toLowerCase(Locale.ROOT) : "logit";
        float lambda = o.lambda() >= 0 ? o.lambda() : 0.05f;
        String baseName = o.base() != null ? o.base().toLowerCase(Locale.ROOT) : (glow ? "diag" : "normal");
        if (context > 0 && !List.of("normal", "std", "std_normal", "diag", "diag_normal").contains(baseName))
            throw new UnknownNameException(preset + " conditional on a context: the top prior is N(0, I) on x ('normal') or the learned "
                    + "class-conditional diagonal Gaussian ('diag'), not '" + o.base() + "'");
        SplittableRandom rng = new SplittableRandom(o.seed());

        List<Transform> ts = new ArrayList<>();
        int[] shape = chw.clone();
        switch (pre) {
            case "logit" -> ts.add(carry(be, new LogitPreprocess(be, shape, lambda), context));
            case "none" -> { }
            default -> throw new UnknownNameException("unknown image pre-processing '" + o.preprocess() + "' (known: logit, none)");
        }
        for (int l = 0; l < levels; l++) {
            if (glow) {
                Squeeze sq = new Squeeze(be, shape);
                ts.add(carry(be, sq, context));
                shape = sq.outputShape();
                for (int s = 0; s < k; s++) {
                    ts.add(carry(be, new ActNorm(be, shape), context));
                    ts.add(carry(be, new InvertibleConv1x1(be, shape, rng.nextLong()), context));
                    ts.add(coupling(be, shape, context, ImageAffineCoupling.CHANNEL, s % 2, scale, clamp, cond, width, blocks, rng));
                }
            } else {
                for (int s = 0; s < k; s++)
                    ts.add(coupling(be, shape, context, ImageAffineCoupling.CHECKERBOARD, s % 2, scale, clamp, cond, width, blocks, rng));
                Squeeze sq = new Squeeze(be, shape);
                ts.add(carry(be, sq, context));
                shape = sq.outputShape();
                for (int s = 0; s < k; s++)
                    ts.add(coupling(be, shape, context, ImageAffineCoupling.CHANNEL, s % 2, scale, clamp, cond, width, blocks, rng));
            }
            if (l < levels - 1) {
                Split sp = new Split(be, shape, glow ? Split.CONDITIONAL : Split.STANDARD, rng);
                ts.add(context > 0 ? new ContextSplit(be, sp, context) : sp);
                shape = sp.outputShape();
            }
        }
        if (context > 0) {
            int dz = shape[0] * shape[1] * shape[2];
            if (baseName.startsWith("diag")) ts.add(contextPrior(be, dz, context, rng));
            return new Flow(be, new ContextStandardNormal(be, dz, context), ts);
        }
        BaseDistribution base = switch (baseName) {
            case "normal", "std", "std_normal" -> new StandardNormal(be, shape);
            case "diag", "diag_normal" -> new DiagonalGaussian(be, shape);
            default -> throw new UnknownNameException("unknown base distribution '" + o.base() + "' (known: normal, diag)");
        };
        return new Flow(be, base, ts);
    }

    /**
     * The learned class-conditional top prior of a conditional image flow (Glow's): {@code z ~ N(μ(c), diag σ(c)²)} on the
     * last level's {@code dz} entries, written as a last affine coupling on rows {@code [z | c]} whose conditioner sees
     * only c and has no hidden layer, so log-scale and shift are linear in c ({@code z' = z·s(c) + t(c)}, then the
     * {@link ContextStandardNormal} base: {@code μ = −t/s}, {@code σ = 1/s}, softclamped log-scale). Zero-initialised: it
     * starts as N(0, I).
     */
    private static Transform contextPrior(Backend be, int dz, int context, SplittableRandom rng) {
        int[] a = new int[context], b = new int[dz];
        for (int j = 0; j < context; j++) a[j] = dz + j;
        for (int j = 0; j < dz; j++) b[j] = j;
        return new AffineCoupling(be, dz + context, a, b, new int[0], Activation.IDENTITY, CouplingScale.SOFTCLAMP, 2f, rng);
    }

    /** The layer itself, or, in a conditional flow, the layer on x with the context carried beside it. */
    private static Transform carry(Backend be, Transform t, int context) { return context > 0 ? new ContextCarry(be, t, context) : t; }

    /** An affine image coupling, conditional on the context when there is one. */
    private static Transform coupling(Backend be, int[] shape, int context, String mask, int parity, CouplingScale scale, float clamp,
                                      String cond, int width, int blocks, SplittableRandom rng) {
        return context > 0 ? new ConditionalImageAffineCoupling(be, shape, context, mask, parity, scale, clamp, cond, width, blocks, rng)
                           : new ImageAffineCoupling(be, shape, mask, parity, scale, clamp, cond, width, blocks, rng);
    }
}
