package dev.fluvia.transforms.image;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fluvia.FluviaException.ShapeException;
import dev.fluvia.FluviaException.UnknownNameException;
import dev.fluvia.backend.Backend;
import dev.fluvia.backend.Scope;
import dev.fluvia.nn.ConvConditioner;
import dev.fluvia.nn.Param;
import dev.fluvia.tensor.Index;
import dev.fluvia.tensor.Tensor;
import dev.fluvia.transforms.Masks;
import dev.fluvia.transforms.Stash;
import dev.fluvia.transforms.Transform;
import java.util.Arrays;
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
    public static final String CHANNEL = ImageAffineCoupling.CHANNEL, CHECKERBOARD = ImageAffineCoupling.CHECKERBOARD;

    private final Backend be;
    private final int[] shape;
    private final int c, h, w, d;
    private final String mask;
    private final int parity;
    private final int[] aPos, bPos;
    private final Index aIdx, bIdx;
    private final int condChannels, outChannels;
    private final ConvConditioner net;

    /**
     * @param shape  event shape [C, H, W]
     * @param mask   "channel" or "checkerboard"
     * @param parity 0 or 1 (which half conditions)
     * @param net    conditioner type ("glow", "glow_actnorm" or "resnet"), width and residual blocks (resnet only)
     */
    public ImageAdditiveCoupling(Backend be, int[] shape, String mask, int parity, String net, int width, int blocks,
                                 SplittableRandom rng) {
        this.be = be;
        this.shape = ImageEvents.image(KIND, shape);
        this.c = shape[0];
        this.h = shape[1];
        this.w = shape[2];
        this.d = c * h * w;
        if (parity != 0 && parity != 1) throw new IllegalArgumentException(KIND + ": parity must be 0 or 1, got " + parity);
        this.mask = mask;
        this.parity = parity;
        int hw = h * w;
        switch (mask) {
            case CHANNEL -> {
                if (c < 2) throw new ShapeException(KIND + ": the channel mask needs at least 2 channels, got shape " + Arrays.toString(shape));
                int s = c / 2;
                int aLo = parity == 0 ? 0 : s, aHi = parity == 0 ? s : c, bLo = parity == 0 ? s : 0, bHi = parity == 0 ? c : s;
                aPos = range(aLo * hw, aHi * hw);
                bPos = range(bLo * hw, bHi * hw);
                condChannels = aHi - aLo;
                outChannels = bHi - bLo;
            }
            case CHECKERBOARD -> {
                if (hw < 2) throw new ShapeException(KIND + ": the checkerboard mask needs at least 2 pixels, got shape " + Arrays.toString(shape));
                int na = 0;
                for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) if ((y + x) % 2 == parity) na++;
                aPos = new int[na * c];
                bPos = new int[(hw - na) * c];
                int ia = 0, ib = 0;
                for (int ch = 0; ch < c; ch++)
                    for (int y = 0; y < h; y++)
                        for (int x = 0; x < w; x++) {
                            int p = (ch * h + y) * w + x;
                            if ((y + x) % 2 == parity) aPos[ia++] = p; else bPos[ib++] = p;
                        }
                condChannels = c;
                outChannels = c;
            }
            default -> throw new UnknownNameException(KIND + ": unknown mask '" + mask + "' (known: channel, checkerboard)");
        }
        this.aIdx = be.index(aPos);
        this.bIdx = be.index(bPos);
        this.net = ConvConditioner.create(be, "net.", net, condChannels, width, blocks, outChannels, rng);
    }

    private static int[] range(int lo, int hi) {
        int[] r = new int[hi - lo];
        for (int i = 0; i < r.length; i++) r[i] = lo + i;
        return r;
    }

    /** Rebuilds the layer from its checkpoint description (parameters are loaded afterwards by name). */
    public static ImageAdditiveCoupling fromConfig(Backend be, ObjectNode cfg) {
        ObjectNode cond = (ObjectNode) cfg.get("conditioner");
        return new ImageAdditiveCoupling(be, Masks.ints(cfg.get("shape")), cfg.get("mask").asText(), cfg.get("parity").asInt(),
                cond.get("type").asText(), cond.get("width").asInt(), cond.has("blocks") ? cond.get("blocks").asInt() : 0,
                new SplittableRandom(0));
    }

    @Override public String kind() { return KIND; }
    @Override public int[] eventShape() { return shape.clone(); }
    @Override public List<Param> params() { return net.params(); }

    /** Data-dependent initialisation of the conditioner (Glow's inner ActNorms) from the first batch x. */
    @Override public void initialize(Tensor x) {
        ImageEvents.check(KIND, "initialize", x, shape);
        try (Scope s = be.scope()) {
            net.initialize(condInput(x));
        }
    }

    private Tensor flat(Tensor t) { return be.view(t, t.dim(0), d); }

    /** The conditioner's input: the conditioning channels (channel mask) or x ⊙ mask as a full image (checkerboard). */
    private Tensor condInput(Tensor x) {
        int n = x.dim(0);
        Tensor xa = be.alloc(n, aPos.length);
        be.gather(flat(x), aIdx, xa);
        if (mask.equals(CHANNEL)) return be.view(xa, n, condChannels, h, w);
        Tensor full = be.alloc(n, c, h, w);
        be.scatterAdd(xa, aIdx, flat(full));
        be.release(xa);
        return full;
    }

    /** The shift m {@code [N, K]} of the b positions from the conditioner's output image. */
    private Tensor shift(Tensor out) {
        int n = out.dim(0);
        if (mask.equals(CHANNEL)) return be.view(out, n, bPos.length);
        Tensor m = be.alloc(n, bPos.length);
        be.gather(flat(out), bIdx, m);
        return m;
    }

    @Override public Tensor forward(Tensor x, Tensor ld, Stash stash) {
        ImageEvents.check(KIND, "forward", x, shape);
        Tensor cond = condInput(x);
        Tensor m = shift(net.forward(cond, stash, "net"));
        Tensor y = be.alloc(x.shape());
        be.additiveCouplingForward(flat(x), m, bIdx, flat(y));  // log-det 0: ld unchanged
        stash.put("cond", cond);
        return y;
    }

    @Override public Tensor inverse(Tensor y, Tensor ld) {
        ImageEvents.check(KIND, "inverse", y, shape);
        Tensor m = shift(net.forward(condInput(y), Stash.none(), "net"));  // y_a = x_a
        Tensor x = be.alloc(y.shape());
        be.additiveCouplingInverse(flat(y), m, bIdx, flat(x));
        return x;
    }

    @Override public Tensor backward(Tensor x, Tensor gy, Tensor gLd, Stash stash) {
        ImageEvents.check(KIND, "backward", x, shape);
        ImageEvents.check(KIND, "backward (gy)", gy, shape);
        Tensor cond = stash.get("cond");
        if (cond == null) cond = condInput(x);  // recompute mode: the conditioner's backward reruns its forward from cond
        int n = x.dim(0);
        // ∂y/∂x = I apart from the conditioner: gx = gy, plus ∂L/∂m = gy_b through the conditioner into x_a
        Tensor gx = be.alloc(x.shape());
        be.copy(gy, gx);
        Tensor gm = be.alloc(n, bPos.length);
        be.gather(flat(gy), bIdx, gm);
        Tensor gOut;
        if (mask.equals(CHANNEL)) gOut = be.view(gm, n, outChannels, h, w);
        else {
            gOut = be.alloc(n, outChannels, h, w);
            be.scatterAdd(gm, bIdx, flat(gOut));
        }
        Tensor gCond = net.backward(cond, gOut, stash, "net");
        Tensor ga = be.alloc(n, aPos.length);
        if (mask.equals(CHANNEL)) be.copy(gCond, ga);
        else be.gather(flat(gCond), aIdx, ga);  // only the conditioning positions of x ⊙ mask depend on x
        be.scatterAdd(ga, aIdx, flat(gx));
        return gx;
    }

    @Override public ObjectNode config() {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.set("shape", Masks.json(shape));
        o.put("mask", mask);
        o.put("parity", parity);
        o.set("conditioner", net.config());
        return o;
    }
}
