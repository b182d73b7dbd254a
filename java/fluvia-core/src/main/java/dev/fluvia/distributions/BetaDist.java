package dev.fluvia.distributions;

import dev.fluvia.backend.dist.DistOps;
import dev.fluvia.backend.Backend;
import dev.fluvia.param.Param;
import dev.fluvia.param.ParamSource;
import dev.fluvia.tensor.Tensor;
import java.util.List;

/**
 * Beta(α_i, β_i) per element on (0, 1), learnable {@code log_alpha}, {@code log_beta} (initialised to 0: α = β = 1, uniform):
 * {@code log p = Σ (α−1) log z + (β−1) log(1−z) − log B(α, β)}, −∞ outside (0, 1) (gradient 0 there). Gradients:
 * {@code ∂/∂z = (α−1)/z − (β−1)/(1−z)}, {@code ∂/∂α = log z − ψ(α) + ψ(α+β)}, {@code ∂/∂β = log(1−z) − ψ(β) + ψ(α+β)}.
 * Samples {@code G_α/(G_α + G_β)} from two Gamma draws (Marsaglia–Tsang on a fixed budget of the backend's normal and
 * uniform draws, docs/FLOWS.md "Beta sampling"), at T = 1 only. Runs on the dist ops {@code betaLogProb},
 * {@code betaLogProbBackward}, {@code betaSample}.
 */
public final class BetaDist implements BaseDistribution {
    /** The kind written in checkpoints. */
    public static final String KIND = "beta";
    private final Backend be;
    private final int[] event;
    private final Param logAlpha, logBeta;

    /**
     * A Beta base with α = β = 1 (uniform on (0, 1)) to start.
     *
     * @param be    the backend
     * @param event the shape of one sample
     */
    public BetaDist(Backend be, int... event) { this(ParamSource.fresh(be), be, event); }

    /**
     * A Beta base whose parameters come from {@code src} (fresh: 0; stored: a checkpoint's tensors).
     *
     * @param src   where log α and log β come from
     * @param be    the backend
     * @param event the shape of one sample
     */
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

    @Override public void logProb(Tensor z, Tensor out) { be.dist().betaLogProb(z, logAlpha.value(), logBeta.value(), out); }

    @Override public Tensor backward(Tensor z, Tensor gOut) {
        Tensor gz = be.alloc(z.shape());
        be.dist().betaLogProbBackward(z, logAlpha.value(), logBeta.value(), gOut, gz, logAlpha.grad(), logBeta.grad());
        return gz;
    }

    @Override public Tensor sample(int n, float temperature, long seed) {
        HostDists.requireUnitTemperature(KIND, temperature);
        int d = HostDists.size(event);
        long[] s = Dists.seeds(seed, 2);
        Tensor normals = be.alloc(n, d * DistOps.BETA_NORMALS), uniforms = be.alloc(n, d * DistOps.BETA_UNIFORMS), z = be.alloc(Dists.batchShape(n, event));
        be.randomNormal(normals, s[0], 1f);
        be.randomUniform(uniforms, s[1]);
        be.dist().betaSample(logAlpha.value(), logBeta.value(), normals, uniforms, z);
        be.release(normals);
        be.release(uniforms);
        return z;
    }
}
