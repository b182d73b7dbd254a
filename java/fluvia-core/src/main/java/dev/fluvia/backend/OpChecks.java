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

    /** Spatial positions per sample: {@code H·W} of an NCHW tensor, 1 of a matrix. */
    public static int planeSize(Tensor x) { return x.rank() == 4 ? x.dim(2) * x.dim(3) : 1; }

    // ------------------------------------------------------------------ memory

    public static void upload(float[] src, Tensor dst) {
        require(src.length == dst.numel(), "upload", "host array has " + src.length + " elements", dst);
    }

    /** Largest element count of a Java array (a little under 2^31: some JVMs reserve header words). */
    public static final int MAX_HOST_ARRAY = Integer.MAX_VALUE - 8;

    /** The length of the host array {@code toHost} returns; a tensor too large for one Java array is rejected. */
    public static int toHost(Tensor t) {
        require(t.numel() <= MAX_HOST_ARRAY, "toHost", "the tensor has " + t.numel() + " elements, more than a Java float[] holds ("
                + MAX_HOST_ARRAY + "); copy it to the host in slices (view or copy parts of it)", t);
        return (int) t.numel();
    }

    public static void copy(Tensor src, Tensor dst) {
        require(src.numel() == dst.numel(), "copy", "element counts differ", src, dst);
    }

    // ------------------------------------------------------------------ dense

    /** The extents of {@code C[m, n] = op(A)[m, k] · op(B)[k, n]}. */
    public record GemmDims(int m, int n, int k) {}

    public static GemmDims gemm(boolean transA, boolean transB, Tensor a, Tensor b, Tensor c) {
        rank("gemm", "A", a, 2); rank("gemm", "B", b, 2); rank("gemm", "C", c, 2);
        int m = transA ? a.dim(1) : a.dim(0), k = transA ? a.dim(0) : a.dim(1);
        int kb = transB ? b.dim(1) : b.dim(0), n = transB ? b.dim(0) : b.dim(1);
        require(k == kb && c.dim(0) == m && c.dim(1) == n, "gemm",
                "op(A) is " + m + "x" + k + ", op(B) is " + kb + "x" + n + ", C must be " + m + "x" + n, a, b, c);
        return new GemmDims(m, n, k);
    }

    public static void linearForward(Tensor x, Tensor w, Tensor bias, Tensor pre, Tensor y) {
        rank("linearForward", "x", x, 2); rank("linearForward", "w", w, 2);
        int n = x.dim(0), in = x.dim(1), out = w.dim(0);
        require(w.dim(1) == in, "linearForward", "w must be [Out, " + in + "]", x, w);
        shape("linearForward", "y", y, n, out);
        if (pre != null) shape("linearForward", "pre", pre, n, out);
        if (bias != null) shape("linearForward", "bias", bias, out);
    }

    public static void activationBackward(Activation act, Tensor pre, Tensor y, Tensor gy, Tensor gpre) {
        same("activationBackward", "gy", gy, "gpre", gpre);
        same("activationBackward", "y", y, "gy", gy);
        if (pre != null) same("activationBackward", "pre", pre, "y", y);
        else require(act == Activation.IDENTITY || act == Activation.RELU || act == Activation.TANH,
                "activationBackward", act.id() + " needs the pre-activation", y);
    }

    public static void linearBackward(Tensor x, Tensor w, Tensor gpre, Tensor gx, Tensor gw, Tensor gb) {
        rank("linearBackward", "x", x, 2); rank("linearBackward", "w", w, 2);
        int n = x.dim(0), in = x.dim(1), out = w.dim(0);
        shape("linearBackward", "w", w, out, in);
        shape("linearBackward", "gpre", gpre, n, out);
        shape("linearBackward", "gw", gw, out, in);
        if (gb != null) shape("linearBackward", "gb", gb, out);
        if (gx != null) shape("linearBackward", "gx", gx, n, in);
    }

    public static void applyMask(Tensor w, Tensor mask, Tensor out) {
        same("applyMask", "w", w, "mask", mask);
        same("applyMask", "w", w, "out", out);
    }

    // ------------------------------------------------------------------ gather / scatter

    // ------------------------------------------------------------------ couplings

    /** True when every value (all in [0, bound)) occurs once. */
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

    public static void axpy(Tensor x, Tensor y) {
        require(x.numel() == y.numel(), "axpy", "element counts differ", x, y);
    }

    // ------------------------------------------------------------------ images

    public static void view(Tensor t, int... shape) {
        long n = 1;
        for (int s : shape) {
            require(s >= 0, "view", "negative extent in the new shape " + Arrays.toString(shape), t);
            n *= s;
        }
        require(n == t.numel(), "view", "the new shape " + Arrays.toString(shape) + " has " + n + " elements, the tensor " + t.numel(), t);
    }

    public static void activate(Tensor x, Tensor y) { same("activate", "x", x, "y", y); }

    /** Checks the shapes of a convolution and returns its kernel size k (1 or 3). */
    private static int conv(String op, Tensor x, Tensor w, String outName, Tensor out) {
        rank(op, "x", x, 4);
        rank(op, "w", w, 4);
        int k = w.dim(2);
        require(w.dim(3) == k && (k == 1 || k == 3), op, "kernel must be 1x1 or 3x3", x, w);
        require(w.dim(1) == x.dim(1), op, "w must be [Co, " + x.dim(1) + ", k, k]", x, w);
        if (out != null) shape(op, outName, out, x.dim(0), w.dim(0), x.dim(2), x.dim(3));
        return k;
    }

    /** Returns the kernel size k (1 or 3). */
    public static int conv2dForward(Tensor x, Tensor w, Tensor bias, Tensor y) {
        int k = conv("conv2dForward", x, w, "y", y);
        if (bias != null) shape("conv2dForward", "bias", bias, w.dim(0));
        return k;
    }

    /** Returns the kernel size k (1 or 3). */
    public static int conv2dBackward(Tensor x, Tensor w, Tensor gy, Tensor gx, Tensor gw, Tensor gb) {
        int k = conv("conv2dBackward", x, w, "gy", gy);
        same("conv2dBackward", "w", w, "gw", gw);
        if (gx != null) same("conv2dBackward", "x", x, "gx", gx);
        if (gb != null) shape("conv2dBackward", "gb", gb, w.dim(0));
        return k;
    }

    private static void squeezePair(String op, Tensor big, Tensor small) {
        rank(op, "x", big, 4);
        rank(op, "y", small, 4);
        require(big.dim(2) % 2 == 0 && big.dim(3) % 2 == 0, op, "height and width must be even, got " + big.dim(2) + "x" + big.dim(3), big);
        shape(op, "y", small, big.dim(0), 4 * big.dim(1), big.dim(2) / 2, big.dim(3) / 2);
    }

    public static void squeeze(Tensor x, Tensor y) { squeezePair("squeeze", x, y); }

    public static void unsqueeze(Tensor y, Tensor x) { squeezePair("unsqueeze", x, y); }

    /** {@code fullName, partName}: the op's own names of the whole tensor and of the channel block. */
    private static void channels(String op, String fullName, Tensor full, int start, String partName, Tensor part) {
        rank(op, fullName, full, 4);
        rank(op, partName, part, 4);
        require(full.dim(0) == part.dim(0) && full.dim(2) == part.dim(2) && full.dim(3) == part.dim(3), op,
                "batch and spatial extents must match", full, part);
        require(start >= 0 && start + part.dim(1) <= full.dim(1), op,
                "channels [" + start + ", " + (start + part.dim(1)) + ") out of range [0, " + full.dim(1) + ")", full, part);
    }

    public static void sliceChannels(Tensor x, int start, Tensor y) { channels("sliceChannels", "x", x, start, "y", y); }

    public static void placeChannels(Tensor src, int start, Tensor dst) { channels("placeChannels", "dst", dst, start, "src", src); }

    private static void logit(String op, String inName, Tensor in, float lambda, String outName, Tensor out, String ldName, Tensor ld) {
        require(lambda >= 0 && lambda < 0.5f, op, "lambda must be in [0, 0.5), got " + lambda, in);
        same(op, inName, in, outName, out);
        if (ld != null) perSample(op, ldName, ld, in);
    }

    public static void logitForward(Tensor x, float lambda, Tensor y, Tensor ld) { logit("logitForward", "x", x, lambda, "y", y, "ld", ld); }

    public static void logitInverse(Tensor y, float lambda, Tensor x, Tensor ld) { logit("logitInverse", "y", y, lambda, "x", x, "ld", ld); }

    public static void logitBackward(Tensor x, float lambda, Tensor gy, Tensor gLd, Tensor gx) {
        logit("logitBackward", "x", x, lambda, "gx", gx, "gLd", gLd);
        same("logitBackward", "x", x, "gy", gy);
    }
}
