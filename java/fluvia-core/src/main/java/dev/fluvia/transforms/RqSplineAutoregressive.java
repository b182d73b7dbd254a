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
 */
public final class RqSplineAutoregressive implements Transform {
    public static final String KIND = "rq_spline_ar";

    private final Backend be;
    private final int dim, bins;
    private final double bound;
    private final int[] order, hidden;
    private final int[][] degrees;
    private final Mlp net;
    /** Per dim d: the index {d} and the indices of its P conditioner outputs d·P .. d·P + P − 1 (sampling). */
    private final Index[] dimIdx, paramIdx;

    /**
     * @param order   autoregressive order, a permutation of {@code 0..D−1}; D ≥ 2
     * @param degrees hidden degrees (as {@link Made}), or null for {@link Made#cyclicDegrees}
     */
    public RqSplineAutoregressive(ParamSource src, Backend be, int[] order, int[] hidden, Activation act, int bins, double bound,
                                  int[][] degrees, SplittableRandom rng) {
        new RqSpline(bins, bound, RqSpline.DEFAULT_MIN_WIDTH, RqSpline.DEFAULT_MIN_HEIGHT, RqSpline.DEFAULT_MIN_DERIVATIVE); // validates
        if (order.length < 2)
            throw new dev.fluvia.FluviaException.ShapeException(KIND + ": needs at least 2 dimensions, got D = " + order.length);
        for (int w : hidden) if (w < 1) throw new dev.fluvia.FluviaException.ShapeException(KIND + ": hidden widths must be >= 1, got " + java.util.Arrays.toString(hidden));
        int[] in = Made.inputDegrees(order); // checks that the order is a permutation
        int[][] deg = degrees == null ? Made.cyclicDegrees(order.length, hidden) : degrees;
        if (deg.length != hidden.length)
            throw new dev.fluvia.FluviaException.ShapeException(KIND + ": " + deg.length + " degree lists for " + hidden.length + " hidden layers");
        for (int l = 0; l < deg.length; l++) {
            if (deg[l].length != hidden[l])
                throw new dev.fluvia.FluviaException.ShapeException(KIND + ": hidden layer " + l + " has width " + hidden[l] + " but " + deg[l].length + " degrees");
            for (int v : deg[l])
                if (v < 1 || v > order.length - 1)
                    throw new IllegalArgumentException(KIND + ": hidden degree " + v + " in layer " + l + " outside [1, " + (order.length - 1) + "]");
        }
        this.be = be;
        this.dim = order.length;
        this.bins = bins;
        this.bound = bound;
        this.order = order.clone();
        this.hidden = hidden.clone();
        this.degrees = new int[deg.length][];
        for (int l = 0; l < deg.length; l++) this.degrees[l] = deg[l].clone();
        int p = RqSpline.paramsPerDim(bins);
        // hidden masks as MADE's; the output layer has P rows per dim
        List<float[]> masks = new java.util.ArrayList<>(Made.buildMasks(in, this.degrees).subList(0, hidden.length));
        int[] prev = hidden.length == 0 ? in : this.degrees[hidden.length - 1];
        float[] out = new float[dim * p * prev.length]; // row d·P + q sees unit k iff m_in(d) > m_k
        for (int d = 0; d < dim; d++)
            for (int q = 0; q < p; q++)
                for (int k = 0; k < prev.length; k++) out[(d * p + q) * prev.length + k] = in[d] > prev[k] ? 1f : 0f;
        masks.add(out);
        int[] dims = new int[hidden.length + 2];
        dims[0] = dim;
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
    }

    public RqSplineAutoregressive(Backend be, int[] order, int[] hidden, Activation act, int bins, double bound, SplittableRandom rng) {
        this(ParamSource.fresh(be), be, order, hidden, act, bins, bound, null, rng);
    }

    public int[] order() { return order.clone(); }
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
    @Override public int[] eventShape() { return new int[] {dim}; }
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
        be.spline().rqSplineForward(x, h, spec(), z, ld);
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
        be.spline().rqSplineBackward(x, h, spec(), gy, gLd, gx, gh);
        be.elementwise().axpy(1f, net.backward(x, gh, stash, "made"), gx);
        return gx;
    }
}
