package dev.fluvia.transforms;

import dev.fluvia.backend.Activation;
import dev.fluvia.backend.Backend;
import dev.fluvia.nn.Mlp;
import dev.fluvia.param.Param;
import dev.fluvia.param.ParamSource;
import dev.fluvia.param.Stash;
import dev.fluvia.tensor.Tensor;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Rational-quadratic spline coupling (Durkan et al. 2019), docs/FLOWS.md "Rational-quadratic spline in Fluvia": the dims
 * {@code a} pass through and condition an MLP whose output {@code h [N, |b|·(3K − 1)]} (dim {@code b[j]}'s parameters at
 * {@code h[:, j·P .. j·P + P − 1]}) sets one {@link RqSpline} per transformed dim. The MLP's last layer is zero-initialised,
 * so the layer starts as the identity. Outside {@code [−B, B]} each spline is the identity (linear tails).
 *
 * <p>The conditioner runs on the backend; the spline itself is evaluated per element on the host in float64 from the
 * conditioner's output (downloaded and uploaded through {@link Backend#toHost} / {@link Backend#upload}).
 */
public final class RqSplineCoupling implements Transform {
    public static final String KIND = "rq_spline_coupling";
    public static final int DEFAULT_BINS = 8;
    public static final double DEFAULT_BOUND = 3;

    private final Backend be;
    private final int dim, bins;
    private final double bound;
    private final int[] a, b;
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

    private RqSpline spline() {
        return new RqSpline(bins, bound, RqSpline.DEFAULT_MIN_WIDTH, RqSpline.DEFAULT_MIN_HEIGHT, RqSpline.DEFAULT_MIN_DERIVATIVE);
    }

    private Tensor condInput(float[] xh, int n) {
        float[] xa = new float[n * a.length];
        for (int s = 0; s < n; s++)
            for (int i = 0; i < a.length; i++) xa[s * a.length + i] = xh[s * dim + a[i]];
        return be.fromHost(xa, n, a.length);
    }

    private static void checkFinite(float[] v, String op) {
        for (float f : v)
            if (!Float.isFinite(f)) throw new dev.fluvia.FluviaException.NonFiniteException(KIND + " " + op + ": input contains a non-finite value (" + f + ")");
    }

    @Override public Tensor forward(Tensor x, Tensor ld, Stash stash) {
        Events.check(KIND, "forward", x, eventShape());
        int n = x.shape()[0], p = RqSpline.paramsPerDim(bins);
        float[] xh = be.toHost(x);
        checkFinite(xh, "forward");
        Tensor xa = condInput(xh, n);
        Tensor h = net.forward(xa, stash, "net");
        float[] hh = be.toHost(h), ldh = be.toHost(ld), yh = xh.clone();
        RqSpline sp = spline();
        double[] o = new double[2];
        for (int s = 0; s < n; s++) {
            double acc = 0;
            for (int j = 0; j < b.length; j++) {
                sp.set(hh, (s * b.length + j) * p).forward(xh[s * dim + b[j]], o);
                yh[s * dim + b[j]] = (float) o[0];
                acc += o[1];
            }
            ldh[s] = (float) (ldh[s] + acc);
        }
        stash.put("xa", xa);
        stash.put("h", h);
        be.upload(ldh, ld);
        return be.fromHost(yh, x.shape());
    }

    @Override public Tensor inverse(Tensor y, Tensor ld) {
        Events.check(KIND, "inverse", y, eventShape());
        int n = y.shape()[0], p = RqSpline.paramsPerDim(bins);
        float[] yh = be.toHost(y);
        checkFinite(yh, "inverse");
        Tensor h = net.forward(condInput(yh, n), Stash.none(), "net"); // y_a = x_a
        float[] hh = be.toHost(h), ldh = be.toHost(ld), xh = yh.clone();
        RqSpline sp = spline();
        double[] o = new double[2];
        for (int s = 0; s < n; s++) {
            double acc = 0;
            for (int j = 0; j < b.length; j++) {
                sp.set(hh, (s * b.length + j) * p).inverse(yh[s * dim + b[j]], o);
                xh[s * dim + b[j]] = (float) o[0];
                acc += o[1];
            }
            ldh[s] = (float) (ldh[s] + acc);
        }
        be.upload(ldh, ld);
        return be.fromHost(xh, y.shape());
    }

    @Override public Tensor backward(Tensor x, Tensor gy, Tensor gLd, Stash stash) {
        Events.check(KIND, "backward", x, eventShape());
        int n = x.shape()[0], p = RqSpline.paramsPerDim(bins);
        float[] xh = be.toHost(x);
        if (stash.get("h") == null) { // recompute mode: one conditioner pass, kept for this backward only
            stash = new Stash(true);
            Tensor xa = condInput(xh, n);
            stash.put("xa", xa);
            stash.put("h", net.forward(xa, stash, "net"));
        }
        Tensor xa = stash.get("xa"), h = stash.get("h");
        float[] hh = be.toHost(h), gyh = be.toHost(gy), gldh = be.toHost(gLd), gxh = gyh.clone();
        double[] gp = new double[hh.length];
        RqSpline sp = spline();
        for (int s = 0; s < n; s++)
            for (int j = 0; j < b.length; j++) {
                int off = (s * b.length + j) * p, e = s * dim + b[j];
                gxh[e] = (float) sp.set(hh, off).backward(xh[e], gyh[e], gldh[s], gp, off);
            }
        float[] gpf = new float[gp.length];
        for (int i = 0; i < gp.length; i++) gpf[i] = (float) gp[i];
        float[] gxa = be.toHost(net.backward(xa, be.fromHost(gpf, h.shape()), stash, "net"));
        for (int s = 0; s < n; s++)
            for (int i = 0; i < a.length; i++) gxh[s * dim + a[i]] += gxa[s * a.length + i];
        return be.fromHost(gxh, x.shape());
    }
}
