package dev.fluvia.distributions;

import dev.fluvia.backend.Backend;
import dev.fluvia.param.Param;
import dev.fluvia.tensor.Tensor;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The base of a conditional flow over {@code [x | c]} (docs/FLOWS.md "Conditional flows in Fluvia"): N(0, I) on the first
 * {@code dim} entries, and nothing on the last {@code context} entries, which carry the context vector {@code c} through
 * the flow unchanged. So {@code log p = −½‖z_x‖² − (dim/2)·log 2π}: the flow's log-prob is {@code log p(x | c)}.
 * Sampling draws {@code z_x} and leaves the context entries 0 for the caller to fill in. Runs on the host in float64.
 */
public final class ContextStandardNormal implements BaseDistribution {
    /** The kind written in checkpoints. */
    public static final String KIND = "context_std_normal";
    private static final double HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);
    private final Backend be;
    private final int dim, context;

    /**
     * The base over {@code [x | c]}.
     *
     * @param be      the backend
     * @param dim     modelled entries (≥ 1)
     * @param context context entries that follow them (≥ 1)
     */
    public ContextStandardNormal(Backend be, int dim, int context) {
        if (dim < 1 || context < 1) throw new IllegalArgumentException(KIND + ": needs dim >= 1 and context >= 1, got " + dim + ", " + context);
        this.be = be;
        this.dim = dim;
        this.context = context;
    }

    /** {@return the number of modelled entries (the first ones of a sample)} */
    public int dim() { return dim; }
    /** {@return the number of context entries that follow the modelled ones} */
    public int context() { return context; }

    @Override public String kind() { return KIND; }
    @Override public int[] eventShape() { return new int[] {dim + context}; }
    @Override public List<Param> params() { return List.of(); }

    @Override public void logProb(Tensor z, Tensor out) {
        float[] zh = be.toHost(z), o = be.toHost(out);
        int w = dim + context;
        for (int s = 0; s < o.length; s++) {
            double acc = 0;
            for (int i = 0; i < dim; i++) acc += (double) zh[s * w + i] * zh[s * w + i];
            o[s] = (float) (o[s] - 0.5 * acc - dim * HALF_LOG_2PI);
        }
        be.upload(o, out);
    }

    @Override public Tensor backward(Tensor z, Tensor gOut) {
        float[] zh = be.toHost(z), g = be.toHost(gOut), gz = new float[zh.length];
        int w = dim + context;
        for (int s = 0; s < g.length; s++)
            for (int i = 0; i < dim; i++) gz[s * w + i] = -g[s] * zh[s * w + i];
        return be.fromHost(gz, z.shape());
    }

    @Override public Tensor sample(int n, float temperature, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int w = dim + context;
        float[] z = new float[n * w];
        for (int s = 0; s < n; s++)
            for (int i = 0; i < dim; i++) {
                double u1 = Math.max(r.nextDouble(), 1e-300), u2 = r.nextDouble();
                z[s * w + i] = (float) (temperature * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2));
            }
        return be.fromHost(z, n, w);
    }
}
