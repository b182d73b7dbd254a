package dev.fluvia.backend.dist;

import static dev.fluvia.tensor.Shapes.perSample;
import static dev.fluvia.tensor.Shapes.rank;
import static dev.fluvia.tensor.Shapes.require;
import static dev.fluvia.tensor.Shapes.same;
import static dev.fluvia.tensor.Shapes.shape;

import dev.fluvia.backend.OpChecks;
import dev.fluvia.tensor.Index;
import dev.fluvia.tensor.Tensor;

/**
 * The dist family (docs/FLOWS.md "Base distributions"): the log-densities of the base distributions per sample (standard,
 * diagonal and per-element conditional Gaussians, and the zoo bases: uniform box, standard logistic, Beta, Gaussian
 * mixture; {@code out[n] +=}, or {@code = −∞} outside a bounded support) and their backwards, and sampling the conditional
 * prior and the zoo bases from given draws (the backend's {@code randomUniform} / {@code randomNormal}). Per-sample sums and
 * parameter gradients run in float64.
 *
 * <p>The conventions of {@link dev.fluvia.backend.Backend} hold (float32 row-major; outputs {@code y, x, gx, gh}
 * overwritten; {@code ld} and parameter gradients accumulated into). {@link Checks} holds the argument checks every
 * backend runs first; {@code CpuDist} is the reference, {@code CudaDist} the kernels of {@code kernels/dist.cu},
 * {@code DistBench} the validate-and-benchmark entry that the parity test and the kernel benchmark are built from.
 */
public interface DistOps {

    /** out[n] += −½‖z_n‖² − (D/2)·log 2π (D = elements per sample). */
    void stdNormalLogProb(Tensor z, Tensor out);

    /** gz = −z·gOut[n] (overwrite). */
    void stdNormalLogProbBackward(Tensor z, Tensor gOut, Tensor gz);

    /** out[n] += Σ_d −½((z−μ)/σ)² − log σ − ½ log 2π with σ = exp(logSigma); mu, logSigma {@code [D]} (per element of a sample). */
    void diagNormalLogProb(Tensor z, Tensor mu, Tensor logSigma, Tensor out);

    /** gz overwrite (may be null); gmu += ; glogSigma += . */
    void diagNormalLogProbBackward(Tensor z, Tensor mu, Tensor logSigma, Tensor gOut, Tensor gz, Tensor gmu, Tensor glogSigma);

    /**
     * Gaussian log-density with per-element parameters (Glow's learned conditional prior):
     * out[n] += Σ_d −½((z−μ)/σ)² − log σ − ½ log 2π, σ = exp(logSigma); mu, logSigma have z's shape.
     */
    void condNormalLogProb(Tensor z, Tensor mu, Tensor logSigma, Tensor out);

    /** Backward of {@link #condNormalLogProb}: gz (may be null), gmu, glogSigma all <b>overwritten</b> (per-element, z's shape). */
    void condNormalLogProbBackward(Tensor z, Tensor mu, Tensor logSigma, Tensor gOut, Tensor gz, Tensor gmu, Tensor glogSigma);

    /** z = mu + temperature·exp(logSigma)·eps element-wise (sampling the conditional prior); all of z's shape. */
    void condNormalSample(Tensor mu, Tensor logSigma, Tensor eps, float temperature, Tensor z);

    // ------------------------------------------------------------------ the zoo bases (issue 11): uniform box, logistic, Beta, Gaussian mixture

    /** Marsaglia–Tsang tries per Gamma draw of {@link #betaSample} (acceptance > 95 % per try for a shape ≥ 1). */
    int BETA_TRIES = 8;
    /** Standard-normal draws per element of {@link #betaSample}: {@link #BETA_TRIES} for G_α, then as many for G_β. */
    int BETA_NORMALS = 2 * BETA_TRIES;
    /** Uniform draws per element of {@link #betaSample}: the tries' uniforms of G_α and of G_β, then the α and the β boost. */
    int BETA_UNIFORMS = 2 * BETA_TRIES + 2;

    /**
     * Uniform on the box Π_d [low_d, high_d]: out[n] = out[n] − logVolume when every z_nd satisfies low_d ≤ z_nd ≤ high_d,
     * else −∞ (assigned, never NaN for a NaN z). low, high {@code [D]}: the float32 bounds that compare with a float32 z as
     * the float64 box does (smallest float ≥ low, largest ≤ high); logVolume = Σ log(high − low) of the float64 box.
     */
    void uniformBoxLogProb(Tensor z, Tensor low, Tensor high, double logVolume, Tensor out);

    /** gz = 0 (overwrite): the density is flat inside the box and has no gradient outside. */
    void uniformBoxLogProbBackward(Tensor z, Tensor gOut, Tensor gz);

    /**
     * z = min(max(low + (high − low)·u, low), nextDown(high)) per element (float64, then float32): uniform draws u ∈ (0, 1]
     * of z's shape placed in [low, high). low, high {@code [D]} as for {@link #uniformBoxLogProb}.
     */
    void uniformBoxSample(Tensor u, Tensor low, Tensor high, Tensor z);

    /** out[n] += Σ_d −(z + 2·softplus(−z)) (standard logistic per element, float64). */
    void logisticLogProb(Tensor z, Tensor out);

    /** gz = gOut[n]·(1 − 2σ(z)) (overwrite). */
    void logisticLogProbBackward(Tensor z, Tensor gOut, Tensor gz);

    /** z = T·(log u − log(1 − u)) with u clamped to [2⁻²⁴, 1 − 2⁻²⁴] (so |z| ≤ 16.64·T), all of z's shape. */
    void logisticSample(Tensor u, float temperature, Tensor z);

    /**
     * Beta(α_d, β_d) per element, α = exp(logAlpha), β = exp(logBeta) {@code [D]}: out[n] += Σ_d (α−1) log z + (β−1)
     * log(1−z) − log B(α, β), or −∞ when any z_nd lies outside (0, 1) (never NaN).
     */
    void betaLogProb(Tensor z, Tensor logAlpha, Tensor logBeta, Tensor out);

    /**
     * Backward of {@link #betaLogProb}, element-wise on (0, 1) and 0 outside: gz = g·((α−1)/z − (β−1)/(1−z)) overwritten
     * (may be null); glogAlpha += Σ_n g·α(log z − ψ(α) + ψ(α+β)); glogBeta += Σ_n g·β(log(1−z) − ψ(β) + ψ(α+β)).
     */
    void betaLogProbBackward(Tensor z, Tensor logAlpha, Tensor logBeta, Tensor gOut, Tensor gz, Tensor glogAlpha, Tensor glogBeta);

    /**
     * z = G_α/(G_α + G_β) per element from pre-drawn normals {@code [N, D·BETA_NORMALS]} and uniforms
     * {@code [N, D·BETA_UNIFORMS]} (element i = n·D + d owns the draws [i·BETA_NORMALS, …) and [i·BETA_UNIFORMS, …)).
     * G_a: Marsaglia–Tsang with at most {@link #BETA_TRIES} tries (shape a &lt; 1: Gamma(a+1)·U^{1/a}); when every try is
     * rejected the draw is d = a' − ⅓ (the candidate at x = 0). Computed in log space (z = σ(log G_α − log G_β)) and
     * kept inside (0, 1) in float32: [Float.MIN_NORMAL, 1 − 2⁻²⁴] (docs/FLOWS.md "Beta sampling").
     */
    void betaSample(Tensor logAlpha, Tensor logBeta, Tensor normals, Tensor uniforms, Tensor z);

    /**
     * Mixture of K diagonal Gaussians over the flattened event, weights softmax(logits) {@code [K]}, means, logScales
     * {@code [K, D]}: out[n] += logsumexp_k(log π_k + Σ_d log N(z_d; μ_kd, σ_kd²)) (float64, stable log-sum-exp).
     */
    void gaussianMixtureLogProb(Tensor z, Tensor logits, Tensor means, Tensor logScales, Tensor out);

    /**
     * Backward of {@link #gaussianMixtureLogProb} with responsibilities r_nk = softmax_k(a_nk)·g_n: gz = −Σ_k r_nk(z −
     * μ_k)/σ_k² overwritten (may be null); gmeans += Σ_n r_nk(z − μ_k)/σ_k²; glogScales += Σ_n r_nk((z − μ_k)²/σ_k² − 1);
     * glogits += Σ_n (r_nk − π_k·g_n). Parameter sums in float64 per 64-row chunk, then in chunk order.
     */
    void gaussianMixtureLogProbBackward(Tensor z, Tensor logits, Tensor means, Tensor logScales, Tensor gOut, Tensor gz, Tensor glogits,
                                        Tensor gmeans, Tensor glogScales);

    /**
     * z_n = μ_c + T·σ_c·eps_n with c the first component whose cumulative weight exceeds the uniform draw u[n] (the last
     * when none does); u {@code [N]}, eps of z's shape {@code [N, …]} (standard normal).
     */
    void gaussianMixtureSample(Tensor logits, Tensor means, Tensor logScales, Tensor u, Tensor eps, float temperature, Tensor z);

    /**
     * The argument checks of the dist ops, one static method per op (named after it), run by every backend before it touches
     * data: each failure is a {@link dev.fluvia.FluviaException.ShapeException} whose message starts with the op name.
     */
    final class Checks {
        private Checks() {}

        public static void stdNormalLogProb(Tensor z, Tensor out) { perSample("stdNormalLogProb", "out", out, z); }

        public static void stdNormalLogProbBackward(Tensor z, Tensor gOut, Tensor gz) {
            perSample("stdNormalLogProbBackward", "gOut", gOut, z);
            same("stdNormalLogProbBackward", "z", z, "gz", gz);
        }

        public static void diagNormalLogProb(Tensor z, Tensor mu, Tensor logSigma, Tensor out) {
            perSample("diagNormalLogProb", "out", out, z);
            int d = z.rowSize();
            shape("diagNormalLogProb", "mu", mu, d);
            shape("diagNormalLogProb", "logSigma", logSigma, d);
        }

        public static void diagNormalLogProbBackward(Tensor z, Tensor mu, Tensor logSigma, Tensor gOut, Tensor gz, Tensor gmu, Tensor glogSigma) {
            perSample("diagNormalLogProbBackward", "gOut", gOut, z);
            int d = z.rowSize();
            shape("diagNormalLogProbBackward", "mu", mu, d);
            shape("diagNormalLogProbBackward", "logSigma", logSigma, d);
            shape("diagNormalLogProbBackward", "gmu", gmu, d);
            shape("diagNormalLogProbBackward", "glogSigma", glogSigma, d);
            if (gz != null) same("diagNormalLogProbBackward", "z", z, "gz", gz);
        }

        public static void condNormalLogProb(Tensor z, Tensor mu, Tensor logSigma, Tensor out) {
            perSample("condNormalLogProb", "out", out, z);
            same("condNormalLogProb", "z", z, "mu", mu);
            same("condNormalLogProb", "z", z, "logSigma", logSigma);
        }

        public static void condNormalLogProbBackward(Tensor z, Tensor mu, Tensor logSigma, Tensor gOut, Tensor gz, Tensor gmu, Tensor glogSigma) {
            String op = "condNormalLogProbBackward";
            perSample(op, "gOut", gOut, z);
            same(op, "z", z, "mu", mu);
            same(op, "z", z, "logSigma", logSigma);
            same(op, "z", z, "gmu", gmu);
            same(op, "z", z, "glogSigma", glogSigma);
            if (gz != null) same(op, "z", z, "gz", gz);
        }

        public static void condNormalSample(Tensor mu, Tensor logSigma, Tensor eps, Tensor z) {
            same("condNormalSample", "z", z, "mu", mu);
            same("condNormalSample", "z", z, "logSigma", logSigma);
            same("condNormalSample", "z", z, "eps", eps);
        }
        private static void bounds(String op, Tensor z, Tensor low, Tensor high) {
            int d = z.rowSize();
            shape(op, "low", low, d);
            shape(op, "high", high, d);
        }

        public static void uniformBoxLogProb(Tensor z, Tensor low, Tensor high, Tensor out) {
            perSample("uniformBoxLogProb", "out", out, z);
            bounds("uniformBoxLogProb", z, low, high);
        }

        public static void uniformBoxLogProbBackward(Tensor z, Tensor gOut, Tensor gz) {
            perSample("uniformBoxLogProbBackward", "gOut", gOut, z);
            same("uniformBoxLogProbBackward", "z", z, "gz", gz);
        }

        public static void uniformBoxSample(Tensor u, Tensor low, Tensor high, Tensor z) {
            same("uniformBoxSample", "z", z, "u", u);
            bounds("uniformBoxSample", z, low, high);
        }

        public static void logisticLogProb(Tensor z, Tensor out) { perSample("logisticLogProb", "out", out, z); }

        public static void logisticLogProbBackward(Tensor z, Tensor gOut, Tensor gz) {
            perSample("logisticLogProbBackward", "gOut", gOut, z);
            same("logisticLogProbBackward", "z", z, "gz", gz);
        }

        public static void logisticSample(Tensor u, Tensor z) { same("logisticSample", "z", z, "u", u); }

        private static void betaParams(String op, Tensor z, Tensor logAlpha, Tensor logBeta) {
            int d = z.rowSize();
            shape(op, "logAlpha", logAlpha, d);
            shape(op, "logBeta", logBeta, d);
        }

        public static void betaLogProb(Tensor z, Tensor logAlpha, Tensor logBeta, Tensor out) {
            perSample("betaLogProb", "out", out, z);
            betaParams("betaLogProb", z, logAlpha, logBeta);
        }

        public static void betaLogProbBackward(Tensor z, Tensor logAlpha, Tensor logBeta, Tensor gOut, Tensor gz, Tensor glogAlpha, Tensor glogBeta) {
            String op = "betaLogProbBackward";
            perSample(op, "gOut", gOut, z);
            betaParams(op, z, logAlpha, logBeta);
            int d = z.rowSize();
            shape(op, "glogAlpha", glogAlpha, d);
            shape(op, "glogBeta", glogBeta, d);
            if (gz != null) same(op, "z", z, "gz", gz);
        }

        public static void betaSample(Tensor logAlpha, Tensor logBeta, Tensor normals, Tensor uniforms, Tensor z) {
            String op = "betaSample";
            betaParams(op, z, logAlpha, logBeta);
            int n = z.dim(0), d = z.rowSize();
            shape(op, "normals", normals, n, d * BETA_NORMALS);
            shape(op, "uniforms", uniforms, n, d * BETA_UNIFORMS);
        }

        private static void mixture(String op, Tensor z, Tensor logits, Tensor means, Tensor logScales) {
            rank(op, "logits", logits, 1);
            int k = logits.dim(0), d = z.rowSize();
            require(k >= 1, op, "logits must have at least one component", logits);
            shape(op, "means", means, k, d);
            shape(op, "logScales", logScales, k, d);
        }

        public static void gaussianMixtureLogProb(Tensor z, Tensor logits, Tensor means, Tensor logScales, Tensor out) {
            perSample("gaussianMixtureLogProb", "out", out, z);
            mixture("gaussianMixtureLogProb", z, logits, means, logScales);
        }

        public static void gaussianMixtureLogProbBackward(Tensor z, Tensor logits, Tensor means, Tensor logScales, Tensor gOut, Tensor gz,
                                                          Tensor glogits, Tensor gmeans, Tensor glogScales) {
            String op = "gaussianMixtureLogProbBackward";
            perSample(op, "gOut", gOut, z);
            mixture(op, z, logits, means, logScales);
            same(op, "logits", logits, "glogits", glogits);
            same(op, "means", means, "gmeans", gmeans);
            same(op, "logScales", logScales, "glogScales", glogScales);
            if (gz != null) same(op, "z", z, "gz", gz);
        }

        public static void gaussianMixtureSample(Tensor logits, Tensor means, Tensor logScales, Tensor u, Tensor eps, Tensor z) {
            String op = "gaussianMixtureSample";
            mixture(op, z, logits, means, logScales);
            perSample(op, "u", u, z);
            same(op, "z", z, "eps", eps);
        }
    }
}
