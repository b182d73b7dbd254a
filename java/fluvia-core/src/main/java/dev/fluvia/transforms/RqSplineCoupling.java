package dev.fluvia.transforms;

import dev.fluvia.backend.Activation;
import dev.fluvia.backend.Backend;
import dev.fluvia.backend.spline.SplineOps;
import dev.fluvia.nn.Mlp;
import dev.fluvia.param.Param;
import dev.fluvia.param.ParamSource;
import dev.fluvia.param.Stash;
import dev.fluvia.tensor.Index;
import dev.fluvia.tensor.Tensor;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Rational-quadratic spline coupling (Durkan et al. 2019), docs/FLOWS.md "Rational-quadratic spline in Fluvia": the dims
 * {@code a} pass through and condition an MLP whose output {@code h [N, |b|·(3K − 1)]} (dim {@code b[j]}'s parameters at
 * {@code h[:, j·P .. j·P + P − 1]}) sets one {@link RqSpline} per transformed dim. The MLP's last layer is zero-initialised,
 * so the layer starts as the identity. Outside {@code [−B, B]} each spline is the identity (linear tails).
 *
 * <p>Everything runs on the backend: the split by {@code gather}, the conditioner, the spline by the fused spline ops
 * ({@link Backend#spline()}: bin search, evaluation and log-det in one kernel on CUDA), the merge by {@code scatterAdd}
 * onto zeros (exact). {@link RqSpline} (float64, host) is the oracle the tests hold the layer to.
 *
 * <p>The generative direction is differentiated in closed form ({@link InverseBackward}, reverse KL) as
 * {@link AffineCoupling}'s, with the spline's slope {@code g'(x_b)} in place of the scale and its log-det depending on
 * {@code x_b}: {@code w_b = (gx_b − gℓ·∇_{x_b} ld) / g'(x_b)} (slope and {@code gℓ·∇_{x_b} ld} from two calls of the spline's
 * backward op), {@code w_a = gx_a − B_a(w_b, gℓ)} from this layer's backward, which also accumulates the parameter gradient.
 */
public final class RqSplineCoupling implements Transform, InverseBackward {
    public static final String KIND = "rq_spline_coupling";
    public static final int DEFAULT_BINS = 8;
    public static final double DEFAULT_BOUND = 3;

    private final Backend be;
    private final int dim, bins;
    private final double bound;
    private final int[] a, b;
    private final Index aIdx, bIdx;
    private final Mlp net;

    public RqSplineCoupling(Backend be, int dim, int[] a, int[] b, int[] hidden, Activation act, int bins, double bound, SplittableRandom rng) {
        this(ParamSource.fresh(be), be, dim, a, b, hidden, act, bins, bound, rng);
    }

    /** @param src where the parameters come from (a stored source draws nothing from {@code rng}, which may then be null) */
    public RqSplineCoupling(ParamSource src, Backend be, int dim, int[] a, int[] b, int[] hidden, Activation act, int bins, double bound, SplittableRandom rng) {
        Masks.checkPartition(dim, a, b, KIND);
        new RqSpline(bins, bound, RqSpline.DEFAULT_MIN_WIDTH, RqSpline.DEFAULT_MIN_HEIGHT, RqSpline.DEFAULT_MIN_DERIVATIVE); // validates
        this.be = be;
        this.dim = dim;
        this.bins = bins;
        this.bound = bound;
        this.a = a.clone();
        this.b = b.clone();
        this.aIdx = be.index(a);
        this.bIdx = be.index(b);
        int[] dims = new int[hidden.length + 2];
        dims[0] = a.length;
        System.arraycopy(hidden, 0, dims, 1, hidden.length);
        dims[dims.length - 1] = b.length * RqSpline.paramsPerDim(bins);
        this.net = new Mlp(src, be, "net.", dims, act, true, null, rng);
    }

    public int dim() { return dim; }
    public int[] a() { return a.clone(); }
    public int[] b() { return b.clone(); }
    public int bins() { return bins; }
    public double bound() { return bound; }
    public Mlp net() { return net; }

    @Override public String kind() { return KIND; }
    @Override public int[] eventShape() { return new int[] {dim}; }
    @Override public List<Param> params() { return net.params(); }

    /** The backend op's spline configuration (the float32 values of FLOWS.md's minimums). */
    private SplineOps.Spec spec() { return SplineOps.Spec.of(bins, bound); }

    /** The dims of {@code b} of x, {@code [N, |b|]}. */
    private Tensor gather(Tensor x, Index idx, int k) {
        Tensor out = be.alloc(x.shape()[0], k);
        be.coupling().gather(x, idx, out);
        return out;
    }

    private void checkFinite(Tensor t, String op) {
        if (!be.reduce().allFinite(t))
            throw new dev.fluvia.FluviaException.NonFiniteException(KIND + " " + op + ": input contains a non-finite value");
    }

    private void checkConditioner(Tensor h) {
        if (!be.reduce().allFinite(h)) throw new InvalidParameterException("rq spline: conditioner output is not finite");
    }

    /** [N, D] with the dims a from {@code xa} and the dims b from {@code xb} (adds onto zeros: exact). */
    private Tensor assemble(int n, Tensor xa, Tensor xb) {
        Tensor out = be.alloc(n, dim);
        be.coupling().scatterAdd(xa, aIdx, out);
        be.coupling().scatterAdd(xb, bIdx, out);
        return out;
    }

    @Override public Tensor forward(Tensor x, Tensor ld, Stash stash) {
        Events.check(KIND, "forward", x, eventShape());
        int n = x.shape()[0];
        checkFinite(x, "forward");
        Tensor xa = gather(x, aIdx, a.length), xb = gather(x, bIdx, b.length);
        Tensor h = net.forward(xa, stash, "net");
        checkConditioner(h);
        Tensor yb = be.alloc(n, b.length);
        be.spline().rqSplineForward(xb, h, spec(), yb, ld);
        stash.put("xa", xa);
        stash.put("h", h);
        return assemble(n, xa, yb);
    }

    @Override public Tensor inverse(Tensor y, Tensor ld) {
        Events.check(KIND, "inverse", y, eventShape());
        int n = y.shape()[0];
        checkFinite(y, "inverse");
        Tensor ya = gather(y, aIdx, a.length), yb = gather(y, bIdx, b.length);
        Tensor h = net.forward(ya, Stash.none(), "net"); // y_a = x_a
        checkConditioner(h);
        Tensor xb = be.alloc(n, b.length);
        be.spline().rqSplineInverse(yb, h, spec(), xb, ld);
        return assemble(n, ya, xb);
    }

    @Override public Tensor backward(Tensor x, Tensor gy, Tensor gLd, Stash stash) {
        Events.check(KIND, "backward", x, eventShape());
        int n = x.shape()[0];
        if (stash.get("h") == null) { // recompute mode: one conditioner pass, kept for this backward only
            stash = new Stash(true);
            Tensor xa = gather(x, aIdx, a.length);
            stash.put("xa", xa);
            stash.put("h", net.forward(xa, stash, "net"));
        }
        Tensor xa = stash.get("xa"), h = stash.get("h");
        Tensor xb = gather(x, bIdx, b.length), gyb = gather(gy, bIdx, b.length), gxb = be.alloc(n, b.length);
        Tensor gh = be.alloc(h.shape());
        be.spline().rqSplineBackward(xb, h, spec(), gyb, gLd, gxb, gh);
        Tensor gxa = net.backward(xa, gh, stash, "net");
        Tensor gx = assemble(n, gather(gy, aIdx, a.length), gxb);
        be.coupling().scatterAdd(gxa, aIdx, gx);
        return gx;
    }

    /** Closed-form backward of {@link #inverse} (see the class comment): returns ∂L/∂y, accumulates the parameter gradients. */
    @Override public Tensor inverseBackward(Tensor y, Tensor x, Tensor gx, Tensor gLd) {
        Events.check(KIND, "inverseBackward", y, eventShape());
        int n = y.shape()[0], k = b.length;
        Stash st = new Stash(true);                      // y_a = x_a: this conditioner pass is also the one backward needs
        Tensor xa = gather(y, aIdx, a.length);
        Tensor h = net.forward(xa, st, "net");
        st.put("xa", xa);
        st.put("h", h);
        Tensor xb = gather(x, bIdx, k), junk = be.alloc(h.shape());
        Tensor ones = be.alloc(n, k), slope = be.alloc(n, k), ldPath = be.alloc(n, k);
        be.fill(ones, 1f);
        be.spline().rqSplineBackward(xb, h, spec(), ones, be.alloc(n), slope, junk);            // g'(x_b)
        be.spline().rqSplineBackward(xb, h, spec(), be.alloc(n, k), gLd, ldPath, junk);         // gℓ·∇_{x_b} ld
        Tensor vb = gather(gx, bIdx, k), wb = be.alloc(n, k);
        be.elementwise().axpy(-1f, ldPath, vb);
        be.elementwise().map(dev.fluvia.backend.elementwise.Binary.DIV, vb, slope, wb);
        Tensor w = assemble(n, gather(gx, aIdx, a.length), wb);
        return CouplingInverseBackward.finish(be, this, x, w, gLd, aIdx, bIdx, k, st);
    }
}
