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
 *
 * <p>The generative direction is differentiated in closed form ({@link InverseBackward}, reverse KL): with
 * {@code J = ∂y/∂x} block-triangular ({@code ∂y_a/∂x_a = I}, {@code ∂y_b/∂x_b = diag(s)}) the implicit-function solve
 * {@code Jᵀw = gx − gℓ·∇ₓld} is {@code w_b = gx_b / s} and {@code w_a = gx_a − B_a(w_b, gℓ)}, where {@code B} is this layer's
 * own {@link #backward} fed {@code (0, w_b)} and {@code gℓ}; that same call, fed {@code −(0, w_b)} and {@code −gℓ},
 * accumulates the parameter gradient {@code −B_θ(w, gℓ)}. The division by {@code s} is {@code affineCouplingInverse}
 * with the shift zeroed. Cost: one conditioner pass and one conditioner backward, no per-sample solve.
 */
public final class AffineCoupling implements Transform, InverseBackward {
    public static final String KIND = "affine_coupling";

    private final Backend be;
    private final int dim;
    private final int[] a, b;
    private final Index aIdx, bIdx, rawCols;
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
        int[] raw = new int[b.length];
        for (int j = 0; j < raw.length; j++) raw[j] = j;
        this.rawCols = be.index(raw);
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
        be.coupling().gather(x, aIdx, xa);
        return xa;
    }

    @Override public Tensor forward(Tensor x, Tensor ld, Stash stash) {
        Tensor xa = condInput(x);
        Tensor h = net.forward(xa, stash, "net");
        Tensor y = be.alloc(x.shape());
        be.coupling().affineCouplingForward(x, h, bIdx, scale, clamp, y, ld);
        stash.put("xa", xa);
        stash.put("h", h);
        return y;
    }

    @Override public Tensor inverse(Tensor y, Tensor ld) {
        Tensor ya = condInput(y); // y_a = x_a
        Tensor h = net.forward(ya, Stash.none(), "net");
        Tensor x = be.alloc(y.shape());
        be.coupling().affineCouplingInverse(y, h, bIdx, scale, clamp, x, ld);
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
        be.coupling().affineCouplingBackward(x, h, bIdx, scale, clamp, gy, gLd, gx, gh);
        Tensor gxa = net.backward(xa, gh, stash, "net");
        be.coupling().scatterAdd(gxa, aIdx, gx);
        return gx;
    }

    /** Closed-form backward of {@link #inverse} (see the class comment): returns ∂L/∂y, accumulates the parameter gradients. */
    @Override public Tensor inverseBackward(Tensor y, Tensor x, Tensor gx, Tensor gLd) {
        int n = y.dim(0);
        Stash st = new Stash(true);                     // y_a = x_a: this conditioner pass is also the one backward needs
        Tensor ya = condInput(y);
        Tensor h = net.forward(ya, st, "net");
        st.put("xa", ya);
        st.put("h", h);
        Tensor hs = be.alloc(h.shape()), raw = be.alloc(n, b.length);   // [raw | 0]: the inverse map then divides by s only
        be.coupling().gather(h, rawCols, raw);
        be.coupling().scatterAdd(raw, rawCols, hs);
        Tensor w = be.alloc(y.shape());
        be.coupling().affineCouplingInverse(gx, hs, bIdx, scale, clamp, w, be.alloc(n));   // w_b = gx_b / s, w_a = gx_a
        return CouplingInverseBackward.finish(be, this, x, w, gLd, aIdx, bIdx, b.length, st);
    }
}
