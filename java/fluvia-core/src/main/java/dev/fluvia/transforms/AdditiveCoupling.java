package dev.fluvia.transforms;

import dev.fluvia.param.Stash;
import dev.fluvia.backend.Activation;
import dev.fluvia.backend.Backend;
import dev.fluvia.nn.Mlp;
import dev.fluvia.param.Param;
import dev.fluvia.param.ParamSource;
import dev.fluvia.tensor.Index;
import dev.fluvia.tensor.Tensor;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Additive coupling (NICE), FLOWS.md: the dims {@code a} pass through and condition an MLP whose output {@code m [N, K]}
 * is added to the dims {@code b}: {@code y_b = x_b + m(x_a)}, log-det 0. The MLP's last layer is zero-initialised.
 * The generative direction is differentiated in closed form ({@link InverseBackward}) as {@link AffineCoupling}'s with s = 1.
 */
public final class AdditiveCoupling implements Transform, InverseBackward {
    public static final String KIND = "additive_coupling";

    private final Backend be;
    private final int dim;
    private final int[] a, b;
    private final Index aIdx, bIdx;
    private final Mlp net;

    /**
     * @param a      conditioning dims (passed through)
     * @param b      transformed dims; a ∪ b must be 0..D−1, disjoint
     * @param hidden hidden widths of the conditioner (may be empty: a linear conditioner)
     */
    public AdditiveCoupling(Backend be, int dim, int[] a, int[] b, int[] hidden, Activation act, SplittableRandom rng) {
        this(ParamSource.fresh(be), be, dim, a, b, hidden, act, rng);
    }

    /** @param src where the parameters come from (a stored source draws nothing from {@code rng}, which may then be null) */
    public AdditiveCoupling(ParamSource src, Backend be, int dim, int[] a, int[] b, int[] hidden, Activation act, SplittableRandom rng) {
        Masks.checkPartition(dim, a, b, KIND);
        this.be = be;
        this.dim = dim;
        this.a = a.clone();
        this.b = b.clone();
        this.aIdx = be.index(a);
        this.bIdx = be.index(b);
        int[] dims = new int[hidden.length + 2];
        dims[0] = a.length;
        System.arraycopy(hidden, 0, dims, 1, hidden.length);
        dims[dims.length - 1] = b.length;
        this.net = new Mlp(src, be, "net.", dims, act, true, null, rng);
    }

    public int dim() { return dim; }
    /** Conditioning dims (passed through). */
    public int[] a() { return a.clone(); }
    /** Transformed dims. */
    public int[] b() { return b.clone(); }
    /** The conditioner. */
    public Mlp net() { return net; }

    @Override public String kind() { return KIND; }
    @Override public int[] eventShape() { return new int[] {dim}; }
    @Override public List<Param> params() { return net.params(); }

    private Tensor condInput(Tensor x) {
        Tensor xa = be.alloc(x.dim(0), a.length);
        be.coupling().gather(x, aIdx, xa);
        return xa;
    }

    @Override public Tensor forward(Tensor x, Tensor ld, Stash stash) {
        Events.check(KIND, "forward", x, eventShape());
        Tensor xa = condInput(x);
        Tensor m = net.forward(xa, stash, "net");
        Tensor y = be.alloc(x.shape());
        be.coupling().additiveCouplingForward(x, m, bIdx, y);
        stash.put("xa", xa);
        return y;
    }

    @Override public Tensor inverse(Tensor y, Tensor ld) {
        Events.check(KIND, "inverse", y, eventShape());
        Tensor ya = condInput(y); // y_a = x_a
        Tensor m = net.forward(ya, Stash.none(), "net");
        Tensor x = be.alloc(y.shape());
        be.coupling().additiveCouplingInverse(y, m, bIdx, x);
        return x;
    }

    @Override public Tensor backward(Tensor x, Tensor gy, Tensor gLd, Stash stash) {
        Events.check(KIND, "backward", x, eventShape());
        Tensor xa = stash.get("xa");
        if (xa == null) xa = condInput(x); // recompute mode: Mlp.backward reruns the conditioner from xa
        // ∂y_b/∂x_b = I and ∂y_a/∂x_a = I: gx = gy, plus the conditioner's path ∂L/∂m = gy_b into x_a
        Tensor gx = be.alloc(x.shape());
        be.copy(gy, gx);
        Tensor gm = be.alloc(x.dim(0), b.length);
        be.coupling().gather(gy, bIdx, gm);
        Tensor gxa = net.backward(xa, gm, stash, "net");
        be.coupling().scatterAdd(gxa, aIdx, gx);
        return gx;
    }

    /** Closed-form backward of {@link #inverse} ({@link AffineCoupling}'s with s = 1): returns ∂L/∂y, accumulates the parameter gradients. */
    @Override public Tensor inverseBackward(Tensor y, Tensor x, Tensor gx, Tensor gLd) {
        Tensor w = be.alloc(y.shape());
        be.copy(gx, w);
        return CouplingInverseBackward.finish(be, this, x, w, gLd, aIdx, bIdx, b.length, Stash.none());
    }
}
