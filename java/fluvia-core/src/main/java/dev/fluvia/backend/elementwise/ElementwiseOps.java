package dev.fluvia.backend.elementwise;

import static dev.fluvia.tensor.Shapes.rank;
import static dev.fluvia.tensor.Shapes.require;

import dev.fluvia.tensor.Tensor;

/**
 * The elementwise family: the BLAS-1 ops of training ({@code scale}, {@code axpy}) and the <b>generic primitives</b>
 * with which a new layer can be written before anyone fuses it (docs/FLOWS.md "Numerics"; issue 9): element-wise unary
 * maps ({@link Unary}: log, exp, softplus, sigmoid, tanh, ...), binary maps with row or column broadcasting
 * ({@link Binary}: add, sub, mul, div, ...), and per-row reductions (sum, log-sum-exp). The fused family ops
 * (e.g. {@code coupling().affineCouplingForward}) are optimisations of compositions of these, and
 * {@code FusedOpCompositionTest} compares them. gather / scatter are in the coupling family.
 *
 * <p>A tensor of rank ≥ 2 is read as the 2-D view {@code [rows, rowSize]} ({@code [N, C·H·W]} for an image); a vector
 * {@code [N]} as {@code [N, 1]}. Outputs are overwritten and may be the input (in place). Values are computed in double
 * and rounded once; row reductions accumulate in double.
 */
public interface ElementwiseOps {

    /** t *= s. */
    void scale(Tensor t, float s);

    /** y += a·x (same number of elements). */
    void axpy(float a, Tensor x, Tensor y);

    /** y = f(x) element-wise; y has x's element count and may be x. */
    void map(Unary f, Tensor x, Tensor y);

    /**
     * out[r, c] = a[r, c] ∘ b, over a's view {@code [rows, cols]}: b has a's shape (element by element), or is
     * {@code [cols]} (a row vector, broadcast over the rows), or {@code [rows]} / {@code [rows, 1]} (a column vector,
     * broadcast over the columns; for a square a pass {@code [rows, 1]}). out has a's element count and may be a.
     */
    void map(Binary f, Tensor a, Tensor b, Tensor out);

    /** out[r] = Σ_c x[r, c] (overwritten), accumulated in double. out {@code [rows]}. */
    void rowSum(Tensor x, Tensor out);

    /** out[r] = log Σ_c exp x[r, c] (overwritten), shifted by the row maximum, in double. out {@code [rows]}. */
    void rowLogSumExp(Tensor x, Tensor out);

    /** The argument checks of the elementwise ops (named after them). */
    final class Checks {
        private Checks() {}

        /**
         * How b is broadcast against a in {@link #map(Binary, Tensor, Tensor, Tensor)}: 0 element by element (b has a's shape,
         * or else a's element count), 1 a row vector ({@code [cols]}), 2 a column vector ({@code [rows]} or {@code [rows, 1]});
         * -1 none of these. A shape equal to a's wins, then the row form, then the column form.
         */
        private static int broadcastMode(Tensor a, Tensor b) {
            int rows = a.rows(), cols = a.rowSize();
            if (java.util.Arrays.equals(a.shape(), b.shape())) return 0;
            if (b.rank() == 1 && b.dim(0) == cols) return 1;
            if (b.rank() == 1 && b.dim(0) == rows || b.rank() == 2 && b.dim(0) == rows && b.dim(1) == 1) return 2;
            return b.numel() == a.numel() ? 0 : -1;
        }


        public static void axpy(Tensor x, Tensor y) {
            require(x.numel() == y.numel(), "axpy", "element counts differ", x, y);
        }

        public static void map(Tensor x, Tensor y) {
            require(x.numel() == y.numel(), "map", "x and y must have the same element count", x, y);
        }

        /** Returns the broadcast mode (0 element by element, 1 row vector, 2 column vector). */
        public static int map(Tensor a, Tensor b, Tensor out) {
            require(a.numel() == out.numel(), "map", "a and out must have the same element count", a, out);
            int mode = broadcastMode(a, b);
            require(mode >= 0, "map", "b must have a's element count, or be [" + a.rowSize() + "] (a row) or [" + a.rows()
                    + "] (a column) of a's view [" + a.rows() + ", " + a.rowSize() + "]", a, b);
            require(a.rows() <= Integer.MAX_VALUE && a.rowSize() <= Integer.MAX_VALUE, "map", "too many rows or columns", a);
            return mode;
        }

        public static void rowSum(Tensor x, Tensor out) { perRow("rowSum", x, out); }

        public static void rowLogSumExp(Tensor x, Tensor out) { perRow("rowLogSumExp", x, out); }

        private static void perRow(String op, Tensor x, Tensor out) {
            rank(op, "out", out, 1);
            require(out.dim(0) == x.rows(), op, "out must have one entry per row of x (" + x.rows() + ")", x, out);
            require(x.rowSize() <= Integer.MAX_VALUE, op, "rows too long", x);
        }
    }
}
