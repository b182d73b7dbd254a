package dev.fluvia.distributions;

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
 * {@code μ_k + T·σ_k·ε} (a uniform and normal draws of the backend). Initialisation: equal weights, unit scales, means
 * ~ N(0, 1) (seeded). Runs on the dist ops {@code gaussianMixtureLogProb}, {@code gaussianMixtureLogProbBackward},
 * {@code gaussianMixtureSample}.
 */
public final class GaussianMixture implements BaseDistribution {
    /** The kind written in checkpoints. */
    public static final String KIND = "gaussian_mixture";
    private final Backend be;
    private final int[] event;
    private final int k, d;
    private final Param logits, means, logScales;

    /**
     * A freshly initialised mixture.
     *
     * @param be         the backend
     * @param components K, the number of components (≥ 1)
     * @param seed       the seed of the initial means
     * @param event      the shape of one sample (flattened to D)
     * @throws IllegalArgumentException when {@code components < 1}
     */
    public GaussianMixture(Backend be, int components, long seed, int... event) { this(ParamSource.fresh(be), be, components, seed, event); }

    /**
     * A mixture whose parameters come from {@code src}.
     *
     * @param src        where the logits, means and log scales come from (a stored source draws no means from {@code seed})
     * @param be         the backend
     * @param components K, the number of components (≥ 1)
     * @param seed       the seed of the initial means (fresh source only)
     * @param event      the shape of one sample (flattened to D)
     * @throws IllegalArgumentException when {@code components < 1}
     */
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
    /** {@return K, the number of mixture components} */
    public int components() { return k; }

    @Override public void logProb(Tensor z, Tensor out) {
        be.dist().gaussianMixtureLogProb(z, logits.value(), means.value(), logScales.value(), out);
    }

    @Override public Tensor backward(Tensor z, Tensor gOut) {
        Tensor gz = be.alloc(z.shape());
        be.dist().gaussianMixtureLogProbBackward(z, logits.value(), means.value(), logScales.value(), gOut, gz, logits.grad(), means.grad(),
                logScales.grad());
        return gz;
    }

    @Override public Tensor sample(int n, float temperature, long seed) {
        long[] s = Dists.seeds(seed, 2);
        Tensor u = be.alloc(n), eps = be.alloc(Dists.batchShape(n, event)), z = be.alloc(Dists.batchShape(n, event));
        be.randomUniform(u, s[0]);
        be.randomNormal(eps, s[1], 1f);
        be.dist().gaussianMixtureSample(logits.value(), means.value(), logScales.value(), u, eps, temperature, z);
        be.release(u);
        be.release(eps);
        return z;
    }
}
