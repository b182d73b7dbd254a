package dev.fluvia.nn;

import dev.fluvia.param.Param;
import dev.fluvia.param.ParamSource;
import dev.fluvia.backend.Activation;
import dev.fluvia.backend.Backend;
import dev.fluvia.tensor.Tensor;
import dev.fluvia.param.Stash;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A small residual conditioner (RealNVP style): h₀ = ReLU(conv 3×3 (in → width)); B blocks
 * {@code h ← h + conv 3×3(ReLU(conv 3×3(h)))}; out = zero-initialised conv 3×3 (width → out) of ReLU(h_B).
 */
public final class ResNetConditioner implements ConvConditioner {
    public static final String TYPE = "resnet";

    private final Backend be;
    private final int width;
    private final Conv2d in, out;
    private final List<Conv2d> a = new ArrayList<>(), b = new ArrayList<>();

    public ResNetConditioner(Backend be, String prefix, int inC, int width, int blocks, int outC, SplittableRandom rng) {
        this(ParamSource.fresh(be), be, prefix, inC, width, blocks, outC, rng);
    }

    /** @param src where the weights come from (a stored source draws nothing from {@code rng}, which may then be null) */
    public ResNetConditioner(ParamSource src, Backend be, String prefix, int inC, int width, int blocks, int outC, SplittableRandom rng) {
        if (blocks < 0) throw new IllegalArgumentException("ResNetConditioner: blocks must be >= 0, got " + blocks);
        this.be = be;
        this.width = width;
        this.in = new Conv2d(src, be, prefix + "in.", inC, width, 3, false, rng);
        for (int i = 0; i < blocks; i++) {
            a.add(new Conv2d(src, be, prefix + "block" + i + ".a.", width, width, 3, false, rng));
            b.add(new Conv2d(src, be, prefix + "block" + i + ".b.", width, width, 3, false, rng));
        }
        this.out = new Conv2d(src, be, prefix + "out.", width, outC, 3, true, rng);
    }

    @Override public List<Param> params() {
        List<Param> ps = new ArrayList<>(in.params());
        for (int i = 0; i < a.size(); i++) { ps.addAll(a.get(i).params()); ps.addAll(b.get(i).params()); }
        ps.addAll(out.params());
        return ps;
    }

    @Override public Tensor forward(Tensor x, Stash stash, String key) {
        Tensor h = in.forward(x);
        be.activate(Activation.RELU, h, h);
        stash.put(key + ".h0", h);
        for (int i = 0; i < a.size(); i++) {
            Tensor t = a.get(i).forward(h);
            be.activate(Activation.RELU, t, t);
            Tensor u = b.get(i).forward(t);
            be.axpy(1f, h, u);            // u = h + conv(t): the block's output
            stash.put(key + ".t" + i, t);
            stash.put(key + ".h" + (i + 1), u);
            h = u;
        }
        Tensor r = be.alloc(h.shape());
        be.activate(Activation.RELU, h, r);
        stash.put(key + ".r", r);
        return out.forward(r);
    }

    @Override public Tensor backward(Tensor x, Tensor gOut, Stash stash, String key) {
        if (stash.get(key + ".r") == null) {
            stash = new Stash(true);
            forward(x, stash, key);
        }
        Tensor r = stash.get(key + ".r");
        Tensor g = out.backward(r, gOut, true);
        be.activationBackward(Activation.RELU, null, r, g, g);
        for (int i = a.size() - 1; i >= 0; i--) {
            Tensor t = stash.get(key + ".t" + i), hPrev = stash.get(key + ".h" + i);
            Tensor gt = b.get(i).backward(t, g, true);
            be.activationBackward(Activation.RELU, null, t, gt, gt);
            Tensor gh = a.get(i).backward(hPrev, gt, true);
            be.axpy(1f, g, gh);           // the skip connection
            g = gh;
        }
        be.activationBackward(Activation.RELU, null, stash.get(key + ".h0"), g, g);
        return in.backward(x, g, true);
    }

    @Override public String type() { return TYPE; }
    @Override public int width() { return width; }
    @Override public int blocks() { return a.size(); }
}
