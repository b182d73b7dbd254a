package dev.fluvia.transforms;

import dev.fluvia.backend.Backend;
import dev.fluvia.param.ParamSource;
import dev.fluvia.param.Param;
import dev.fluvia.param.Stash;
import dev.fluvia.tensor.Tensor;
import java.util.List;

/**
 * The mixture-of-Gaussians CDF flow (FLOWS.md "1-D mixture-of-Gaussians CDF flow"), per dimension i of the event [D]:
 * {@code F_i(x) = Σ_k π_ik Φ((x − μ_ik)/σ_ik)} with learnable {@code logits} [D, K] (π = softmax), {@code means} [D, K] and
 * {@code log_scales} [D, K]; {@code ld = Σ_i log p_i(x_i)}, {@code p_i = Σ_k π_ik φ(t_ik)/σ_ik}.
 * <ul>
 *   <li>{@code logit = false}: {@code y = F(x)} ∈ (0, 1), for a Uniform(0, 1) base;</li>
 *   <li>{@code logit = true}: the mixture CDF followed by logit, fused: {@code y = log F − log(1 − F)} ∈ ℝ with
 *       {@code ld = log p − log F − log(1 − F)}, for a Gaussian base. Both logs come from log Φ of each component
 *       (1 − F = Σ π Φ(−t)), so far tails stay finite where F rounds to 0 or 1.</li>
 * </ul>
 * The inverse solves {@code F(x) = y} (or {@code logit F(x) = y}) per element by Newton steps safeguarded by bisection on a
 * bracket that is widened until it holds the root. Computed by the backend's pointwise family ({@link Backend#pointwise()}:
 * {@code mixCdfForward/Inverse/Backward}, float64 per element in the kernels); {@code MixCdfOracle} (tests) is the judge.
 */
public final class MixCdf implements Transform {
    public static final String KIND = "mixcdf";

    private final Backend be;
    private final int dim, k;
    private final boolean logit;
    private final Param logits, means, logScales;

    /** Initialisation: equal weights, means evenly spread over [−2, 2], scales max(0.3, 2/K). */
    public MixCdf(Backend be, int dim, int components, boolean logit) { this(ParamSource.fresh(be), be, dim, components, logit); }

    /** @param src where the logits, means and log scales come from */
    public MixCdf(ParamSource src, Backend be, int dim, int components, boolean logit) {
        if (dim < 1) throw new IllegalArgumentException(KIND + ": dim must be >= 1, got " + dim);
        if (components < 1 || components > 4096) throw new IllegalArgumentException(KIND + ": components must be in [1, 4096], got " + components);
        this.be = be;
        this.dim = dim;
        this.k = components;
        this.logit = logit;
        float[] mu = new float[dim * k], ls = new float[dim * k];
        for (int i = 0; i < dim; i++)
            for (int c = 0; c < k; c++) {
                mu[i * k + c] = (float) (-2 + 4 * (c + 0.5) / k);
                ls[i * k + c] = (float) Math.log(Math.max(0.3, 2.0 / k));
            }
        int n = dim * k;
        logits = src.param("logits", true, () -> new float[n], dim, k);
        means = src.param("means", true, () -> mu, dim, k);
        logScales = src.param("log_scales", true, () -> ls, dim, k);
    }

    @Override public String kind() { return KIND; }
    @Override public int[] eventShape() { return new int[] {dim}; }
    @Override public List<Param> params() { return List.of(logits, means, logScales); }
    public int components() { return k; }
    public boolean logit() { return logit; }

    @Override public Tensor forward(Tensor x, Tensor ld, Stash stash) {
        Events.check(KIND, "forward", x, eventShape());
        Tensor y = be.alloc(x.shape());
        be.pointwise().mixCdfForward(x, logits.value(), means.value(), logScales.value(), logit, y, ld);
        return y;
    }

    @Override public Tensor inverse(Tensor y, Tensor ld) {
        Events.check(KIND, "inverse", y, eventShape());
        Tensor x = be.alloc(y.shape());
        long bad = be.pointwise().mixCdfInverse(y, logits.value(), means.value(), logScales.value(), logit, x, ld);
        if (bad >= 0) {
            float v = be.toHost(y)[(int) bad];
            String where = " (row " + bad / dim + ", column " + bad % dim + ")";
            if (!logit && Float.isFinite(v)) throw new DomainException(KIND + ".inverse: the mixture CDF takes values in (0, 1), got " + v + where);
            throw new DomainException(KIND + ".inverse: got " + v + where);
        }
        return x;
    }

    /**
     * With q_c = π_c φ(t_c)/σ_c, r_c = q_c/p: ∂log p/∂x = −Σ r_c t_c/σ_c, ∂log p/∂μ_c = r_c t_c/σ_c, ∂log p/∂log σ_c =
     * r_c(t_c² − 1), ∂log p/∂a_c = r_c − π_c; and dF: ∂F/∂x = p, ∂F/∂μ_c = −q_c, ∂F/∂log σ_c = −t_c σ_c q_c,
     * ∂F/∂a_c = π_c(Φ(t_c) − F). With logit, dF/F and dF/(1 − F) are formed in the log domain ({@code mixCdfBackward}).
     */
    @Override public Tensor backward(Tensor x, Tensor gy, Tensor gLd, Stash stash) {
        Events.check(KIND, "backward", x, eventShape());
        Tensor gx = be.alloc(x.shape());
        be.pointwise().mixCdfBackward(x, logits.value(), means.value(), logScales.value(), logit, gy, gLd, gx,
                logits.grad(), means.grad(), logScales.grad());
        return gx;
    }
}
