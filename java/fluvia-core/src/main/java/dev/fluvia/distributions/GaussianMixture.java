package dev.fluvia.distributions;

import dev.fluvia.param.HostMath;
import dev.fluvia.backend.Backend;
import dev.fluvia.param.Param;
import dev.fluvia.param.ParamSource;
import dev.fluvia.tensor.Tensor;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A mixture of K diagonal Gaussians over the flattened event with learnable weights (softmax of {@code logits} [K]),
 * means {@code means} [K, D] and scales ({@code log_scales} [K, D]):
 * {@code log p(z) = logsumexp_k(log π_k + Σ_d log N(z_d; μ_kd, σ_kd²))}. With responsibilities r_k:
 * {@code ∂/∂z = −Σ_k r_k (z − μ_k)/σ_k²}, {@code ∂/∂μ_k = r_k (z − μ_k)/σ_k²},
 * {@code ∂/∂log σ_k = r_k((z − μ_k)²/σ_k² − 1)}, {@code ∂/∂logit_k = r_k − π_k}. Samples: a component by π, then
 * {@code μ_k + T·σ_k·ε}. Initialisation: equal weights, unit scales, means ~ N(0, 1) (seeded).
 */
public final class GaussianMixture implements BaseDistribution {
    public static final String KIND = "gaussian_mixture";
    private static final double HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);
    private final Backend be;
    private final int[] event;
    private final int k, d;
    private final Param logits, means, logScales;

    public GaussianMixture(Backend be, int components, long seed, int... event) { this(ParamSource.fresh(be), be, components, seed, event); }

    /** @param src where the logits, means and log scales come from (a stored source draws no means from {@code seed}) */
    public GaussianMixture(ParamSource src, Backend be, int components, long seed, int... event) {
        if (components < 1) throw new IllegalArgumentException(KIND + ": components must be >= 1, got " + components);
        this.be = be;
        this.event = event.clone();
        this.k = components;
        this.d = HostDists.size(event);
        int kk = k, dd = d;
        logits = src.param("logits", true, () -> new float[kk], k);
        means = src.param("means", true, () -> {
            SplittableRandom r = new SplittableRandom(seed);
            float[] m = new float[kk * dd];
            for (int i = 0; i < m.length; i++) m[i] = (float) HostDists.gaussian(r);
            return m;
        }, k, d);
        logScales = src.param("log_scales", true, () -> new float[kk * dd], k, d);
    }

    @Override public String kind() { return KIND; }
    @Override public int[] eventShape() { return event.clone(); }
    @Override public List<Param> params() { return List.of(logits, means, logScales); }
    public int components() { return k; }

    private record P(double[] logPi, double[] mu, double[] ls) {}

    private P p() {
        double[] lg = HostDists.toDouble(be.toHost(logits.value())), mu = HostDists.toDouble(be.toHost(means.value())),
                ls = HostDists.toDouble(be.toHost(logScales.value()));
        double m = Double.NEGATIVE_INFINITY;
        for (double v : lg) m = Math.max(m, v);
        double s = 0;
        for (double v : lg) s += Math.exp(v - m);
        double lse = m + Math.log(s);
        for (int i = 0; i < k; i++) lg[i] -= lse;
        for (double v : mu) if (!Double.isFinite(v)) throw new IllegalArgumentException(KIND + " base: a mean is " + v);
        for (double v : ls) if (!Double.isFinite(v)) throw new IllegalArgumentException(KIND + " base: a log-scale is " + v);
        if (!Double.isFinite(lse)) throw new IllegalArgumentException(KIND + " base: the logits are not finite");
        return new P(lg, mu, ls);
    }

    /** Per-component log terms of one sample into a[k]; returns their log-sum-exp. */
    private double terms(P q, float[] zh, int s, double[] a) {
        double m = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < k; c++) {
            double acc = q.logPi()[c];
            for (int i = 0; i < d; i++) {
                double sd = Math.exp(q.ls()[c * d + i]), e = (zh[s * d + i] - q.mu()[c * d + i]) / sd;
                acc += -0.5 * e * e - q.ls()[c * d + i] - HALF_LOG_2PI;
            }
            a[c] = acc;
            m = Math.max(m, acc);
        }
        double sum = 0;
        for (int c = 0; c < k; c++) sum += Math.exp(a[c] - m);
        return m + Math.log(sum);
    }

    @Override public void logProb(Tensor z, Tensor out) {
        P q = p();
        int n = z.dim(0);
        float[] zh = be.toHost(z), o = be.toHost(out);
        double[] a = new double[k];
        for (int s = 0; s < n; s++) o[s] = (float) (o[s] + terms(q, zh, s, a));
        be.upload(o, out);
    }

    @Override public Tensor backward(Tensor z, Tensor gOut) {
        P q = p();
        int n = z.dim(0);
        float[] zh = be.toHost(z), g = be.toHost(gOut), gz = new float[zh.length];
        double[] a = new double[k], gl = new double[k], gm = new double[k * d], gs = new double[k * d];
        for (int s = 0; s < n; s++) {
            double lse = terms(q, zh, s, a);
            for (int c = 0; c < k; c++) {
                double rc = Math.exp(a[c] - lse) * g[s];
                gl[c] += rc - Math.exp(q.logPi()[c]) * g[s];
                for (int i = 0; i < d; i++) {
                    double v = Math.exp(-2 * q.ls()[c * d + i]), diff = zh[s * d + i] - q.mu()[c * d + i];
                    gz[s * d + i] -= (float) (rc * diff * v);
                    gm[c * d + i] += rc * diff * v;
                    gs[c * d + i] += rc * (diff * diff * v - 1);
                }
            }
        }
        HostMath.accumulate(be, logits, gl);
        HostMath.accumulate(be, means, gm);
        HostMath.accumulate(be, logScales, gs);
        return be.fromHost(gz, z.shape());
    }

    @Override public Tensor sample(int n, float temperature, long seed) {
        P q = p();
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n * d];
        for (int s = 0; s < n; s++) {
            double u = r.nextDouble(), cum = 0;
            int c = k - 1;
            for (int j = 0; j < k; j++) {
                cum += Math.exp(q.logPi()[j]);
                if (u < cum) { c = j; break; }
            }
            for (int i = 0; i < d; i++)
                x[s * d + i] = (float) (q.mu()[c * d + i] + temperature * Math.exp(q.ls()[c * d + i]) * HostDists.gaussian(r));
        }
        return be.fromHost(x, Dists.batchShape(n, event));
    }
}
