package dev.fluvia.backend;

import static dev.fluvia.tensor.Shapes.perSample;
import static dev.fluvia.tensor.Shapes.rank;
import static dev.fluvia.tensor.Shapes.require;
import static dev.fluvia.tensor.Shapes.same;
import static dev.fluvia.tensor.Shapes.shape;

import dev.fluvia.tensor.Index;
import dev.fluvia.tensor.Tensor;
import java.util.Arrays;
import java.util.List;

/**
 * The argument checks of the {@link Backend} ops, one static method per op (named after it), called by every backend
 * before it touches data, so that all backends reject the same arguments with the same message. Every failure is a
 * {@link dev.fluvia.FluviaException.ShapeException} whose message starts with the op name and names the shapes involved.
 * A backend may add checks its kernels alone need (the CUDA backend requires distinct mask indices, for instance) after
 * these.
 */
public final class OpChecks {
    private OpChecks() {}

    /**
     * Spatial positions per sample: {@code H·W} of an NCHW tensor, 1 of a matrix.
     *
     * @param x a tensor of rank 2 or 4
     * @return {@code H·W} for rank 4, otherwise 1
     */
    public static int planeSize(Tensor x) { return x.rank() == 4 ? x.dim(2) * x.dim(3) : 1; }

    // ------------------------------------------------------------------ memory

    /**
     * Checks {@link Backend#upload}.
     *
     * @param src the host array
     * @param dst the destination tensor
     * @throws dev.fluvia.FluviaException.ShapeException when {@code src.length != dst.numel()}
     */
    public static void upload(float[] src, Tensor dst) {
        require(src.length == dst.numel(), "upload", "host array has " + src.length + " elements", dst);
    }

    /** Largest element count of a Java array (a little under 2^31: some JVMs reserve header words). */
    public static final int MAX_HOST_ARRAY = Integer.MAX_VALUE - 8;

    /**
     * The length of the host array {@code toHost} returns; a tensor too large for one Java array is rejected.
     *
     * @param t the tensor to copy to the host
     * @return {@code t.numel()} as an int
     * @throws dev.fluvia.FluviaException.ShapeException when it has more than {@link #MAX_HOST_ARRAY} elements
     */
    public static int toHost(Tensor t) {
        require(t.numel() <= MAX_HOST_ARRAY, "toHost", "the tensor has " + t.numel() + " elements, more than a Java float[] holds ("
                + MAX_HOST_ARRAY + "); copy it to the host in slices (view or copy parts of it)", t);
        return (int) t.numel();
    }

    /**
     * Checks {@link Backend#copy}.
     *
     * @param src the tensor read
     * @param dst the tensor written
     * @throws dev.fluvia.FluviaException.ShapeException when the element counts differ
     */
    public static void copy(Tensor src, Tensor dst) {
        require(src.numel() == dst.numel(), "copy", "element counts differ", src, dst);
    }

    // ------------------------------------------------------------------ dense

    /**
     * The extents of {@code C[m, n] = op(A)[m, k] · op(B)[k, n]}.
     *
     * @param m rows of {@code C} and of {@code op(A)}
     * @param n columns of {@code C} and of {@code op(B)}
     * @param k the inner extent summed over
     */
    public record GemmDims(int m, int n, int k) {}

    // ------------------------------------------------------------------ gather / scatter

    // ------------------------------------------------------------------ couplings

    /**
     * True when every value (all in [0, bound)) occurs once.
     *
     * @param v     the values
     * @param bound the exclusive upper bound of a valid value
     * @return {@code true} when every value is in {@code [0, bound)} and none repeats
     */
    public static boolean distinct(int[] v, int bound) {
        boolean[] seen = new boolean[bound];
        for (int x : v) {
            if (x < 0 || x >= bound || seen[x]) return false;
            seen[x] = true;
        }
        return true;
    }

    // ------------------------------------------------------------------ actnorm

    // ------------------------------------------------------------------ LU

    // ------------------------------------------------------------------ parameter-only log-det terms

    // ------------------------------------------------------------------ MAF

    // ------------------------------------------------------------------ distributions

    // ------------------------------------------------------------------ element-wise and optimizers

    // ------------------------------------------------------------------ images

    /**
     * Checks {@link Backend#view}.
     *
     * @param t     the base tensor
     * @param shape the new extents
     * @throws dev.fluvia.FluviaException.ShapeException when an extent is negative or the element counts differ
     */
    public static void view(Tensor t, int... shape) {
        long n = 1;
        for (int s : shape) {
            require(s >= 0, "view", "negative extent in the new shape " + Arrays.toString(shape), t);
            n *= s;
        }
        require(n == t.numel(), "view", "the new shape " + Arrays.toString(shape) + " has " + n + " elements, the tensor " + t.numel(), t);
    }

}
