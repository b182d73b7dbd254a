package dev.fluvia.transforms.image;

import dev.fluvia.backend.Backend;
import dev.fluvia.backend.CouplingScale;
import dev.fluvia.backend.Scope;
import dev.fluvia.nn.ConvConditioner;
import dev.fluvia.param.Param;
import dev.fluvia.param.ParamSource;
import dev.fluvia.param.Stash;
import dev.fluvia.tensor.Tensor;
import dev.fluvia.transforms.Transform;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The affine image coupling of {@link ImageAffineCoupling} with a context: a layer of a conditional image flow over rows
 * {@code [x | c]} ({@code D = C·H·W} image values, then {@code K} context values; docs/FLOWS.md "Conditional flows in
 * Fluvia"). The convolutional conditioner sees the conditioning part of x (channel or checkerboard mask, as
 * {@link ImageAffineCoupling}) with the context appended as {@code K} constant planes (channel {@code j} of them is
 * {@code c_j} at every pixel), so {@code y_b = x_b·s(x_a, c) + t(x_a, c)} (softclamp; sigmoid: {@code (x_b + t)·s}),
 * {@code y_a = x_a}, {@code c} unchanged, log-det {@code Σ_b log s}. The vector coupling ops run on the rows themselves
 * (the transformed positions are all {@code < D}); the backward returns {@code ∂L/∂c} too (through the planes).
 * The conditioner ends in a zero-initialised convolution, so the layer starts as the identity.
 */
public final class ConditionalImageAffineCoupling implements Transform {
    /** The layer kind in checkpoints. */
    public static final String KIND = "conditional_image_affine_coupling";

    private final Backend be;
    private final ImageCouplingMask m;
    private final ContextRows rows;
    private final CouplingScale scale;
    private final float clamp;
    private final ConvConditioner net;

    /**
     * @param shape   the image's shape [C, H, W]
     * @param context entries of c (≥ 1)
     * @param mask    "channel" or "checkerboard"
     * @param parity  0 or 1 (which half conditions)
     * @param net     conditioner type ("glow", "glow_actnorm" or "resnet"), width and residual blocks (resnet only)
     */
    public ConditionalImageAffineCoupling(Backend be, int[] shape, int context, String mask, int parity, CouplingScale scale, float clamp,
                                          String net, int width, int blocks, SplittableRandom rng) {
        this(ParamSource.fresh(be), be, shape, context, mask, parity, scale, clamp, net, width, blocks, rng);
    }

    /** @param src where the conditioner's parameters come from (a stored source draws nothing from {@code rng}, which may then be null) */
    public ConditionalImageAffineCoupling(ParamSource src, Backend be, int[] shape, int context, String mask, int parity, CouplingScale scale,
                                          float clamp, String net, int width, int blocks, SplittableRandom rng) {
        this.be = be;
        this.rows = new ContextRows(be, KIND, ImageEvents.image(KIND, shape), context);
        this.m = new ImageCouplingMask(be, KIND, shape, mask, parity, 2, context);
        if (!(clamp > 0)) throw new IllegalArgumentException(KIND + ": clamp must be > 0, got " + clamp);
        this.scale = scale;
        this.clamp = clamp;
        this.net = ConvConditioner.create(src, be, "net.", net, m.condChannels + context, width, blocks, m.outChannels, rng);
    }

    /** The image's shape [C, H, W]. */
    public int[] imageShape() { return m.shape.clone(); }
    /** Entries of the context c. */
    public int context() { return m.context; }
    /** "channel" or "checkerboard". */
    public String mask() { return m.mask; }
    /** Which half conditions (0 or 1). */
    public int parity() { return m.parity; }
    /** How the raw scale becomes s (softclamp or sigmoid). */
    public CouplingScale scale() { return scale; }
    /** The soft-clamp constant. */
    public float clamp() { return clamp; }
    /** The conditioner (type, width, blocks); its input has {@code K} context channels after the conditioning ones. */
    public ConvConditioner net() { return net; }

    @Override public String kind() { return KIND; }
    @Override public int[] eventShape() { return rows.rowShape(); }
    @Override public List<Param> params() { return net.params(); }

    /** Data-dependent initialisation of the conditioner (Glow's inner ActNorms) from the first batch of rows. */
    @Override public void initialize(Tensor x) {
        rows.check("initialize", x);
        try (Scope s = be.scope()) {
            net.initialize(m.condInputRows(x));
        }
    }

    @Override public Tensor forward(Tensor x, Tensor ld, Stash stash) {
        rows.check("forward", x);
        Tensor cond = m.condInputRows(x);
        Tensor hh = m.gatherOut(net.forward(cond, stash, "net"));
        Tensor y = be.alloc(x.shape());
        be.coupling().affineCouplingForward(x, hh, m.bIdx, scale, clamp, y, ld);
        stash.put("cond", cond);
        stash.put("h", hh);
        return y;
    }

    @Override public Tensor inverse(Tensor y, Tensor ld) {
        rows.check("inverse", y);
        Tensor hh = m.gatherOut(net.forward(m.condInputRows(y), Stash.none(), "net"));  // y_a = x_a, c unchanged
        Tensor x = be.alloc(y.shape());
        be.coupling().affineCouplingInverse(y, hh, m.bIdx, scale, clamp, x, ld);
        return x;
    }

    @Override public Tensor backward(Tensor x, Tensor gy, Tensor gLd, Stash stash) {
        rows.check("backward", x);
        rows.check("backward (gy)", gy);
        if (stash.get("h") == null) {  // recompute mode: one conditioner pass, kept for this backward only
            stash = new Stash(true);
            Tensor cond = m.condInputRows(x);
            stash.put("cond", cond);
            stash.put("h", m.gatherOut(net.forward(cond, stash, "net")));
        }
        Tensor cond = stash.get("cond"), hh = stash.get("h");
        Tensor gx = be.alloc(x.shape()), gh = be.alloc(hh.shape());
        be.coupling().affineCouplingBackward(x, hh, m.bIdx, scale, clamp, gy, gLd, gx, gh);
        m.addCondGradRows(net.backward(cond, m.scatterOutGrad(gh), stash, "net"), gx);
        return gx;
    }
}
