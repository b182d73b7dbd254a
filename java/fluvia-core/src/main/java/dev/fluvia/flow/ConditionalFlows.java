package dev.fluvia.flow;

import dev.fluvia.FluviaException;
import dev.fluvia.FluviaException.ShapeException;
import dev.fluvia.backend.Activation;
import dev.fluvia.backend.Backend;
import dev.fluvia.backend.CouplingScale;
import dev.fluvia.distributions.ContextStandardNormal;
import dev.fluvia.param.ParamSource;
import dev.fluvia.tensor.Tensor;
import dev.fluvia.transforms.AdditiveCoupling;
import dev.fluvia.transforms.ActNorm;
import dev.fluvia.transforms.AffineCoupling;
import dev.fluvia.transforms.FactorOut;
import dev.fluvia.transforms.Iaf;
import dev.fluvia.transforms.InvertibleLinear;
import dev.fluvia.transforms.Maf;
import dev.fluvia.transforms.Masks;
import dev.fluvia.transforms.RqSplineAutoregressive;
import dev.fluvia.transforms.RqSplineCoupling;
import dev.fluvia.transforms.Standardize;
import dev.fluvia.transforms.Transform;
import dev.fluvia.transforms.image.ContextCarry;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Conditional flows {@code p(x | c)} (docs/FLOWS.md "Conditional flows in Fluvia"): a {@link Flow} over the concatenation
 * {@code [x | c]} whose layers transform only the {@code x} entries, with the context {@code c} among every conditioner's
 * inputs, on the {@link ContextStandardNormal} base (no density on {@code c}). Its log-prob is {@code log p(x | c)}; it
 * trains with the ordinary NLL on the concatenated rows. This class builds such flows ({@link #build}: every tabular
 * preset with a conditioner) and scores and samples them from separate data and context arrays.
 *
 * <p>How each conditioner takes {@code c}: a coupling layer ({@code realnvp}, {@code nice}, {@code spline}) has the
 * context among its conditioning dims {@code a} (so its MLP sees {@code [x_a | c]}) and transforms only x dims;
 * an autoregressive layer ({@code maf}, {@code iaf}, {@code spline-ar}) has a MADE with {@code c} as inputs of degree 0
 * (seen by every hidden unit, never transformed). Conditional {@code nice} ends with an affine coupling whose conditioner
 * sees only {@code c} (a context-dependent diagonal scale) in place of NICE's fixed diagonal scale, which would scale
 * {@code c} too. Conditional {@code glow} wraps its ActNorm and invertible linear layers, which would mix c into x, in
 * {@link ContextCarry} (they act on x alone, c is carried beside it) and its affine couplings take c as above. Presets
 * without a conditioner (planar, radial, sylvester, mixcdf, the element-wise layers) are refused with
 * {@link NoConditionerException}.
 *
 * <p>Images: {@link #image} makes the image presets ({@code glow}, {@code realnvp}) conditional on the same row
 * convention, {@code [x | c]} with x the flattened image; the couplings' convolutional conditioners see c as constant
 * planes, every other layer (ActNorm, invertible 1×1 convolution, squeeze, split, pre-processing) acts on x alone and
 * carries c beside it ({@link ImagePresets#build(String, Backend, int[], ImagePresets.Options, int)}). Those flows are
 * multi-scale; {@link #logProb} and {@link #sample} handle their split layers.
 */
public final class ConditionalFlows {
    private ConditionalFlows() {}

    /** The presets {@link #build} makes conditional. */
    public static final List<String> NAMES = List.of("realnvp", "nice", "glow", "maf", "iaf", "spline", "spline-ar");

    /** A conditional flow was asked of a preset whose layers have no conditioner to feed the context to. */
    public static final class NoConditionerException extends FluviaException {
        /**
         * A refusal naming the flow.
         * @param message what went wrong, naming the flow
         */
        public NoConditionerException(String message) { super(message); }
    }

    /**
     * A conditional flow {@code p(x | c)} of the named preset (sizes and defaults as {@link Presets#build}; the base is
     * always {@link ContextStandardNormal}).
     * @param name    the preset, one of {@link #NAMES}
     * @param be      the backend the flow's parameters and every call live on
     * @param dim     dims of x (≥ 1; ≥ 2 for the coupling presets, whose masks split x)
     * @param context dims of c (≥ 1)
     * @param o       sizes, activation, scale, clamp and seed (zero or null fields take the preset's defaults)
     * @param mean    per-dim mean of x for a standardisation layer on x (c is left as given), or null
     * @param std     per-dim standard deviation of x for that layer (with {@code mean}), or null
     * @return a fresh conditional flow over rows {@code [x | c]} of width {@code dim + context}
     * @throws NoConditionerException for a preset without a conditioner
     */
    public static Flow build(String name, Backend be, int dim, int context, PresetOptions o, float[] mean, float[] std) {
        if (!NAMES.contains(name)) {
            if (Presets.NAMES.contains(name))
                throw new NoConditionerException("flow '" + name + "' has no conditioner to take a context"
                        + "; conditional flows: " + String.join(", ", NAMES));
            throw Presets.unknown(name);
        }
        if (dim < 1 || context < 1) throw new ShapeException("conditional flow: needs dim >= 1 and context >= 1, got " + dim + ", " + context);
        if (o.base() != null && !Arrays.asList("normal", "std", "std_normal").contains(o.base()))
            throw new NoConditionerException("conditional flow: the base is N(0, I) on x (" + ContextStandardNormal.KIND + "), not '" + o.base() + "'");
        int[] d = Presets.defaults(name);
        int layers = o.layers() > 0 ? o.layers() : d[0];
        int width = o.hidden() > 0 ? o.hidden() : d[1];
        int depth = o.depth() > 0 ? o.depth() : d[2];
        Activation act = o.activation() != null ? o.activation() : Activation.RELU;
        CouplingScale scale = o.scale() != null ? o.scale() : CouplingScale.SOFTCLAMP;
        float clamp = o.clamp() > 0 ? o.clamp() : 2f;
        int[] hidden = new int[depth];
        Arrays.fill(hidden, width);
        if (name.equals("spline"))
            return splineCoupling(be, dim, context, layers, hidden, act, RqSplineCoupling.DEFAULT_BINS, RqSplineCoupling.DEFAULT_BOUND, o.seed(), mean, std);
        SplittableRandom rng = new SplittableRandom(o.seed());
        int w = dim + context;
        List<Transform> ts = new ArrayList<>();
        Standardize st = standardizeX(be, dim, context, mean, std);
        if (st != null) ts.add(st);
        int[] ctx = new int[context], all = new int[dim];
        for (int j = 0; j < context; j++) ctx[j] = dim + j;
        for (int j = 0; j < dim; j++) all[j] = j;
        switch (name) {
            case "realnvp", "nice" -> {
                for (int l = 0; l < layers; l++) {
                    int[][] ab = couplingSplit(dim, context, l);
                    ts.add(name.equals("realnvp") ? new AffineCoupling(be, w, ab[0], ab[1], hidden, act, scale, clamp, rng)
                                                  : new AdditiveCoupling(be, w, ab[0], ab[1], hidden, act, rng));
                }
                if (name.equals("nice")) ts.add(new AffineCoupling(be, w, ctx, all, hidden, act, CouplingScale.SOFTCLAMP, clamp, rng));
            }
            case "glow" -> {
                // ActNorm and the invertible linear act on x alone, c carried beside it; the coupling's MLP sees [x_a | c]
                int[][] ab = couplingSplit(dim, context, 0);  // the learned linear mixes dims; the split can stay fixed
                for (int l = 0; l < layers; l++) {
                    ts.add(new ContextCarry(be, new ActNorm(be, dim), context));
                    ts.add(new ContextCarry(be, new InvertibleLinear(be, dim, rng.nextLong()), context));
                    ts.add(new AffineCoupling(be, w, ab[0], ab[1], hidden, act, scale, clamp, rng));
                }
            }
            case "maf", "iaf" -> {
                int[] order = Maf.naturalOrder(dim);
                for (int l = 0; l < layers; l++) {
                    Maf maf = new Maf(ParamSource.fresh(be), be, order, context, hidden, act, clamp, null, rng);
                    ts.add(name.equals("maf") ? maf : new Iaf(be, maf));
                    order = Maf.reversedOrder(order);
                }
            }
            case "spline-ar" -> {
                int[] order = Maf.naturalOrder(dim);
                for (int l = 0; l < layers; l++) {
                    ts.add(new RqSplineAutoregressive(ParamSource.fresh(be), be, order, context, hidden, act, RqSplineCoupling.DEFAULT_BINS,
                            RqSplineCoupling.DEFAULT_BOUND, null, rng));
                    order = Maf.reversedOrder(order);
                }
            }
            default -> throw Presets.unknown(name);
        }
        return new Flow(be, new ContextStandardNormal(be, dim, context), ts);
    }

    /**
     * A conditional multi-scale image flow {@code p(x | c)} for images of shape {@code chw = [C, H, W]}: the image
     * preset {@code name} ({@code glow} or {@code realnvp}, {@link ImagePresets}) over rows {@code [x | c]}, x the
     * flattened image (in [0, 1] for the default logit pre-processing), c a context of {@code context} entries, on the
     * {@link ContextStandardNormal} base. See {@link ImagePresets#build(String, Backend, int[], ImagePresets.Options, int)}.
     * @param name    the image preset: {@code glow} or {@code realnvp}
     * @param be      the backend the flow lives on
     * @param chw     the image shape {@code [C, H, W]}
     * @param context dims of c (≥ 1)
     * @param o       levels, steps, width and the other image-preset options
     * @return a fresh conditional image flow over rows {@code [x | c]} of width {@code C·H·W + context}
     * @throws ShapeException for a context of fewer than 1 entry, or an image size the levels do not fit
     */
    public static Flow image(String name, Backend be, int[] chw, int context, ImagePresets.Options o) {
        if (context < 1) throw new ShapeException("conditional image flow: needs a context of >= 1 entries, got " + context);
        return ImagePresets.build(name, be, chw, o, context);
    }

    /**
     * Coupling layer l's split of a row {@code [x | c]}: conditioning dims {@code x_a ∪ c}, transformed dims {@code x_b}.
     * @param dim     dims of x
     * @param context dims of c (the row's trailing entries)
     * @param l       the layer's index (the x mask alternates with it)
     * @return {@code {a, b}}: the conditioning row indices (x_a then every c index) and the transformed ones (x_b)
     */
    public static int[][] couplingSplit(int dim, int context, int l) {
        int[] xa, xb;
        if (dim == 1) { xa = new int[0]; xb = new int[] {0}; }
        else { int[][] m = Masks.alternating(dim, l); xa = m[0]; xb = m[1]; }
        int[] a = new int[xa.length + context];
        System.arraycopy(xa, 0, a, 0, xa.length);
        for (int j = 0; j < context; j++) a[xa.length + j] = dim + j;
        return new int[][] {a, xb};
    }

    private static Standardize standardizeX(Backend be, int dim, int context, float[] mean, float[] std) {
        if (mean == null) return null;
        if (mean.length != dim || std == null || std.length != dim)
            throw new ShapeException("conditional flow: mean/std need " + dim + " entries");
        int w = dim + context;
        float[] m = new float[w], s = new float[w];
        Arrays.fill(s, 1f);
        System.arraycopy(mean, 0, m, 0, dim);
        System.arraycopy(std, 0, s, 0, dim);
        return new Standardize(be, m, s);
    }

    /**
     * A conditional rational-quadratic spline coupling flow.
     * @param be       the backend the flow lives on
     * @param dim      dims of x (≥ 1)
     * @param context  dims of c (≥ 1)
     * @param layers   spline coupling layers (≥ 1)
     * @param hidden   hidden widths of each conditioner MLP
     * @param act      the conditioners' hidden activation
     * @param bins     spline bins per transformed dim
     * @param bound    the spline box half-width B (linear tails outside [−B, B])
     * @param seed     the initialisation seed
     * @param mean     per-dim mean of x for a standardisation layer on x (c is left as given), or null
     * @param std      per-dim standard deviation of x for that layer (with {@code mean}), or null
     * @return a fresh conditional spline coupling flow over rows {@code [x | c]}
     * @throws IllegalArgumentException for dim, context or layers below 1
     */
    public static Flow splineCoupling(Backend be, int dim, int context, int layers, int[] hidden, Activation act, int bins,
                                      double bound, long seed, float[] mean, float[] std) {
        if (dim < 1 || context < 1) throw new IllegalArgumentException("conditional flow: needs dim >= 1 and context >= 1, got " + dim + ", " + context);
        if (layers < 1) throw new IllegalArgumentException("conditional flow: layers must be >= 1, got " + layers);
        SplittableRandom rng = new SplittableRandom(seed);
        int w = dim + context;
        List<Transform> ts = new ArrayList<>();
        Standardize st = standardizeX(be, dim, context, mean, std);
        if (st != null) ts.add(st);
        for (int l = 0; l < layers; l++) {
            int[][] ab = couplingSplit(dim, context, l);
            ts.add(new RqSplineCoupling(be, w, ab[0], ab[1], hidden, act, bins, bound, rng));
        }
        return new Flow(be, new ContextStandardNormal(be, dim, context), ts);
    }

    /**
     * The context split of a conditional flow's base; a typed error for a flow that is not conditional.
     * @param f a flow
     * @return its base, which knows the widths of x's latent and of c
     * @throws ShapeException when {@code f} is not conditional
     */
    public static ContextStandardNormal base(Flow f) {
        if (!(f.base() instanceof ContextStandardNormal b))
            throw new ShapeException("not a conditional flow: its base is '" + f.base().kind() + "', not '" + ContextStandardNormal.KIND + "'");
        return b;
    }

    /**
     * Rows {@code [x_n | c_n]} from {@code x [n, dim]} and {@code c [n, context]} (row-major).
     * @param x       the data, {@code n·dim} values
     * @param dim     dims of x
     * @param c       the context, {@code n·context} values
     * @param context dims of c
     * @param n       rows
     * @return {@code n·(dim + context)} values, row-major
     * @throws ShapeException when x or c does not hold n rows
     */
    public static float[] join(float[] x, int dim, float[] c, int context, int n) {
        if (x.length != n * dim || c.length != n * context)
            throw new ShapeException("conditional flow: data has " + x.length + " values and context " + c.length + ", expected "
                    + n * dim + " and " + n * context + " for " + n + " rows");
        float[] out = new float[n * (dim + context)];
        for (int s = 0; s < n; s++) {
            System.arraycopy(x, s * dim, out, s * (dim + context), dim);
            System.arraycopy(c, s * context, out, s * (dim + context) + dim, context);
        }
        return out;
    }

    /**
     * The dims of x of a conditional flow: its rows' width less the context (the base's {@code dim} for a flow without
     * squeeze or split layers; the whole image's size for a multi-scale image flow, whose base holds only the last level).
     * @param f a conditional flow
     * @return the number of x entries per row
     * @throws ShapeException when {@code f} is not conditional
     */
    public static int dataDim(Flow f) { return f.eventSize() - base(f).context(); }

    /**
     * {@code log p(x_n | c_n)} per row, in nats.
     * @param f a conditional flow
     * @param x the data, {@code n·}{@link #dataDim} values, row-major
     * @param c the context, {@code n·context} values, row-major
     * @param n rows
     * @return n log-densities
     * @throws ShapeException for a flow that is not conditional or arrays that do not hold n rows
     */
    public static float[] logProb(Flow f, float[] x, float[] c, int n) {
        ContextStandardNormal b = base(f);
        return f.logProb(join(x, dataDim(f), c, b.context(), n), n);
    }

    /**
     * The same with the data and the context as tensors {@code [n, dim]} and {@code [n, context]}.
     * @param f a conditional flow
     * @param x the data {@code [n, dim]} on the flow's backend
     * @param c the context {@code [n, context]} on the flow's backend
     * @return {@code [n]} log-densities in nats
     * @throws ShapeException for a flow that is not conditional or row counts that differ
     */
    public static Tensor logProb(Flow f, Tensor x, Tensor c) {
        ContextStandardNormal b = base(f);
        Backend be = f.backend();
        int n = x.dim(0);
        if (c.dim(0) != n) throw new ShapeException("conditional flow: " + n + " data rows but " + c.dim(0) + " context rows");
        int dim = dataDim(f);
        return f.logProb(be.fromHost(join(be.toHost(x), dim, be.toHost(c), b.context(), n), n, dim + b.context()));
    }

    /**
     * One draw {@code x_n ~ p(x | c_n)} per context row; returns {@code [n, dim]} row-major ({@code dim} = {@link #dataDim}).
     * In a multi-scale flow each split layer draws its latent given the kept rows (which carry c) as {@link Flow#sample}
     * does, from the same per-layer seeds.
     * @param f           a conditional flow
     * @param c           the context, {@code n·context} values, row-major
     * @param n           draws (one per context row)
     * @param temperature the base's standard deviation scale (1 for the model's density)
     * @param seed        the draws' seed (the same seed gives the same draws on the same backend)
     * @return the draws, {@code n·dim} values, row-major
     * @throws ShapeException for a flow that is not conditional or a context that does not hold n rows
     */
    public static float[] sample(Flow f, float[] c, int n, float temperature, long seed) {
        ContextStandardNormal b = base(f);
        int zDim = b.dim(), context = b.context(), zw = zDim + context, dim = dataDim(f), w = dim + context;
        if (c.length != n * context) throw new ShapeException("conditional flow: context has " + c.length + " values, expected " + n * context);
        Backend be = f.backend();
        float[] z = be.toHost(b.sample(n, temperature, seed));
        for (int s = 0; s < n; s++) System.arraycopy(c, s * context, z, s * zw + zDim, context);
        Tensor cur = be.fromHost(z, n, zw), ld = be.alloc(n);
        List<Transform> ts = f.transforms();
        for (int k = ts.size() - 1; k >= 0; k--) {
            Transform t = ts.get(k);
            cur = t instanceof FactorOut fo ? fo.mergeDrawn(cur, temperature, Flow.latentSeed(seed, k), ld) : t.inverse(cur, ld);
        }
        float[] xc = be.toHost(cur);
        float[] x = new float[n * dim];
        for (int s = 0; s < n; s++) System.arraycopy(xc, s * w, x, s * dim, dim);
        return x;
    }
}
