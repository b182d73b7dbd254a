package dev.fluvia.transforms.image;

import dev.fluvia.backend.Backend;
import dev.fluvia.backend.CouplingScale;
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
 * Affine coupling on images (RealNVP / Glow), FLOWS.md, run by the vector coupling ops on flattened images
 * {@code [N, C·H·W]} ({@link Backend#view}). Masks:
 * <ul>
 *   <li>{@code "channel"}: with s = ⌊C/2⌋, parity 0 conditions on channels [0, s) and transforms [s, C); parity 1 the
 *       other way round. The conditioner maps the conditioning channels to {@code 2·|b|} channels (raw scale, then shift).</li>
 *   <li>{@code "checkerboard"}: parity p conditions on the pixels with (h + w) mod 2 = p (all channels) and transforms the
 *       others. The conditioner sees {@code x ⊙ mask} as a full image and outputs 2C channels (raw scale, then shift);
 *       the transformed positions of both are gathered.</li>
 * </ul>
 * The conditioner ({@link ConvConditioner}) ends in a zero-initialised convolution, so the layer starts as the identity.
 */
public final class ImageAffineCoupling implements Transform {
    public static final String KIND = "image_affine_coupling";
    public static final String CHANNEL = ImageCouplingMask.CHANNEL, CHECKERBOARD = ImageCouplingMask.CHECKERBOARD;

    private final Backend be;
    private final ImageCouplingMask m;
    private final CouplingScale scale;
    private final float clamp;
    private final ConvConditioner net;

    /**
     * @param mask  "channel" or "checkerboard"
     * @param net   conditioner type ("glow", "glow_actnorm" or "resnet"), width and residual blocks (resnet only)
     */
    public ImageAffineCoupling(Backend be, int[] shape, String mask, int parity, CouplingScale scale, float clamp,
                               String net, int width, int blocks, SplittableRandom rng) {
        this(ParamSource.fresh(be), be, shape, mask, parity, scale, clamp, net, width, blocks, rng);
    }

    /** @param src where the conditioner's parameters come from (a stored source draws nothing from {@code rng}, which may then be null) */
    public ImageAffineCoupling(ParamSource src, Backend be, int[] shape, String mask, int parity, CouplingScale scale, float clamp,
                               String net, int width, int blocks, SplittableRandom rng) {
        this.be = be;
        this.m = new ImageCouplingMask(be, KIND, shape, mask, parity, 2);
        if (!(clamp > 0)) throw new IllegalArgumentException(KIND + ": clamp must be > 0, got " + clamp);
        this.scale = scale;
        this.clamp = clamp;
        this.net = ConvConditioner.create(src, be, "net.", net, m.condChannels, width, blocks, m.outChannels, rng);
    }

    /** "channel" or "checkerboard". */
    public String mask() { return m.mask; }
    /** Which half conditions (0 or 1). */
    public int parity() { return m.parity; }
    public CouplingScale scale() { return scale; }
    public float clamp() { return clamp; }
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
        Tensor hh = m.gatherOut(net.forward(cond, stash, "net"));
        Tensor y = be.alloc(x.shape());
        be.affineCouplingForward(m.flat(x), hh, m.bIdx, scale, clamp, m.flat(y), ld);
        stash.put("cond", cond);
        stash.put("h", hh);
        return y;
    }

    @Override public Tensor inverse(Tensor y, Tensor ld) {
        ImageEvents.check(KIND, "inverse", y, m.shape);
        Tensor hh = m.gatherOut(net.forward(m.condInput(y), Stash.none(), "net"));  // y_a = x_a
        Tensor x = be.alloc(y.shape());
        be.affineCouplingInverse(m.flat(y), hh, m.bIdx, scale, clamp, m.flat(x), ld);
        return x;
    }

    @Override public Tensor backward(Tensor x, Tensor gy, Tensor gLd, Stash stash) {
        ImageEvents.check(KIND, "backward", x, m.shape);
        ImageEvents.check(KIND, "backward (gy)", gy, m.shape);
        if (stash.get("h") == null) {  // recompute mode: one conditioner pass, kept for this backward only
            stash = new Stash(true);
            Tensor cond = m.condInput(x);
            stash.put("cond", cond);
            stash.put("h", m.gatherOut(net.forward(cond, stash, "net")));
        }
        Tensor cond = stash.get("cond"), hh = stash.get("h");
        Tensor gx = be.alloc(x.shape()), gh = be.alloc(hh.shape());
        be.affineCouplingBackward(m.flat(x), hh, m.bIdx, scale, clamp, m.flat(gy), gLd, m.flat(gx), gh);
        m.addCondGrad(net.backward(cond, m.scatterOutGrad(gh), stash, "net"), gx);
        return gx;
    }

}
