package dev.fluvia.backend.conv;

import static dev.fluvia.tensor.Shapes.perSample;
import static dev.fluvia.tensor.Shapes.rank;
import static dev.fluvia.tensor.Shapes.require;
import static dev.fluvia.tensor.Shapes.same;
import static dev.fluvia.tensor.Shapes.shape;

import dev.fluvia.backend.OpChecks;
import dev.fluvia.tensor.Index;
import dev.fluvia.tensor.Tensor;

/**
 * The conv family (docs/FLOWS.md "Glow conditioner"): 2-D convolution (cross-correlation), stride 1, zero "same" padding,
 * odd square kernel k ∈ {1, 3}, and its backward. The CPU runs a direct convolution ({@code backend.cpu.DirectConv}); CUDA
 * runs im2col / col2im kernels and one cuBLAS GEMM per sample.
 *
 * <p>The conventions of {@link dev.fluvia.backend.Backend} hold (float32 row-major; outputs {@code y, x, gx, gh}
 * overwritten; {@code ld} and parameter gradients accumulated into). {@link Checks} holds the argument checks every
 * backend runs first; {@code CpuConv} is the reference, {@code CudaConv} the kernels of {@code kernels/conv.cu},
 * {@code ConvBench} the validate-and-benchmark entry that the parity test and the kernel benchmark are built from.
 */
public interface ConvOps {

    /**
     * 2-D convolution (cross-correlation), stride 1, zero "same" padding, odd square kernel k ∈ {1, 3}:
     * {@code y[n,o,h,w] = bias[o] + Σ_{c,i,j} w[o,c,i,j]·x[n,c,h+i−k/2,w+j−k/2]}.
     * x {@code [N, Ci, H, W]}, w {@code [Co, Ci, k, k]}, bias {@code [Co]} or null, y {@code [N, Co, H, W]} (overwritten).
     */
    void conv2dForward(Tensor x, Tensor w, Tensor bias, Tensor y);

    /**
     * Backward of {@link #conv2dForward} given gy = ∂L/∂y: gx overwritten (may be null), gw += , gb += (may be null).
     * Reductions over the batch run in a fixed order (deterministic).
     */
    void conv2dBackward(Tensor x, Tensor w, Tensor gy, Tensor gx, Tensor gw, Tensor gb);

    /**
     * The argument checks of the conv ops, one static method per op (named after it), run by every backend before it touches
     * data: each failure is a {@link dev.fluvia.FluviaException.ShapeException} whose message starts with the op name.
     */
    final class Checks {
        private Checks() {}

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
    }
}
