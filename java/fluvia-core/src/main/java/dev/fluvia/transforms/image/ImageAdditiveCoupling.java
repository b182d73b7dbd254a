package dev.fluvia.transforms.image;

import dev.fluvia.backend.Backend;
import dev.fluvia.backend.Scope;
import dev.fluvia.nn.ConvConditioner;
import dev.fluvia.param.Param;
import dev.fluvia.param.ParamSource;
import dev.fluvia.tensor.Tensor;
import dev.fluvia.transforms.Masks;
import dev.fluvia.param.Stash;
import dev.fluvia.transforms.Transform;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Additive coupling on images (NICE, FLOWS.md): the additive counterpart of {@link ImageAffineCoupling}, run by the
 * vector additive-coupling ops on flattened images {@code [N, C·H·W]} ({@link Backend#view}).
 * {@code y_b = x_b + m(x_a)}, {@code y_a = x_a}, log-det 0. Masks:
 * <ul>
 *   <li>{@code "channel"}: with s = ⌊C/2⌋, parity 0 conditions on channels [0, s) and transforms [s, C); parity 1 the
 *       other way round. The conditioner maps the conditioning channels to the {@code |b|} channels of the shift m.</li>
 *   <li>{@code "checkerboard"}: parity p conditions on the pixels with (h + w) mod 2 = p (all channels) and transforms the
 *       others. The conditioner sees {@code x ⊙ mask} as a full image and outputs C channels; the shift is its output at
 *       the transformed positions.</li>
 * </ul>
 * The conditioner ({@link ConvConditioner}) ends in a zero-initialised convolution, so the layer starts as the identity.
 */
public final class ImageAdditiveCoupling implements Transform {
    public static final String KIND = "image_additive_coupling";
    public static final String CHANNEL = ImageCouplingMask.CHANNEL, CHECKERBOARD = ImageCouplingMask.CHECKERBOARD;

    private final Backend be;
    private final ImageCouplingMask m;
    private final ConvConditioner net;

    /**
     * @param shape  event shape [C, H, W]
     * @param mask   "channel" or "checkerboard"
     * @param parity 0 or 1 (which half conditions)
     * @param net    conditioner type ("glow", "glow_actnorm" or "resnet"), width and residual blocks (resnet only)
     */
    public ImageAdditiveCoupling(Backend be, int[] shape, String mask, int parity, String net, int width, int blocks,
                                 SplittableRandom rng) {
        this(ParamSource.fresh(be), be, shape, mask, parity, net, width, blocks, rng);
    }

    /** @param src where the conditioner's parameters come from (a stored source draws nothing from {@code rng}, which may then be null) */
    public ImageAdditiveCoupling(ParamSource src, Backend be, int[] shape, String mask, int parity, String net, int width, int blocks,
                                 SplittableRandom rng) {
        this.be = be;
        this.m = new ImageCouplingMask(be, KIND, shape, mask, parity, 1);
        this.net = ConvConditioner.create(src, be, "net.", net, m.condChannels, width, blocks, m.outChannels, rng);
    }

    /** "channel" or "checkerboard". */
    public String mask() { return m.mask; }
    /** Which half conditions (0 or 1). */
    public int parity() { return m.parity; }
    /** The conditioner (type, width, blocks). */
    public ConvConditioner net() { return net; }

    @Override public String kind() { return KIND; }
    @Override public int[] eventShape() { return m.shape.clone(); }
    @Override public List<Param> params() { return net.params(); }

    /** Data-dependent initialisation of the conditioner (Glow's inner ActNorms) from the first batch x. */
    @Override public void initialize(Tensor x) {
        ImageEvents.check(KIND, "initialize", x, m.shape);
        try (Scope s = be.scope()) {
            net.initialize(m.condInput(x));
        }
    }

    @Override public Tensor forward(Tensor x, Tensor ld, Stash stash) {
        ImageEvents.check(KIND, "forward", x, m.shape);
        Tensor cond = m.condInput(x);
        Tensor shift = m.gatherOut(net.forward(cond, stash, "net"));
        Tensor y = be.alloc(x.shape());
        be.additiveCouplingForward(m.flat(x), shift, m.bIdx, m.flat(y));  // log-det 0: ld unchanged
        stash.put("cond", cond);
        return y;
    }

    @Override public Tensor inverse(Tensor y, Tensor ld) {
        ImageEvents.check(KIND, "inverse", y, m.shape);
        Tensor shift = m.gatherOut(net.forward(m.condInput(y), Stash.none(), "net"));  // y_a = x_a
        Tensor x = be.alloc(y.shape());
        be.additiveCouplingInverse(m.flat(y), shift, m.bIdx, m.flat(x));
        return x;
    }

    @Override public Tensor backward(Tensor x, Tensor gy, Tensor gLd, Stash stash) {
        ImageEvents.check(KIND, "backward", x, m.shape);
        ImageEvents.check(KIND, "backward (gy)", gy, m.shape);
        Tensor cond = stash.get("cond");
        if (cond == null) cond = m.condInput(x);  // recompute mode: the conditioner's backward reruns its forward from cond
        // ∂y/∂x = I apart from the conditioner: gx = gy, plus ∂L/∂m = gy_b through the conditioner into x_a
        Tensor gx = be.alloc(x.shape());
        be.copy(gy, gx);
        Tensor gm = be.alloc(x.dim(0), m.bPos.length);
        be.gather(m.flat(gy), m.bIdx, gm);
        m.addCondGrad(net.backward(cond, m.scatterOutGrad(gm), stash, "net"), gx);
        return gx;
    }

}
