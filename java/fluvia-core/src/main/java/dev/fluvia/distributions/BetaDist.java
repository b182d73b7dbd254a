package dev.fluvia.distributions;

import dev.fluvia.param.HostMath;
import dev.fluvia.backend.Backend;
import dev.fluvia.param.Param;
import dev.fluvia.param.ParamSource;
import dev.fluvia.tensor.Tensor;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Beta(α_i, β_i) per element on (0, 1), learnable {@code log_alpha}, {@code log_beta} (initialised to 0: α = β = 1, uniform):
 * {@code log p = Σ (α−1) log z + (β−1) log(1−z) − log B(α, β)}, −∞ outside (0, 1) (gradient 0 there). Gradients:
 * {@code ∂/∂z = (α−1)/z − (β−1)/(1−z)}, {@code ∂/∂α = log z − ψ(α) + ψ(α+β)}, {@code ∂/∂β = log(1−z) − ψ(β) + ψ(α+β)}.
 * Samples {@code G_α/(G_α + G_β)} from two Gamma draws, at T = 1 only.
 */
public final class BetaDist implements BaseDistribution {
    public static final String KIND = "beta";
    private final Backend be;
    private final int[] event;
    private final Param logAlpha, logBeta;

    public BetaDist(Backend be, int... event) { this(ParamSource.fresh(be), be, event); }

    /** @param src where log α and log β come from */
    public BetaDist(ParamSource src, Backend be, int... event) {
        this.be = be;
        this.event = event.clone();
        int d = HostDists.size(event);
        logAlpha = src.param("log_alpha", true, () -> new float[d], d);
        logBeta = src.param("log_beta", true, () -> new float[d], d);
    }

    @Override public String kind() { return KIND; }
    @Override public int[] eventShape() { return event.clone(); }
    @Override public List<Param> params() { return List.of(logAlpha, logBeta); }

    private double[][] ab() {
        double[] a = HostDists.toDouble(be.toHost(logAlpha.value())), b = HostDists.toDouble(be.toHost(logBeta.value()));
        for (int i = 0; i < a.length; i++) {
            a[i] = Math.exp(a[i]);
            b[i] = Math.exp(b[i]);
            if (!(a[i] > 0 && b[i] > 0 && Double.isFinite(a[i]) && Double.isFinite(b[i])))
                throw new IllegalArgumentException(KIND + " base: α and β must be finite and > 0, got " + a[i] + ", " + b[i] + " at " + i);
        }
        return new double[][] {a, b};
    }

    @Override public void logProb(Tensor z, Tensor out) {
        double[][] p = ab();
        double[] a = p[0], b = p[1];
        int n = z.dim(0), d = a.length;
        double[] lb = new double[d];
        for (int i = 0; i < d; i++) lb[i] = HostDists.lgamma(a[i]) + HostDists.lgamma(b[i]) - HostDists.lgamma(a[i] + b[i]);
        float[] zh = be.toHost(z), o = be.toHost(out);
        for (int s = 0; s < n; s++) {
            double acc = 0;
            for (int i = 0; i < d; i++) {
                double v = zh[s * d + i];
                if (!(v > 0 && v < 1)) { acc = Double.NEGATIVE_INFINITY; break; }
                acc += (a[i] - 1) * Math.log(v) + (b[i] - 1) * Math.log1p(-v) - lb[i];
            }
            o[s] = (float) (o[s] + acc);
        }
        be.upload(o, out);
    }

    @Override public Tensor backward(Tensor z, Tensor gOut) {
        double[][] p = ab();
        double[] a = p[0], b = p[1];
        int n = z.dim(0), d = a.length;
        float[] zh = be.toHost(z), g = be.toHost(gOut), gz = new float[zh.length];
        double[] ga = new double[d], gb = new double[d];
        for (int s = 0; s < n; s++)
            for (int i = 0; i < d; i++) {
                double v = zh[s * d + i];
                if (!(v > 0 && v < 1)) continue;
                double psiAb = HostDists.digamma(a[i] + b[i]);
                gz[s * d + i] = (float) (g[s] * ((a[i] - 1) / v - (b[i] - 1) / (1 - v)));
                ga[i] += g[s] * (Math.log(v) - HostDists.digamma(a[i]) + psiAb) * a[i];   // ∂/∂log α = α·∂/∂α
                gb[i] += g[s] * (Math.log1p(-v) - HostDists.digamma(b[i]) + psiAb) * b[i];
            }
        HostMath.accumulate(be, logAlpha, ga);
        HostMath.accumulate(be, logBeta, gb);
        return be.fromHost(gz, z.shape());
    }

    @Override public Tensor sample(int n, float temperature, long seed) {
        HostDists.requireUnitTemperature(KIND, temperature);
        double[][] p = ab();
        int d = p[0].length;
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n * d];
        for (int s = 0; s < n; s++)
            for (int i = 0; i < d; i++) {
                double ga = HostDists.gamma(p[0][i], r), gb = HostDists.gamma(p[1][i], r);
                float v = (float) (ga / (ga + gb));
                x[s * d + i] = Math.min(Math.max(v, Float.MIN_NORMAL), Math.nextDown(1f));   // stay inside (0, 1) in float32
            }
        return be.fromHost(x, Dists.batchShape(n, event));
    }
}
