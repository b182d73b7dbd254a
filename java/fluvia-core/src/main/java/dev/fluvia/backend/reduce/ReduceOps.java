package dev.fluvia.backend.reduce;

import static dev.fluvia.tensor.Shapes.perSample;
import static dev.fluvia.tensor.Shapes.rank;
import static dev.fluvia.tensor.Shapes.require;
import static dev.fluvia.tensor.Shapes.same;
import static dev.fluvia.tensor.Shapes.shape;

import dev.fluvia.backend.OpChecks;
import dev.fluvia.tensor.Index;
import dev.fluvia.tensor.Tensor;
import java.util.List;

/**
 * The reduce family (docs/FLOWS.md "Numerics"): deterministic reductions accumulated in float64 in a fixed order (sums,
 * sums of squares, finiteness, the fused gradient status of a training step) and the parameter-only log-det terms
 * ({@code ld[n] += mult·Σ v}, and its backward).
 *
 * <p>The conventions of {@link dev.fluvia.backend.Backend} hold (float32 row-major; outputs {@code y, x, gx, gh}
 * overwritten; {@code ld} and parameter gradients accumulated into). {@link Checks} holds the argument checks every
 * backend runs first; {@code CpuReduce} is the reference, {@code CudaReduce} the kernels of {@code kernels/reduce.cu},
 * {@code ReduceBench} the validate-and-benchmark entry that the parity test and the kernel benchmark are built from.
 */
public interface ReduceOps {

    /** Σ of all elements, accumulated in float64 in a fixed order. */
    double sum(Tensor t);

    /** Σ t², accumulated in float64 in a fixed order (gradient norms). */
    double sumSquares(Tensor t);

    /** True when every element is finite. */
    boolean allFinite(Tensor t);

    /**
     * A training step's gradient checks in ONE device→host read: {@code {bad, sq}} where {@code bad} is 0 when every element
     * of every tensor is finite (and > 0 otherwise) and {@code sq} = Σ over the tensors of Σ x² (float64; null tensors are
     * skipped). The default is {@link #allFinite} and {@link #sumSquares} per tensor in list order (so the CPU's numbers are
     * exactly those of the per-tensor calls); the CUDA backend fuses them: one synchronisation per step instead of two per
     * tensor.
     */
    default double[] gradStatus(List<Tensor> ts) {
        double bad = 0, sq = 0;
        for (Tensor t : ts) {
            if (t == null) continue;
            if (!allFinite(t)) bad++;
            sq += sumSquares(t);
        }
        return new double[] {bad, sq};
    }

    /** A fresh {@link StepStatus} of this backend (construct it outside any allocation scope; close it when done). */
    StepStatus stepStatus();

    /** {@code st[slot] = Σ t / divisor} on the device, no read back (the loss of a step: {@code divisor = −N}). */
    void sumInto(Tensor t, double divisor, StepStatus st, int slot);

    /** {@link #gradStatus} written into {@code st[BAD], st[SQ]} on the device, no read back. */
    void gradStatusInto(List<Tensor> ts, StepStatus st);

    /**
     * On the device: {@code st[SKIP] = 1} when {@code st[LOSS]} is not finite or {@code st[BAD] ≠ 0} (else 0), and
     * {@code st[SCALE] = (float)(maxNorm/‖g‖)} when {@code maxNorm > 0} and the finite global norm {@code ‖g‖ = √st[SQ]}
     * exceeds it (else 1): global-norm clipping exactly as {@code train.GradClip.scaleTo} decides it on the host.
     */
    void clipScale(StepStatus st, double maxNorm);

    /** ld[n] += mult·Σ_i v_i for every n (LU's Σ log s, actnorm-like constant terms). */
    void addScaledSum(Tensor ld, Tensor v, float mult);

    /** g_i += mult·Σ_n gLd_n for every i (the backward of {@link #addScaledSum}). */
    void addScaledTotal(Tensor g, Tensor gLd, float mult);

    /**
     * The argument checks of the reduce ops, one static method per op (named after it), run by every backend before it touches
     * data: each failure is a {@link dev.fluvia.FluviaException.ShapeException} whose message starts with the op name.
     */
    final class Checks {
        private Checks() {}

        public static void addScaledSum(Tensor ld) { rank("addScaledSum", "ld", ld, 1); }

        public static void addScaledTotal(Tensor gLd) { rank("addScaledTotal", "gLd", gLd, 1); }
    }
}
