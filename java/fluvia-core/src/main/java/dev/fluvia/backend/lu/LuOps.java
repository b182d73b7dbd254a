package dev.fluvia.backend.lu;

import static dev.fluvia.tensor.Shapes.perSample;
import static dev.fluvia.tensor.Shapes.rank;
import static dev.fluvia.tensor.Shapes.require;
import static dev.fluvia.tensor.Shapes.same;
import static dev.fluvia.tensor.Shapes.shape;

import dev.fluvia.backend.OpChecks;
import dev.fluvia.tensor.Index;
import dev.fluvia.tensor.Tensor;

/**
 * The LU family (docs/FLOWS.md "Invertible linear / 1×1 convolution (LU)"): the weight {@code W = P·L'·U'} of an
 * LU-decomposed invertible linear map or 1×1 convolution, its exact solve (never a general inverse), and the map of
 * {@code ∂L/∂W} to the factors.
 *
 * <p>The conventions of {@link dev.fluvia.backend.Backend} hold (float32 row-major; outputs {@code y, x, gx, gh}
 * overwritten; {@code ld} and parameter gradients accumulated into). {@link Checks} holds the argument checks every
 * backend runs first; {@code CpuLu} is the reference, {@code CudaLu} the kernels of {@code kernels/lu.cu},
 * {@code LuBench} the validate-and-benchmark entry that the parity test and the kernel benchmark are built from.
 */
public interface LuOps {

    /**
     * W = P·L'·U' with L' = I + strictLower(lower), U' = strictUpper(upper) + diag(sign·exp(logs)); (P·M)[i, :] = M[perm[i], :].
     * lower, upper, w {@code [C, C]}; logs, sign {@code [C]}.
     */
    void luAssemble(Index perm, Tensor lower, Tensor upper, Tensor logs, Tensor sign, Tensor w);

    /** x_n = W⁻¹·y_n for every row (vectors) or pixel (images), by Pᵀ, then forward then back substitution — never a general inverse. */
    void luSolve(Index perm, Tensor lower, Tensor upper, Tensor logs, Tensor sign, Tensor y, Tensor x);

    /** Maps gw = ∂L/∂W to the LU parameters: glower += strictLower(Pᵀ·gw·U'ᵀ), gupper += strictUpper(L'ᵀ·Pᵀ·gw), glogs += diag(L'ᵀ·Pᵀ·gw)·sign·exp(logs). */
    void luWeightBackward(Index perm, Tensor lower, Tensor upper, Tensor logs, Tensor sign, Tensor gw, Tensor glower, Tensor gupper, Tensor glogs);

    /**
     * The argument checks of the lu ops, one static method per op (named after it), run by every backend before it touches
     * data: each failure is a {@link dev.fluvia.FluviaException.ShapeException} whose message starts with the op name.
     */
    final class Checks {
        private Checks() {}

        /** The checks of every LU op on the factors; {@code op} names the op in messages. */
        public static void luFactors(String op, Index perm, Tensor lower, Tensor upper, Tensor logs, Tensor sign) {
            rank(op, "logs", logs, 1);
            int c = logs.dim(0);
            shape(op, "lower", lower, c, c);
            shape(op, "upper", upper, c, c);
            shape(op, "sign", sign, c);
            require(perm.size() == c, op, "permutation has " + perm.size() + " entries, expected " + c, logs);
            require(OpChecks.distinct(perm.raw(), c), op, "perm must be a permutation of 0.." + (c - 1), logs);
        }

        public static void luAssemble(Index perm, Tensor lower, Tensor upper, Tensor logs, Tensor sign, Tensor w) {
            luFactors("luAssemble", perm, lower, upper, logs, sign);
            int c = logs.dim(0);
            shape("luAssemble", "w", w, c, c);
        }

        public static void luSolve(Index perm, Tensor lower, Tensor upper, Tensor logs, Tensor sign, Tensor y, Tensor x) {
            luFactors("luSolve", perm, lower, upper, logs, sign);
            rank("luSolve", "y", y, 2, 4);
            int c = logs.dim(0);
            require(y.dim(1) == c, "luSolve", "y must have " + c + " features/channels", y, logs);
            same("luSolve", "y", y, "x", x);
        }

        public static void luWeightBackward(Index perm, Tensor lower, Tensor upper, Tensor logs, Tensor sign,
                                            Tensor gw, Tensor glower, Tensor gupper, Tensor glogs) {
            luFactors("luWeightBackward", perm, lower, upper, logs, sign);
            int c = logs.dim(0);
            shape("luWeightBackward", "gw", gw, c, c);
            shape("luWeightBackward", "glower", glower, c, c);
            shape("luWeightBackward", "gupper", gupper, c, c);
            shape("luWeightBackward", "glogs", glogs, c);
        }
    }
}
