package dev.fluvia.transforms;

import dev.fluvia.backend.Activation;
import dev.fluvia.backend.Backend;
import dev.fluvia.backend.spline.SplineOps;
import dev.fluvia.nn.Made;
import dev.fluvia.nn.Mlp;
import dev.fluvia.param.Param;
import dev.fluvia.param.ParamSource;
import dev.fluvia.param.Stash;
import dev.fluvia.tensor.Index;
import dev.fluvia.tensor.Tensor;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Autoregressive rational-quadratic spline (Durkan et al. 2019), docs/FLOWS.md "Rational-quadratic spline in Fluvia":
 * a MADE-masked MLP (the degrees of {@link Made}) gives each dim {@code d} its {@code P = 3K − 1} spline parameters at
 * {@code h[:, d·P .. d·P + P − 1]} from the dims before {@code d} in the order; {@code z_d = g_d(x_d)}.
 * Forward (density) is one conditioner pass; inverse (sampling) is D conditioner passes, one per step of the order.
 * The output layer is zero-initialised (identity at the start). Splines run on the backend's fused spline ops
 * ({@link Backend#spline()}); {@link RqSpline} (float64, host) is the oracle.
 *
 * <p><b>Context</b> (conditional flows): with {@code context = C > 0} the layer acts on rows {@code [x | c]} of width
 * {@code D + C}; the conditioner sees {@code c} as degree-0 inputs (every hidden unit, as {@link Made} with a context) and
 * {@code c} passes through unchanged. With a context D = 1 is allowed.
 *
 * <p>The sampling direction is differentiated in closed form ({@link InverseBackward}, reverse KL) by the back-substitution
 * of {@link Iaf}'s class comment, with the spline slope {@code g'_j(x_j)} as the diagonal of the density map's Jacobian:
 * {@code v_j = (gx_j − B_x(v, gℓ)_j) / g'_j(x_j)}, last dim of the order first (context columns last, slope 1), where
 * {@code B} is this layer's own backward at x; then {@code B_θ(−v, −gℓ)} accumulates the parameter gradient. D + 1
 * backward calls, no host solve.
 */
public final class RqSplineAutoregressive implements Transform, InverseBackward {
    public static final String KIND = "rq_spline_ar";

    private final Backend be;
    private final int dim, context, width, bins;
    private final double bound;
    private final int[] order, hidden;
    private final int[][] degrees;
    private final Mlp net;
    /** Per dim d: the index {d} and the indices of its P conditioner outputs d·P .. d·P + P − 1 (sampling). */
    private final Index[] dimIdx, paramIdx;
    /** The modelled columns 0..D−1 and the context columns D..W−1 of a row (context only). */
    private final Index xCols, ctxCols;

    /**
     * @param order   autoregressive order, a permutation of {@code 0..D−1}; D ≥ 2
     * @param degrees hidden degrees (as {@link Made}), or null for {@link Made#cyclicDegrees}
     */
    public RqSplineAutoregressive(ParamSource src, Backend be, int[] order, int[] hidden, Activation act, int bins, double bound,
                                  int[][] degrees, SplittableRandom rng) {
        this(src, be, order, 0, hidden, act, bins, bound, degrees, rng);
    }

    /** A conditional layer on rows {@code [x | c]} with {@code context} context entries (0: the plain layer). */
    public RqSplineAutoregressive(ParamSource src, Backend be, int[] order, int context, int[] hidden, Activation act, int bins, double bound,
                                  int[][] degrees, SplittableRandom rng) {
        new RqSpline(bins, bound, RqSpline.DEFAULT_MIN_WIDTH, RqSpline.DEFAULT_MIN_HEIGHT, RqSpline.DEFAULT_MIN_DERIVATIVE); // validates
        if (context < 0) throw new dev.fluvia.FluviaException.ShapeException(KIND + ": context width must be >= 0, got " + context);
        if (order.length < 2 && !(order.length == 1 && context > 0))
            throw new dev.fluvia.FluviaException.ShapeException(KIND + ": needs at least 2 dimensions, got D = " + order.length);
        for (int w : hidden) if (w < 1) throw new dev.fluvia.FluviaException.ShapeException(KIND + ": hidden widths must be >= 1, got " + java.util.Arrays.toString(hidden));
        int[] in = Made.inputDegrees(order); // checks that the order is a permutation
        int[][] deg = degrees == null ? Made.cyclicDegrees(order.length, context, hidden) : degrees;
        int lo = context > 0 ? 0 : 1;
        if (deg.length != hidden.length)
            throw new dev.fluvia.FluviaException.ShapeException(KIND + ": " + deg.length + " degree lists for " + hidden.length + " hidden layers");
        for (int l = 0; l < deg.length; l++) {
            if (deg[l].length != hidden[l])
                throw new dev.fluvia.FluviaException.ShapeException(KIND + ": hidden layer " + l + " has width " + hidden[l] + " but " + deg[l].length + " degrees");
            for (int v : deg[l])
                if (v < lo || v > order.length - 1)
                    throw new IllegalArgumentException(KIND + ": hidden degree " + v + " in layer " + l + " outside [" + lo + ", " + (order.length - 1) + "]");
        }
        this.be = be;
        this.dim = order.length;
        this.context = context;
        this.width = dim + context;
        this.bins = bins;
        this.bound = bound;
        this.order = order.clone();
        this.hidden = hidden.clone();
        this.degrees = new int[deg.length][];
        for (int l = 0; l < deg.length; l++) this.degrees[l] = deg[l].clone();
        int p = RqSpline.paramsPerDim(bins);
        // hidden masks as MADE's; the output layer has P rows per dim
        List<float[]> masks = new java.util.ArrayList<>(Made.buildMasks(in, context, this.degrees).subList(0, hidden.length));
        int[] prev = hidden.length == 0 ? java.util.Arrays.copyOf(in, width) : this.degrees[hidden.length - 1]; // context: degree 0
        float[] out = new float[dim * p * prev.length]; // row d·P + q sees unit k iff m_in(d) > m_k
        for (int d = 0; d < dim; d++)
            for (int q = 0; q < p; q++)
                for (int k = 0; k < prev.length; k++) out[(d * p + q) * prev.length + k] = in[d] > prev[k] ? 1f : 0f;
        masks.add(out);
        int[] dims = new int[hidden.length + 2];
        dims[0] = width;
        System.arraycopy(hidden, 0, dims, 1, hidden.length);
        dims[dims.length - 1] = dim * p;
        this.net = new Mlp(src, be, "made.", dims, act, true, masks, rng);
        this.dimIdx = new Index[dim];
        this.paramIdx = new Index[dim];
        for (int d = 0; d < dim; d++) {
            int[] cols = new int[p];
            for (int q = 0; q < p; q++) cols[q] = d * p + q;
            dimIdx[d] = be.index(new int[] {d});
            paramIdx[d] = be.index(cols);
        }
        int[] xc = new int[dim], cc = new int[context];
        for (int d = 0; d < dim; d++) xc[d] = d;
        for (int j = 0; j < context; j++) cc[j] = dim + j;
        this.xCols = context > 0 ? be.index(xc) : null;
        this.ctxCols = context > 0 ? be.index(cc) : null;
    }

    public RqSplineAutoregressive(Backend be, int[] order, int[] hidden, Activation act, int bins, double bound, SplittableRandom rng) {
        this(ParamSource.fresh(be), be, order, hidden, act, bins, bound, null, rng);
    }

    public int[] order() { return order.clone(); }
    /** Modelled dims D. */
    public int dim() { return dim; }
    /** Context entries C after them (0: not conditional). */
    public int context() { return context; }
    public int[] hidden() { return hidden.clone(); }
    public int bins() { return bins; }
    public double bound() { return bound; }
    public Activation activation() { return net.activation(); }

    public int[][] degrees() {
        int[][] c = new int[degrees.length][];
        for (int l = 0; l < degrees.length; l++) c[l] = degrees[l].clone();
        return c;
    }

    @Override public String kind() { return KIND; }
    @Override public int[] eventShape() { return new int[] {width}; }
    @Override public List<Param> params() { return net.params(); }

    private SplineOps.Spec spec() { return SplineOps.Spec.of(bins, bound); }

    private void checkFinite(Tensor t, String op) {
        if (!be.reduce().allFinite(t))
            throw new dev.fluvia.FluviaException.NonFiniteException(KIND + " " + op + ": input contains a non-finite value");
    }

    private void checkConditioner(Tensor h) {
        if (!be.reduce().allFinite(h)) throw new InvalidParameterException("rq spline: conditioner output is not finite");
    }

    /** Density direction: one conditioner pass, then every element's spline in one fused op on the backend. */
    @Override public Tensor forward(Tensor x, Tensor ld, Stash stash) {
        Events.check(KIND, "forward", x, eventShape());
        checkFinite(x, "forward");
        Tensor h = net.forward(x, stash, "made");
        checkConditioner(h);
        Tensor z = be.alloc(x.shape());
        if (context == 0) be.spline().rqSplineForward(x, h, spec(), z, ld);
        else {                                   // the splines on the x columns; c copied through
            int n = x.dim(0);
            Tensor xs = be.alloc(n, dim), zs = be.alloc(n, dim), c = be.alloc(n, context);
            be.coupling().gather(x, xCols, xs);
            be.spline().rqSplineForward(xs, h, spec(), zs, ld);
            be.coupling().scatterAdd(zs, xCols, z);
            be.coupling().gather(x, ctxCols, c);
            be.coupling().scatterAdd(c, ctxCols, z);
        }
        stash.put("h", h);
        return z;
    }

    /**
     * Sampling direction, sequential over the order: step t runs the conditioner on the dims produced so far and inverts
     * dim {@code order[t]}'s spline (its P parameters gathered from the conditioner output) on the backend.
     */
    @Override public Tensor inverse(Tensor z, Tensor ld) {
        Events.check(KIND, "inverse", z, eventShape());
        int n = z.shape()[0], p = RqSpline.paramsPerDim(bins);
        checkFinite(z, "inverse");
        Tensor x = be.alloc(z.shape()), zd = be.alloc(n, 1), hd = be.alloc(n, p), xd = be.alloc(n, 1);
        if (context > 0) {                       // the context is given: in place before the first conditioner pass
            Tensor c = be.alloc(n, context);
            be.coupling().gather(z, ctxCols, c);
            be.coupling().scatterAdd(c, ctxCols, x);
        }
        for (int t = 0; t < dim; t++) {
            int d = order[t];
            Tensor h = net.forward(x, Stash.none(), "made");
            checkConditioner(h);
            be.coupling().gather(z, dimIdx[d], zd);
            be.coupling().gather(h, paramIdx[d], hd);
            be.spline().rqSplineInverse(zd, hd, spec(), xd, ld);
            be.coupling().scatterAdd(xd, dimIdx[d], x); // x[:, d] is still 0: exact
        }
        return x;
    }

    @Override public Tensor backward(Tensor x, Tensor gy, Tensor gLd, Stash stash) {
        Events.check(KIND, "backward", x, eventShape());
        if (stash.get("h") == null) { // recompute mode: one conditioner pass, kept for this backward only
            stash = new Stash(true);
            stash.put("h", net.forward(x, stash, "made"));
        }
        Tensor h = stash.get("h");
        Tensor gx = be.alloc(x.shape()), gh = be.alloc(h.shape());
        if (context == 0) be.spline().rqSplineBackward(x, h, spec(), gy, gLd, gx, gh);
        else {                                   // direct path: the splines' on the x columns, identity on c
            int n = x.dim(0);
            Tensor xs = be.alloc(n, dim), gys = be.alloc(n, dim), gxs = be.alloc(n, dim), gc = be.alloc(n, context);
            be.coupling().gather(x, xCols, xs);
            be.coupling().gather(gy, xCols, gys);
            be.spline().rqSplineBackward(xs, h, spec(), gys, gLd, gxs, gh);
            be.coupling().scatterAdd(gxs, xCols, gx);
            be.coupling().gather(gy, ctxCols, gc);
            be.coupling().scatterAdd(gc, ctxCols, gx);
        }
        be.elementwise().axpy(1f, net.backward(x, gh, stash, "made"), gx);
        return gx;
    }

    /** Closed-form backward of {@link #inverse} (see the class comment): returns ∂L/∂z, accumulates the parameter gradients. */
    @Override public Tensor inverseBackward(Tensor z, Tensor x, Tensor gx, Tensor gLd) {
        Events.check(KIND, "inverseBackward", x, eventShape());
        int n = x.shape()[0];
        Stash at = new Stash(true);                      // one conditioner pass at x, reused by every backward below
        Tensor h = net.forward(x, at, "made");
        checkConditioner(h);
        at.put("h", h);
        Tensor slope = be.alloc(n, width);               // the Jacobian's diagonal: g'(x_d) on x, 1 on the context
        if (context == 0) {
            Tensor ones = be.alloc(n, dim);
            be.fill(ones, 1f);
            be.spline().rqSplineBackward(x, h, spec(), ones, be.alloc(n), slope, be.alloc(h.shape()));
        } else {
            Tensor xs = be.alloc(n, dim), ones = be.alloc(n, dim), sx = be.alloc(n, dim), one = be.alloc(n, context);
            be.coupling().gather(x, xCols, xs);
            be.fill(ones, 1f);
            be.fill(one, 1f);
            be.spline().rqSplineBackward(xs, h, spec(), ones, be.alloc(n), sx, be.alloc(h.shape()));
            be.coupling().scatterAdd(sx, xCols, slope);
            be.coupling().scatterAdd(one, ctxCols, slope);
        }
        List<Param> ps = params();
        List<Tensor> saved = new java.util.ArrayList<>(ps.size()); // the solve's backward calls must not leave parameter gradients behind
        for (Param p : ps) {
            Tensor s = null;
            if (p.grad() != null) { s = be.alloc(p.grad().shape()); be.copy(p.grad(), s); }
            saved.add(s);
        }
        Tensor v = be.alloc(n, width);
        for (int t = dim - 1; t >= -1; t--) {            // t = −1: the context columns (first in the triangular order)
            if (t < 0 && context == 0) break;
            Index cols = t >= 0 ? dimIdx[order[t]] : ctxCols;
            int k = t >= 0 ? 1 : context;
            try (dev.fluvia.backend.Scope s = be.scope()) {
                Tensor r = backward(x, v, gLd, at);                                // B_x(v, gℓ)
                Tensor res = be.alloc(n, width), u = be.alloc(n, width), col = be.alloc(n, k);
                be.copy(gx, res);
                be.elementwise().axpy(-1f, r, res);                                 // gx − B_x
                be.elementwise().map(dev.fluvia.backend.elementwise.Binary.DIV, res, slope, u);
                be.coupling().gather(u, cols, col);
                be.coupling().scatterAdd(col, cols, v);                             // v_j (was 0)
            }
        }
        for (int i = 0; i < ps.size(); i++) if (saved.get(i) != null) be.copy(saved.get(i), ps.get(i).grad());
        try (dev.fluvia.backend.Scope s = be.scope()) {                            // ∂L/∂θ += B_θ(−v, −gℓ)
            Tensor negV = be.alloc(n, width), negGLd = be.alloc(n);
            be.copy(v, negV);
            be.elementwise().scale(negV, -1f);
            be.copy(gLd, negGLd);
            be.elementwise().scale(negGLd, -1f);
            backward(x, negV, negGLd, at);
        }
        return v;
    }
}
