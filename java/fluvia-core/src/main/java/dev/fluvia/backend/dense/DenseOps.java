package dev.fluvia.backend.dense;

import static dev.fluvia.tensor.Shapes.perSample;
import static dev.fluvia.tensor.Shapes.rank;
import static dev.fluvia.tensor.Shapes.require;
import static dev.fluvia.tensor.Shapes.same;
import static dev.fluvia.tensor.Shapes.shape;

import dev.fluvia.backend.OpChecks;
import dev.fluvia.tensor.Index;
import dev.fluvia.tensor.Tensor;
import dev.fluvia.backend.Activation;

/**
 * The dense family (docs/FLOWS.md "Conditioner networks"): the GEMM, the fully connected layer with its fused bias and
 * activation, its backward, MADE's masked weights, and an element-wise activation. The CPU runs its own blocked GEMM
 * ({@code backend.cpu.Gemm}), CUDA runs cuBLAS plus the epilogue kernels of kernels/dense.cu.
 *
 * <p>The conventions of {@link dev.fluvia.backend.Backend} hold (float32 row-major; outputs {@code y, x, gx, gh}
 * overwritten; {@code ld} and parameter gradients accumulated into). {@link Checks} holds the argument checks every
 * backend runs first; {@code CpuDense} is the reference, {@code CudaDense} the kernels of {@code kernels/dense.cu},
 * {@code DenseBench} the validate-and-benchmark entry that the parity test and the kernel benchmark are built from.
 */
public interface DenseOps {

    /** C = alpha·op(A)·op(B) + beta·C, row-major 2-D; op(X) = Xᵀ when the flag is set. */
    void gemm(boolean transA, boolean transB, float alpha, Tensor a, Tensor b, float beta, Tensor c);

    /**
     * Fully connected layer with fused bias and activation: {@code pre = x·wᵀ + bias}, {@code y = act(pre)}.
     * x {@code [N, In]}, w {@code [Out, In]}, bias {@code [Out]} or null, pre {@code [N, Out]} or null (not stored), y {@code [N, Out]}.
     */
    void linearForward(Tensor x, Tensor w, Tensor bias, Activation act, Tensor pre, Tensor y);

    /**
     * {@link #linearForward} for a weight whose row {@code o} is zero past column {@code extent[o]} (a prefix-sparse weight:
     * MADE's masked weights with the hidden units sorted by degree, {@link PrefixLayout}): {@code pre[n, o] = Σ_{k < extent[o]}
     * x[n, k]·w[o, k] + bias[o]}, {@code y = act(pre)}. <b>w must hold zeros past each row's extent</b> (a MADE's
     * permuted fold does): backends skip the zero blocks, but not necessarily row by row — the CPU's Java kernel cuts the K
     * range per 32-unit strip at the strip's largest extent, so it reads (zero) entries past a shorter row's extent; CUDA
     * stops at each row's own extent. The CPU's Java kernel gives the bits of {@link #linearForward} on the same w.
     * extent {@code [Out]}, each in {@code [0, In]}.
     */
    void prefixLinearForward(Tensor x, Tensor w, Index extent, Tensor bias, Activation act, Tensor pre, Tensor y);

    /**
     * A whole MLP's inference forward (a coupling's conditioner, a MADE, when nothing is kept for a backward): layer {@code i} is
     * {@link #linearForward} with {@code weights[i]} {@code [Out_i, In_i]}, {@code biases[i]} {@code [Out_i]} (an entry may be
     * null: no bias) and activation {@code act}, the last layer with the identity — or, where {@code extents} has an entry for
     * the layer, {@link #prefixLinearForward} with it (that weight zero past each row's extent, as there). {@code extents}
     * is null (every layer dense) or has one entry per layer, null for a dense layer. Only the output {@code y}
     * {@code [N, Out_last]} is written. The result is that of the chain of per-layer calls to float32 summation order (the
     * CPU's Java kernel: bit for bit). The CPU runs all layers per block of rows with the activations in cache (feature-major,
     * rows in vector lanes), so no {@code [N, hidden]} intermediate goes to memory; CUDA runs the chain.
     */
    void mlpForward(Tensor x, java.util.List<Tensor> weights, java.util.List<Tensor> biases, java.util.List<Index> extents,
                    Activation act, Tensor y);

    /** {@code gpre = gy ⊙ act'(pre)} given pre-activation and output; gpre may be the same tensor as gy. */
    void activationBackward(Activation act, Tensor pre, Tensor y, Tensor gy, Tensor gpre);

    /** Backward of {@code y = x·wᵀ + b} given {@code gpre = ∂L/∂y}: gx = gpre·w (overwrite, may be null), gw += gpreᵀ·x, gb += Σ_n gpre (may be null). */
    void linearBackward(Tensor x, Tensor w, Tensor gpre, Tensor gx, Tensor gw, Tensor gb);

    /**
     * {@link #linearBackward} for a prefix-sparse weight (row {@code o} zero past column {@code extent[o]}, as in
     * {@link #prefixLinearForward}; w's entries there are not used): {@code gx[n, k] = Σ_{o : extent[o] > k} gpre[n, o]·w[o, k]}
     * (overwrite, may be null), {@code gw[o, k] += Σ_n gpre[n, o]·x[n, k]} for {@code k < extent[o]} only — gw's entries past a
     * row's extent are <b>not written</b> (their weights are structural zeros, not parameters of the layer) —, {@code gb += Σ_n
     * gpre} (may be null). Backends skip the zero blocks of both products; the CPU's Java kernel gives the bits of
     * {@link #linearBackward} on the same zero-padded w (gx, and gw on the entries it writes).
     */
    void prefixLinearBackward(Tensor x, Tensor w, Index extent, Tensor gpre, Tensor gx, Tensor gw, Tensor gb);

    /** out = w ⊙ mask (MADE's masked weights, folded once per step); out may be w. */
    void applyMask(Tensor w, Tensor mask, Tensor out);

    /** y = act(x) element-wise (same shape); y may be x. */
    void activate(Activation act, Tensor x, Tensor y);

    /**
     * The argument checks of the dense ops, one static method per op (named after it), run by every backend before it touches
     * data: each failure is a {@link dev.fluvia.FluviaException.ShapeException} whose message starts with the op name.
     */
    final class Checks {
        private Checks() {}

        public static OpChecks.GemmDims gemm(boolean transA, boolean transB, Tensor a, Tensor b, Tensor c) {
            rank("gemm", "A", a, 2); rank("gemm", "B", b, 2); rank("gemm", "C", c, 2);
            int m = transA ? a.dim(1) : a.dim(0), k = transA ? a.dim(0) : a.dim(1);
            int kb = transB ? b.dim(1) : b.dim(0), n = transB ? b.dim(0) : b.dim(1);
            require(k == kb && c.dim(0) == m && c.dim(1) == n, "gemm",
                    "op(A) is " + m + "x" + k + ", op(B) is " + kb + "x" + n + ", C must be " + m + "x" + n, a, b, c);
            return new OpChecks.GemmDims(m, n, k);
        }

        public static void linearForward(Tensor x, Tensor w, Tensor bias, Tensor pre, Tensor y) {
            rank("linearForward", "x", x, 2); rank("linearForward", "w", w, 2);
            int n = x.dim(0), in = x.dim(1), out = w.dim(0);
            require(w.dim(1) == in, "linearForward", "w must be [Out, " + in + "]", x, w);
            shape("linearForward", "y", y, n, out);
            if (pre != null) shape("linearForward", "pre", pre, n, out);
            if (bias != null) shape("linearForward", "bias", bias, out);
        }

        public static void prefixLinearForward(Tensor x, Tensor w, Index extent, Tensor bias, Tensor pre, Tensor y) {
            rank("prefixLinearForward", "x", x, 2); rank("prefixLinearForward", "w", w, 2);
            int n = x.dim(0), in = x.dim(1), out = w.dim(0);
            require(w.dim(1) == in, "prefixLinearForward", "w must be [Out, " + in + "]", x, w);
            shape("prefixLinearForward", "y", y, n, out);
            if (pre != null) shape("prefixLinearForward", "pre", pre, n, out);
            if (bias != null) shape("prefixLinearForward", "bias", bias, out);
            if (extent.size() != out) // messages built only on failure: this runs on every single-row call
                require(false, "prefixLinearForward", "extent has " + extent.size() + " entries, expected " + out, w);
            for (int e : extent.raw())
                if (e < 0 || e > in) require(false, "prefixLinearForward", "extent entry " + e + " outside [0, " + in + "]", w);
        }

        public static void mlpForward(Tensor x, java.util.List<Tensor> weights, java.util.List<Tensor> biases,
                                      java.util.List<Index> extents, Tensor y) {
            String op = "mlpForward";
            rank(op, "x", x, 2);
            if (weights.isEmpty()) require(false, op, "needs at least one layer", x);
            if (biases.size() != weights.size())
                require(false, op, biases.size() + " biases for " + weights.size() + " weights", x);
            if (extents != null && extents.size() != weights.size())
                require(false, op, extents.size() + " extents for " + weights.size() + " weights", x);
            int width = x.dim(1);
            for (int i = 0; i < weights.size(); i++) {
                Tensor w = weights.get(i), b = biases.get(i);
                if (w == null) require(false, op, "weights[" + i + "] is null", x);
                rank(op, "weights[" + i + "]", w, 2);
                if (w.dim(1) != width) require(false, op, "weights[" + i + "] must be [Out, " + width + "]", w);
                if (b != null) shape(op, "biases[" + i + "]", b, w.dim(0));
                Index e = extents == null ? null : extents.get(i);
                if (e != null) {
                    if (e.size() != w.dim(0))
                        require(false, op, "extents[" + i + "] has " + e.size() + " entries, expected " + w.dim(0), w);
                    for (int v : e.raw())
                        if (v < 0 || v > width) require(false, op, "extents[" + i + "] entry " + v + " outside [0, " + width + "]", w);
                }
                width = w.dim(0);
            }
            shape(op, "y", y, x.dim(0), width);
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

        public static void prefixLinearBackward(Tensor x, Tensor w, Index extent, Tensor gpre, Tensor gx, Tensor gw, Tensor gb) {
            String op = "prefixLinearBackward";
            rank(op, "x", x, 2); rank(op, "w", w, 2);
            int n = x.dim(0), in = x.dim(1), out = w.dim(0);
            shape(op, "w", w, out, in);
            shape(op, "gpre", gpre, n, out);
            shape(op, "gw", gw, out, in);
            if (gb != null) shape(op, "gb", gb, out);
            if (gx != null) shape(op, "gx", gx, n, in);
            if (extent.size() != out) require(false, op, "extent has " + extent.size() + " entries, expected " + out, w);
            for (int e : extent.raw())
                if (e < 0 || e > in) require(false, op, "extent entry " + e + " outside [0, " + in + "]", w);
        }

        public static void applyMask(Tensor w, Tensor mask, Tensor out) {
            same("applyMask", "w", w, "mask", mask);
            same("applyMask", "w", w, "out", out);
        }

        public static void activate(Tensor x, Tensor y) { same("activate", "x", x, "y", y); }
    }
}
