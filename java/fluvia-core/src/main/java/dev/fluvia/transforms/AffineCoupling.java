package dev.fluvia.transforms;

import dev.fluvia.param.Stash;
import dev.fluvia.backend.Activation;
import dev.fluvia.backend.Backend;
import dev.fluvia.backend.CouplingScale;
import dev.fluvia.nn.Mlp;
import dev.fluvia.param.Param;
import dev.fluvia.param.ParamSource;
import dev.fluvia.tensor.Index;
import dev.fluvia.tensor.Tensor;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Affine coupling (RealNVP; Glow's sigmoid scale as an option), FLOWS.md: the dims {@code a} pass through and condition
 * an MLP whose output {@code h = [raw scale | shift]} transforms the dims {@code b}. The MLP's last layer is zero-initialised.
 */
public final class AffineCoupling implements Transform {
    public static final String KIND = "affine_coupling";

    private final Backend be;
    private final int dim;
    private final int[] a, b;
    private final Index aIdx, bIdx;
    private final CouplingScale scale;
    private final float clamp;
    private final Mlp net;

    /**
     * @param a      conditioning dims (passed through)
     * @param b      transformed dims; a ∪ b must be 0..D−1, disjoint
     * @param hidden hidden widths of the conditioner (may be empty: a linear conditioner)
     */
    public AffineCoupling(Backend be, int dim, int[] a, int[] b, int[] hidden, Activation act, CouplingScale scale, float clamp, SplittableRandom rng) {
        this(ParamSource.fresh(be), be, dim, a, b, hidden, act, scale, clamp, rng);
    }

    /** @param src where the parameters come from (a stored source draws nothing from {@code rng}, which may then be null) */
    public AffineCoupling(ParamSource src, Backend be, int dim, int[] a, int[] b, int[] hidden, Activation act, CouplingScale scale, float clamp, SplittableRandom rng) {
        Masks.checkPartition(dim, a, b, KIND);
        if (!(clamp > 0)) throw new IllegalArgumentException(KIND + ": clamp must be > 0, got " + clamp);
        this.be = be;
        this.dim = dim;
        this.a = a.clone();
        this.b = b.clone();
        this.aIdx = be.index(a);
        this.bIdx = be.index(b);
        this.scale = scale;
        this.clamp = clamp;
        int[] dims = new int[hidden.length + 2];
        dims[0] = a.length;
        System.arraycopy(hidden, 0, dims, 1, hidden.length);
        dims[dims.length - 1] = 2 * b.length;
        this.net = new Mlp(src, be, "net.", dims, act, true, null, rng);
    }

    public int dim() { return dim; }
    /** Conditioning dims (passed through). */
    public int[] a() { return a.clone(); }
    /** Transformed dims. */
    public int[] b() { return b.clone(); }
    public CouplingScale scale() { return scale; }
    public float clamp() { return clamp; }
    /** The conditioner. */
    public Mlp net() { return net; }

    @Override public String kind() { return KIND; }
    @Override public int[] eventShape() { return new int[] {dim}; }
    @Override public List<Param> params() { return net.params(); }

    private Tensor condInput(Tensor x) {
        Tensor xa = be.alloc(x.dim(0), a.length);
        be.gather(x, aIdx, xa);
        return xa;
    }

    @Override public Tensor forward(Tensor x, Tensor ld, Stash stash) {
        Tensor xa = condInput(x);
        Tensor h = net.forward(xa, stash, "net");
        Tensor y = be.alloc(x.shape());
        be.affineCouplingForward(x, h, bIdx, scale, clamp, y, ld);
        stash.put("xa", xa);
        stash.put("h", h);
        return y;
    }

    @Override public Tensor inverse(Tensor y, Tensor ld) {
        Tensor ya = condInput(y); // y_a = x_a
        Tensor h = net.forward(ya, Stash.none(), "net");
        Tensor x = be.alloc(y.shape());
        be.affineCouplingInverse(y, h, bIdx, scale, clamp, x, ld);
        return x;
    }

    @Override public Tensor backward(Tensor x, Tensor gy, Tensor gLd, Stash stash) {
        if (stash.get("h") == null) { // recompute mode: one conditioner pass, kept for this backward only
            stash = new Stash(true);
            Tensor xa = condInput(x);
            stash.put("xa", xa);
            stash.put("h", net.forward(xa, stash, "net"));
        }
        Tensor xa = stash.get("xa"), h = stash.get("h");
        Tensor gx = be.alloc(x.shape()), gh = be.alloc(h.shape());
        be.affineCouplingBackward(x, h, bIdx, scale, clamp, gy, gLd, gx, gh);
        Tensor gxa = net.backward(xa, gh, stash, "net");
        be.scatterAdd(gxa, aIdx, gx);
        return gx;
    }

}
