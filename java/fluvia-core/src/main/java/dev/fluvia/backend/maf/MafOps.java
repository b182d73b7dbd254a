package dev.fluvia.backend.maf;

import static dev.fluvia.tensor.Shapes.perSample;
import static dev.fluvia.tensor.Shapes.rank;
import static dev.fluvia.tensor.Shapes.require;
import static dev.fluvia.tensor.Shapes.same;
import static dev.fluvia.tensor.Shapes.shape;

import dev.fluvia.backend.OpChecks;
import dev.fluvia.tensor.Index;
import dev.fluvia.tensor.Tensor;
import dev.fluvia.backend.Activation;
import java.util.List;

/**
 * The MAF family (docs/FLOWS.md "MAF / IAF"): the masked autoregressive transform of vectors {@code x [N, D]} given the
 * MADE's output {@code h [N, 2D]} ({@code h[:, d] = μ_d}, {@code h[:, D+d]} = raw α_d), its backward, and the sequential
 * sampling direction through the whole MADE in one op.
 *
 * <p>The conventions of {@link dev.fluvia.backend.Backend} hold (float32 row-major; outputs {@code y, x, gx, gh}
 * overwritten; {@code ld} and parameter gradients accumulated into). {@link Checks} holds the argument checks every
 * backend runs first; {@code CpuMaf} is the reference, {@code CudaMaf} the kernels of {@code kernels/maf.cu},
 * {@code MafBench} the validate-and-benchmark entry that the parity test and the kernel benchmark are built from.
 */
public interface MafOps {

    /** MAF density direction: α = c·tanh(raw/c), z = (x − μ)·exp(−α); ld[n] += −Σ_d α_d. */
    void mafForward(Tensor x, Tensor h, float clamp, Tensor z, Tensor ld);

    /** Backward of {@link #mafForward}: gx = gz·exp(−α) (direct path only, overwrite); gh overwrite. */
    void mafBackward(Tensor x, Tensor h, float clamp, Tensor gz, Tensor gLd, Tensor gx, Tensor gh);

    /**
     * MAF sampling direction, sequential over {@code order}: x_d = z_d·exp(α_d) + μ_d where (μ, α) come from the MADE
     * {@code weights[i]} {@code [Out_i, In_i]} (masks already folded in), {@code biases[i]}, hidden activation {@code act}
     * (identity on the output layer). ld[n] += Σ_d α_d. One op so that a backend can keep the work on chip.
     */
    void mafInverse(List<Tensor> weights, List<Tensor> biases, Activation act, Index order, float clamp, Tensor z, Tensor x, Tensor ld);

    /**
     * The argument checks of the maf ops, one static method per op (named after it), run by every backend before it touches
     * data: each failure is a {@link dev.fluvia.FluviaException.ShapeException} whose message starts with the op name.
     */
    final class Checks {
        private Checks() {}

        /** Layer {@code i} of {@link #mafInverse}: its bias matches its outputs and its inputs the previous layer's outputs. */
        public static void mafInverseLayer(List<Tensor> weights, List<Tensor> biases, int i) {
            Tensor w = weights.get(i), b = biases.get(i);
            require(b.numel() == w.dim(0) && (i == 0 || w.dim(1) == weights.get(i - 1).dim(0)), "mafInverse",
                    "layer " + i + " shapes do not chain", w, b);
        }

        private static void maf(String op, Tensor x, Tensor hh, String outName, Tensor out, String ldName, Tensor ld) {
            rank(op, "x", x, 2);
            shape(op, "h", hh, x.dim(0), 2 * x.dim(1));
            same(op, "x", x, outName, out);
            if (ld != null) perSample(op, ldName, ld, x);
        }

        public static void mafForward(Tensor x, Tensor hh, Tensor z, Tensor ld) { maf("mafForward", x, hh, "z", z, "ld", ld); }

        public static void mafBackward(Tensor x, Tensor hh, Tensor gz, Tensor gLd, Tensor gx, Tensor gh) {
            maf("mafBackward", x, hh, "gx", gx, "gLd", gLd);
            same("mafBackward", "x", x, "gz", gz);
            same("mafBackward", "h", hh, "gh", gh);
        }

        /** The checks of the arguments as a whole; the per-layer chaining is {@link #mafInverseLayer}. */
        public static void mafInverse(List<Tensor> weights, List<Tensor> biases, Index order, Tensor z, Tensor x, Tensor ld) {
            rank("mafInverse", "z", z, 2);
            int d = z.dim(1), layers = weights.size();
            same("mafInverse", "z", z, "x", x);
            perSample("mafInverse", "ld", ld, z);
            require(order.size() == d, "mafInverse", "order has " + order.size() + " entries, expected " + d, z);
            require(OpChecks.distinct(order.raw(), d), "mafInverse", "order must be a permutation of 0.." + (d - 1), z);
            require(biases.size() == layers && layers >= 1, "mafInverse", "need one bias per weight", z);
            for (int i = 0; i < layers; i++) rank("mafInverse", "weights[" + i + "]", weights.get(i), 2);
            require(weights.get(0).dim(1) == d && weights.get(layers - 1).dim(0) == 2 * d, "mafInverse",
                    "first layer must take " + d + " inputs and last produce " + 2 * d, weights.get(0), weights.get(layers - 1));
        }
    }
}
