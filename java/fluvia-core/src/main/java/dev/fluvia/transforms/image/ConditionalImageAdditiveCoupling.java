package dev.fluvia.transforms.image;

import dev.fluvia.backend.Backend;
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
 * The additive image coupling of {@link ImageAdditiveCoupling} with a context, on rows {@code [x | c]} as
 * {@link ConditionalImageAffineCoupling}: {@code y_b = x_b + m(x_a, c)}, {@code y_a = x_a}, {@code c} unchanged, log-det 0;
 * the conditioner sees the conditioning part of x with the context appended as {@code K} constant planes.
 */
public final class ConditionalImageAdditiveCoupling implements Transform {
    /** The layer kind in checkpoints. */
    public static final String KIND = "conditional_image_additive_coupling";

    private final Backend be;
    private final ImageCouplingMask m;
    private final ContextRows rows;
    private final ConvConditioner net;

    /**
     * @param shape   the image's shape [C, H, W]
     * @param context entries of c (≥ 1)
     * @param mask    "channel" or "checkerboard"
     * @param parity  0 or 1 (which half conditions)
     * @param net     conditioner type ("glow", "glow_actnorm" or "resnet"), width and residual blocks (resnet only)
     */
    public ConditionalImageAdditiveCoupling(Backend be, int[] shape, int context, String mask, int parity, String net, int width, int blocks,
                                            SplittableRandom rng) {
        this(ParamSource.fresh(be), be, shape, context, mask, parity, net, width, blocks, rng);
    }

    /** @param src where the conditioner's parameters come from (a stored source draws nothing from {@code rng}, which may then be null) */
    public ConditionalImageAdditiveCoupling(ParamSource src, Backend be, int[] shape, int context, String mask, int parity, String net,
                                            int width, int blocks, SplittableRandom rng) {
        this.be = be;
        this.rows = new ContextRows(be, KIND, ImageEvents.image(KIND, shape), context);
        this.m = new ImageCouplingMask(be, KIND, shape, mask, parity, 1, context);
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
        Tensor shift = m.gatherOut(net.forward(cond, stash, "net"));
        Tensor y = be.alloc(x.shape());
        be.coupling().additiveCouplingForward(x, shift, m.bIdx, y);  // log-det 0: ld unchanged
        stash.put("cond", cond);
        return y;
    }

    @Override public Tensor inverse(Tensor y, Tensor ld) {
        rows.check("inverse", y);
        Tensor shift = m.gatherOut(net.forward(m.condInputRows(y), Stash.none(), "net"));
        Tensor x = be.alloc(y.shape());
        be.coupling().additiveCouplingInverse(y, shift, m.bIdx, x);
        return x;
    }

    @Override public Tensor backward(Tensor x, Tensor gy, Tensor gLd, Stash stash) {
        rows.check("backward", x);
        rows.check("backward (gy)", gy);
        Tensor cond = stash.get("cond");
        if (cond == null) cond = m.condInputRows(x);  // recompute mode: the conditioner's backward reruns its forward from cond
        Tensor gx = be.alloc(x.shape());
        be.copy(gy, gx);
        Tensor gm = be.alloc(x.dim(0), m.bPos.length);
        be.coupling().gather(gy, m.bIdx, gm);
        m.addCondGradRows(net.backward(cond, m.scatterOutGrad(gm), stash, "net"), gx);
        return gx;
    }
}
