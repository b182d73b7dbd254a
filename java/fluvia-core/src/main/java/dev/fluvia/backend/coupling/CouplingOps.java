package dev.fluvia.backend.coupling;

import static dev.fluvia.tensor.Shapes.perSample;
import static dev.fluvia.tensor.Shapes.rank;
import static dev.fluvia.tensor.Shapes.require;
import static dev.fluvia.tensor.Shapes.same;
import static dev.fluvia.tensor.Shapes.shape;

import dev.fluvia.backend.OpChecks;
import dev.fluvia.tensor.Index;
import dev.fluvia.tensor.Tensor;
import dev.fluvia.backend.CouplingScale;

/**
 * The coupling family (docs/FLOWS.md "Affine coupling", "Additive coupling", "Permutations"): the fused affine and additive
 * couplings of vectors {@code x [N, D]} with transformed dims {@code b} ({@code K = |b|}), and the gather / scatter that
 * permutations and coupling splits are made of.
 *
 * <p>The conventions of {@link dev.fluvia.backend.Backend} hold (float32 row-major; outputs {@code y, x, gx, gh}
 * overwritten; {@code ld} and parameter gradients accumulated into). {@link Checks} holds the argument checks every
 * backend runs first; {@code CpuCoupling} is the reference, {@code CudaCoupling} the kernels of {@code kernels/coupling.cu},
 * {@code CouplingBench} the validate-and-benchmark entry that the parity test and the kernel benchmark are built from.
 */
public interface CouplingOps {

    /** out[n, k] = x[n, idx[k]]. x {@code [N, D]}, out {@code [N, K]}. A permutation layer is gather with a full permutation. */
    void gather(Tensor x, Index idx, Tensor out);

    /** dst[n, idx[k]] += src[n, k]. src {@code [N, K]}, dst {@code [N, D]}. */
    void scatterAdd(Tensor src, Index idx, Tensor dst);

    /**
     * Affine coupling, forward (x → y) with fused log-det. h {@code [N, 2K]}: h[:, k] is the raw scale of dim b[k], h[:, K+k] its shift t.
     * SOFTCLAMP: log s = c·tanh(h/c), y_b = x_b·exp(log s) + t. SIGMOID: s = sigmoid(h + 2), y_b = (x_b + t)·s.
     * y[:, d] = x[:, d] for d ∉ b. ld[n] += Σ_k log s.
     */
    void affineCouplingForward(Tensor x, Tensor h, Index b, CouplingScale scale, float clamp, Tensor y, Tensor ld);

    /** Inverse (y → x): SOFTCLAMP x_b = (y_b − t)·exp(−log s); SIGMOID x_b = y_b / s − t. x[:, d] = y[:, d] for d ∉ b. ld[n] += −Σ_k log s. */
    void affineCouplingInverse(Tensor y, Tensor h, Index b, CouplingScale scale, float clamp, Tensor x, Tensor ld);

    /**
     * Backward of the forward direction, one pass: given x, h, gy = ∂L/∂y and gLd, writes
     * gx (d ∉ b: gy; d ∈ b: gy·∂y_b/∂x_b — the conditioner's path into x_a is added by the layer) and gh = ∂L/∂h (both overwritten).
     */
    void affineCouplingBackward(Tensor x, Tensor h, Index b, CouplingScale scale, float clamp, Tensor gy, Tensor gLd, Tensor gx, Tensor gh);

    /** Additive coupling (NICE), forward: y_b = x_b + m, m {@code [N, K]}; y[:, d] = x[:, d] for d ∉ b. log-det 0. */
    void additiveCouplingForward(Tensor x, Tensor m, Index b, Tensor y);

    /** Additive coupling, inverse: x_b = y_b − m. */
    void additiveCouplingInverse(Tensor y, Tensor m, Index b, Tensor x);

    /**
     * The argument checks of the coupling ops, one static method per op (named after it), run by every backend before it touches
     * data: each failure is a {@link dev.fluvia.FluviaException.ShapeException} whose message starts with the op name.
     */
    final class Checks {
        private Checks() {}

        /** {@code xn, hn, yn, ldn}: the op's own names of its input, conditioner output, output and log-det arguments. */
        private static void coupling(String op, String xn, Tensor x, String hn, Tensor h, Index b, int hMult,
                                     String yn, Tensor y, String ldn, Tensor ld) {
            rank(op, xn, x, 2);
            int n = x.dim(0), d = x.dim(1), k = b.size();
            shape(op, hn, h, n, hMult * k);
            same(op, xn, x, yn, y);
            if (ld != null) perSample(op, ldn, ld, x);
            for (int v : b.raw()) require(v >= 0 && v < d, op, "mask index " + v + " out of range [0," + d + ")", x);
            require(OpChecks.distinct(b.raw(), d), op, "mask indices must not repeat", x);
        }

        public static void gather(Tensor x, Index idx, Tensor out) {
            rank("gather", "x", x, 2);
            int n = x.dim(0), d = x.dim(1), k = idx.size();
            shape("gather", "out", out, n, k);
            for (int v : idx.raw()) require(v >= 0 && v < d, "gather", "index " + v + " out of range [0," + d + ")", x);
        }

        public static void scatterAdd(Tensor src, Index idx, Tensor dst) {
            rank("scatterAdd", "dst", dst, 2);
            int n = dst.dim(0), d = dst.dim(1), k = idx.size();
            shape("scatterAdd", "src", src, n, k);
            for (int v : idx.raw()) require(v >= 0 && v < d, "scatterAdd", "index " + v + " out of range [0," + d + ")", dst);
        }

        public static void affineCouplingForward(Tensor x, Tensor h, Index b, Tensor y, Tensor ld) {
            coupling("affineCouplingForward", "x", x, "h", h, b, 2, "y", y, "ld", ld);
        }

        public static void affineCouplingInverse(Tensor y, Tensor h, Index b, Tensor x, Tensor ld) {
            coupling("affineCouplingInverse", "y", y, "h", h, b, 2, "x", x, "ld", ld);
        }

        public static void affineCouplingBackward(Tensor x, Tensor h, Index b, Tensor gy, Tensor gLd, Tensor gx, Tensor gh) {
            coupling("affineCouplingBackward", "x", x, "h", h, b, 2, "gx", gx, "gLd", gLd);
            same("affineCouplingBackward", "x", x, "gy", gy);
            same("affineCouplingBackward", "h", h, "gh", gh);
        }

        public static void additiveCouplingForward(Tensor x, Tensor m, Index b, Tensor y) {
            coupling("additiveCouplingForward", "x", x, "m", m, b, 1, "y", y, "ld", null);
        }

        public static void additiveCouplingInverse(Tensor y, Tensor m, Index b, Tensor x) {
            coupling("additiveCouplingInverse", "y", y, "m", m, b, 1, "x", x, "ld", null);
        }
    }
}
