package dev.fluvia.flow;

import dev.fluvia.FluviaException.ShapeException;
import dev.fluvia.backend.Activation;
import dev.fluvia.backend.Backend;
import dev.fluvia.distributions.ContextStandardNormal;
import dev.fluvia.tensor.Tensor;
import dev.fluvia.transforms.Masks;
import dev.fluvia.transforms.RqSplineCoupling;
import dev.fluvia.transforms.Standardize;
import dev.fluvia.transforms.Transform;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Conditional flows {@code p(x | c)} (docs/FLOWS.md "Conditional flows in Fluvia"): a {@link Flow} over the concatenation
 * {@code [x | c]} whose layers transform only the {@code x} entries, with the context {@code c} among every conditioner's
 * inputs, on the {@link ContextStandardNormal} base (no density on {@code c}). Its log-prob is {@code log p(x | c)}; it
 * trains with the ordinary NLL on the concatenated rows. This class builds such flows (spline coupling) and scores and
 * samples them from separate data and context arrays.
 */
public final class ConditionalFlows {
    private ConditionalFlows() {}

    /**
     * A conditional rational-quadratic spline coupling flow.
     * @param dim      dims of x (≥ 1)
     * @param context  dims of c (≥ 1)
     * @param mean     per-dim mean of x for a standardisation layer on x (c is left as given), or null
     */
    public static Flow splineCoupling(Backend be, int dim, int context, int layers, int[] hidden, Activation act, int bins,
                                      double bound, long seed, float[] mean, float[] std) {
        if (dim < 1 || context < 1) throw new IllegalArgumentException("conditional flow: needs dim >= 1 and context >= 1, got " + dim + ", " + context);
        if (layers < 1) throw new IllegalArgumentException("conditional flow: layers must be >= 1, got " + layers);
        SplittableRandom rng = new SplittableRandom(seed);
        int w = dim + context;
        List<Transform> ts = new ArrayList<>();
        if (mean != null) {
            if (mean.length != dim || std == null || std.length != dim)
                throw new ShapeException("conditional flow: mean/std need " + dim + " entries");
            float[] m = new float[w], s = new float[w];
            java.util.Arrays.fill(s, 1f);
            System.arraycopy(mean, 0, m, 0, dim);
            System.arraycopy(std, 0, s, 0, dim);
            ts.add(new Standardize(be, m, s));
        }
        for (int l = 0; l < layers; l++) {
            int[] xa, xb;
            if (dim == 1) { xa = new int[0]; xb = new int[] {0}; }
            else { int[][] m = Masks.alternating(dim, l); xa = m[0]; xb = m[1]; }
            int[] a = new int[xa.length + context];
            System.arraycopy(xa, 0, a, 0, xa.length);
            for (int j = 0; j < context; j++) a[xa.length + j] = dim + j;
            ts.add(new RqSplineCoupling(be, w, a, xb, hidden, act, bins, bound, rng));
        }
        return new Flow(be, new ContextStandardNormal(be, dim, context), ts);
    }

    /** The context split of a conditional flow's base; a typed error for a flow that is not conditional. */
    public static ContextStandardNormal base(Flow f) {
        if (!(f.base() instanceof ContextStandardNormal b))
            throw new ShapeException("not a conditional flow: its base is '" + f.base().kind() + "', not '" + ContextStandardNormal.KIND + "'");
        return b;
    }

    /** Rows {@code [x_n | c_n]} from {@code x [n, dim]} and {@code c [n, context]} (row-major). */
    public static float[] join(float[] x, int dim, float[] c, int context, int n) {
        if (x.length != n * dim || c.length != n * context)
            throw new ShapeException("conditional flow: data has " + x.length + " values and context " + c.length + ", expected "
                    + n * dim + " and " + n * context + " for " + n + " rows");
        float[] out = new float[n * (dim + context)];
        for (int s = 0; s < n; s++) {
            System.arraycopy(x, s * dim, out, s * (dim + context), dim);
            System.arraycopy(c, s * context, out, s * (dim + context) + dim, context);
        }
        return out;
    }

    /** {@code log p(x_n | c_n)} per row. */
    public static float[] logProb(Flow f, float[] x, float[] c, int n) {
        ContextStandardNormal b = base(f);
        return f.logProb(join(x, b.dim(), c, b.context(), n), n);
    }

    /** The same with the data and the context as tensors {@code [n, dim]} and {@code [n, context]}. */
    public static Tensor logProb(Flow f, Tensor x, Tensor c) {
        ContextStandardNormal b = base(f);
        Backend be = f.backend();
        int n = x.dim(0);
        if (c.dim(0) != n) throw new ShapeException("conditional flow: " + n + " data rows but " + c.dim(0) + " context rows");
        return f.logProb(be.fromHost(join(be.toHost(x), b.dim(), be.toHost(c), b.context(), n), n, b.dim() + b.context()));
    }

    /** One draw {@code x_n ~ p(x | c_n)} per context row; returns {@code [n, dim]} row-major. */
    public static float[] sample(Flow f, float[] c, int n, float temperature, long seed) {
        ContextStandardNormal b = base(f);
        int dim = b.dim(), context = b.context(), w = dim + context;
        if (c.length != n * context) throw new ShapeException("conditional flow: context has " + c.length + " values, expected " + n * context);
        Backend be = f.backend();
        float[] z = be.toHost(b.sample(n, temperature, seed));
        for (int s = 0; s < n; s++) System.arraycopy(c, s * context, z, s * w + dim, context);
        float[] xc = be.toHost(f.inverse(be.fromHost(z, n, w)).out());
        float[] x = new float[n * dim];
        for (int s = 0; s < n; s++) System.arraycopy(xc, s * w, x, s * dim, dim);
        return x;
    }
}
