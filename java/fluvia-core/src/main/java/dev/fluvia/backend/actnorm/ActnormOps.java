package dev.fluvia.backend.actnorm;

import static dev.fluvia.tensor.Shapes.perSample;
import static dev.fluvia.tensor.Shapes.rank;
import static dev.fluvia.tensor.Shapes.require;
import static dev.fluvia.tensor.Shapes.same;
import static dev.fluvia.tensor.Shapes.shape;

import dev.fluvia.backend.OpChecks;
import dev.fluvia.tensor.Index;
import dev.fluvia.tensor.Tensor;

/**
 * The actnorm family (docs/FLOWS.md "ActNorm"): per-channel affine normalisation of vectors {@code [N, C]} and images
 * {@code [N, C, H, W]} with parameters {@code logs, bias [C]}, its backward, and the data-dependent initialisation statistics.
 *
 * <p>The conventions of {@link dev.fluvia.backend.Backend} hold (float32 row-major; outputs {@code y, x, gx, gh}
 * overwritten; {@code ld} and parameter gradients accumulated into). {@link Checks} holds the argument checks every
 * backend runs first; {@code CpuActnorm} is the reference, {@code CudaActnorm} the kernels of {@code kernels/actnorm.cu},
 * {@code ActnormBench} the validate-and-benchmark entry that the parity test and the kernel benchmark are built from.
 */
public interface ActnormOps {

    /** y = x·exp(logs) + bias (bias may be null: NICE's diagonal scaling, standardisation); ld[n] += H·W·Σ_c logs_c. */
    void actnormForward(Tensor x, Tensor logs, Tensor bias, Tensor y, Tensor ld);

    /** x = (y − bias)·exp(−logs); ld[n] += −H·W·Σ_c logs_c. */
    void actnormInverse(Tensor y, Tensor logs, Tensor bias, Tensor x, Tensor ld);

    /** gx = gy·exp(logs) (overwrite, may be null); glogs_c += Σ_{n,hw} gy·x·exp(logs_c) + H·W·Σ_n gLd_n; gbias_c += Σ_{n,hw} gy (may be null). */
    void actnormBackward(Tensor x, Tensor logs, Tensor gy, Tensor gLd, Tensor gx, Tensor glogs, Tensor gbias);

    /** Per-channel mean and population standard deviation of x, one pass (Welford, merged in a fixed order). mean, std {@code [C]} overwritten. */
    void actnormInitStats(Tensor x, Tensor mean, Tensor std);

    /**
     * The argument checks of the actnorm ops, one static method per op (named after it), run by every backend before it touches
     * data: each failure is a {@link dev.fluvia.FluviaException.ShapeException} whose message starts with the op name.
     */
    final class Checks {
        private Checks() {}

        /** {@code xn, yn, ldn}: the op's own names of its input, output and log-det arguments. */
        private static void actnorm(String op, String xn, Tensor x, Tensor logs, Tensor bias, String yn, Tensor y, String ldn, Tensor ld) {
            rank(op, xn, x, 2, 4);
            int c = x.dim(1);
            shape(op, "logs", logs, c);
            if (bias != null) shape(op, "bias", bias, c);
            if (y != null) same(op, xn, x, yn, y);
            if (ld != null) perSample(op, ldn, ld, x);
        }

        public static void actnormForward(Tensor x, Tensor logs, Tensor bias, Tensor y, Tensor ld) {
            actnorm("actnormForward", "x", x, logs, bias, "y", y, "ld", ld);
        }

        public static void actnormInverse(Tensor y, Tensor logs, Tensor bias, Tensor x, Tensor ld) {
            actnorm("actnormInverse", "y", y, logs, bias, "x", x, "ld", ld);
        }

        public static void actnormBackward(Tensor x, Tensor logs, Tensor gy, Tensor gLd, Tensor gx, Tensor glogs, Tensor gbias) {
            actnorm("actnormBackward", "x", x, logs, null, "gx", gx, "gLd", gLd);
            same("actnormBackward", "x", x, "gy", gy);
            shape("actnormBackward", "glogs", glogs, x.dim(1));
            if (gbias != null) shape("actnormBackward", "gbias", gbias, x.dim(1));
        }

        public static void actnormInitStats(Tensor x, Tensor mean, Tensor std) {
            rank("actnormInitStats", "x", x, 2, 4);
            int c = x.dim(1);
            shape("actnormInitStats", "mean", mean, c);
            shape("actnormInitStats", "std", std, c);
        }
    }
}
