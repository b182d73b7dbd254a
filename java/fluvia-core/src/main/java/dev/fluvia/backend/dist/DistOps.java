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
 * diagonal and per-element conditional Gaussians; {@code out[n] +=}) and their backwards, and sampling the conditional
 * prior. Per-sample sums run in float64.
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
    }
}
