package dev.fluvia.backend.image;

import static dev.fluvia.tensor.Shapes.perSample;
import static dev.fluvia.tensor.Shapes.rank;
import static dev.fluvia.tensor.Shapes.require;
import static dev.fluvia.tensor.Shapes.same;
import static dev.fluvia.tensor.Shapes.shape;

import dev.fluvia.backend.OpChecks;
import dev.fluvia.tensor.Index;
import dev.fluvia.tensor.Tensor;

/**
 * The image family (docs/FLOWS.md "Multi-scale (Glow)", "Logit pre-processing"): layout ops of NCHW images (squeeze,
 * channel slices) and the logit pre-processing with its log-det.
 *
 * <p>The conventions of {@link dev.fluvia.backend.Backend} hold (float32 row-major; outputs {@code y, x, gx, gh}
 * overwritten; {@code ld} and parameter gradients accumulated into). {@link Checks} holds the argument checks every
 * backend runs first; {@code CpuImage} is the reference, {@code CudaImage} the kernels of {@code kernels/image.cu},
 * {@code ImageBench} the validate-and-benchmark entry that the parity test and the kernel benchmark are built from.
 */
public interface ImageOps {

    /**
     * Space-to-depth: x {@code [N, C, H, W]} (H, W even) → y {@code [N, 4C, H/2, W/2]} with
     * {@code y[n, 4c + 2i + j, h, w] = x[n, c, 2h + i, 2w + j]} (i, j ∈ {0, 1}; Glow's order).
     */
    void squeeze(Tensor x, Tensor y);

    /** The inverse of {@link #squeeze}: y {@code [N, 4C, H/2, W/2]} → x {@code [N, C, H, W]}. */
    void unsqueeze(Tensor y, Tensor x);

    /** y = x[:, start : start + C', :, :]; x {@code [N, C, H, W]}, y {@code [N, C', H, W]} (overwritten). */
    void sliceChannels(Tensor x, int start, Tensor y);

    /** dst[:, start : start + C', :, :] = src (other channels untouched); src {@code [N, C', H, W]}, dst {@code [N, C, H, W]}. */
    void placeChannels(Tensor src, int start, Tensor dst);

    /**
     * Logit pre-processing: p = λ + (1−2λ)·x, y = log p − log(1−p); ld[n] += Σ log(1−2λ) − log p − log(1−p).
     * Defined for p ∈ (0, 1); outside it the output is NaN (the layer checks its input range).
     */
    void logitForward(Tensor x, float lambda, Tensor y, Tensor ld);

    /** Inverse of {@link #logitForward}: p = sigmoid(y), x = (p − λ)/(1−2λ); ld[n] += −Σ (log(1−2λ) − log p − log(1−p)). */
    void logitInverse(Tensor y, float lambda, Tensor x, Tensor ld);

    /** Backward of {@link #logitForward}: gx = gy·(1−2λ)/(p(1−p)) + gLd[n]·(1−2λ)(2p−1)/(p(1−p)) (overwrite). */
    void logitBackward(Tensor x, float lambda, Tensor gy, Tensor gLd, Tensor gx);

    /**
     * The argument checks of the image ops, one static method per op (named after it), run by every backend before it touches
     * data: each failure is a {@link dev.fluvia.FluviaException.ShapeException} whose message starts with the op name.
     */
    final class Checks {
        private Checks() {}

        private static void logit(String op, String inName, Tensor in, float lambda, String outName, Tensor out, String ldName, Tensor ld) {
            require(lambda >= 0 && lambda < 0.5f, op, "lambda must be in [0, 0.5), got " + lambda, in);
            same(op, inName, in, outName, out);
            if (ld != null) perSample(op, ldName, ld, in);
        }

        /** {@code fullName, partName}: the op's own names of the whole tensor and of the channel block. */
        private static void channels(String op, String fullName, Tensor full, int start, String partName, Tensor part) {
            rank(op, fullName, full, 4);
            rank(op, partName, part, 4);
            require(full.dim(0) == part.dim(0) && full.dim(2) == part.dim(2) && full.dim(3) == part.dim(3), op,
                    "batch and spatial extents must match", full, part);
            require(start >= 0 && start + part.dim(1) <= full.dim(1), op,
                    "channels [" + start + ", " + (start + part.dim(1)) + ") out of range [0, " + full.dim(1) + ")", full, part);
        }

        private static void squeezePair(String op, Tensor big, Tensor small) {
            rank(op, "x", big, 4);
            rank(op, "y", small, 4);
            require(big.dim(2) % 2 == 0 && big.dim(3) % 2 == 0, op, "height and width must be even, got " + big.dim(2) + "x" + big.dim(3), big);
            shape(op, "y", small, big.dim(0), 4 * big.dim(1), big.dim(2) / 2, big.dim(3) / 2);
        }

        public static void squeeze(Tensor x, Tensor y) { squeezePair("squeeze", x, y); }

        public static void unsqueeze(Tensor y, Tensor x) { squeezePair("unsqueeze", x, y); }

        public static void sliceChannels(Tensor x, int start, Tensor y) { channels("sliceChannels", "x", x, start, "y", y); }

        public static void placeChannels(Tensor src, int start, Tensor dst) { channels("placeChannels", "dst", dst, start, "src", src); }

        public static void logitForward(Tensor x, float lambda, Tensor y, Tensor ld) { logit("logitForward", "x", x, lambda, "y", y, "ld", ld); }

        public static void logitInverse(Tensor y, float lambda, Tensor x, Tensor ld) { logit("logitInverse", "y", y, lambda, "x", x, "ld", ld); }

        public static void logitBackward(Tensor x, float lambda, Tensor gy, Tensor gLd, Tensor gx) {
            logit("logitBackward", "x", x, lambda, "gx", gx, "gLd", gLd);
            same("logitBackward", "x", x, "gy", gy);
        }
    }
}
