package dev.fluvia.backend;

import dev.fluvia.tensor.Index;
import dev.fluvia.tensor.Tensor;
import java.util.List;

/**
 * The backend façade every layer composes: memory, scopes, views, copies and the <b>op families</b>, one package each
 * ({@code backend.<family>}: its {@code <Family>Ops} contract with the shape checks, the CPU reference, the CUDA body with
 * the typed launchers of {@code kernels/<family>.cu}, and the validate-and-benchmark entries). A layer calls an op through
 * its family, e.g. {@code backend.coupling().affineCouplingForward(...)}; see docs/OPS.md for the table and
 * docs/ARCHITECTURE.md for how to add an op.
 *
 * <p>Conventions (all ops of all families):
 * <ul>
 *   <li>Tensors are float32, row-major. Vectors {@code [N, D]}; images {@code [N, C, H, W]}; parameters 1-D or 2-D.</li>
 *   <li>Every op checks shapes and throws {@link dev.fluvia.FluviaException.ShapeException} naming the op and the shapes.</li>
 *   <li>Outputs named {@code y, x, z, out, gx, gh, gpre} are <b>overwritten</b> (every element written).</li>
 *   <li>{@code ld} (per-sample log-det, {@code [N]}) and {@code out} of log-prob ops are <b>accumulated into</b> ({@code +=}).</li>
 *   <li>Parameter gradients ({@code gw, gb, glogs, glower, gupper, gmu, glogSigma}) are <b>accumulated into</b> ({@code +=}).</li>
 *   <li>{@code gLd[n]} is ∂loss/∂(total log-det of sample n); it is the same vector for every layer of a flow.</li>
 *   <li>Reductions run in a fixed order: for a fixed seed and thread count results are bit-identical between runs.</li>
 * </ul>
 */
public interface Backend extends AutoCloseable {

    /** {@return the backend's name: {@code "cpu"} or {@code "cuda"}} (what {@link Backends#create(String, int)} takes, and what {@code info} reports). */
    String name();

    /** {@return the worker threads (CPU) or 1 (GPU: the stream is the unit)} */
    int threads();

    // ---------------------------------------------------------------- the op families (one package each, docs/ARCHITECTURE.md)

    /** {@return the affine and additive couplings, gather / scatter} ({@code dev.fluvia.backend.coupling}, kernels/coupling.cu). */
    dev.fluvia.backend.coupling.CouplingOps coupling();

    /** {@return per-channel scale and shift with fused log-det, backward, init statistics} ({@code dev.fluvia.backend.actnorm}, kernels/actnorm.cu). */
    dev.fluvia.backend.actnorm.ActnormOps actnorm();

    /** {@return the LU-decomposed invertible linear / 1×1 conv: assemble, solve, weight backward} ({@code dev.fluvia.backend.lu}, kernels/lu.cu). */
    dev.fluvia.backend.lu.LuOps lu();

    /** {@return the MAF density direction, its backward, and the sequential sampling direction} ({@code dev.fluvia.backend.maf}, kernels/maf.cu). */
    dev.fluvia.backend.maf.MafOps maf();

    /** {@return the fused Adam / AdamW and Adamax updates} ({@code dev.fluvia.backend.optim}, kernels/optim.cu). */
    dev.fluvia.backend.optim.OptimOps optim();

    /** {@return the deterministic reductions and the parameter-only log-det terms} ({@code dev.fluvia.backend.reduce}, kernels/reduce.cu). */
    dev.fluvia.backend.reduce.ReduceOps reduce();

    /** {@return the base-distribution log-densities, backwards and conditional sampling} ({@code dev.fluvia.backend.dist}, kernels/dist.cu). */
    dev.fluvia.backend.dist.DistOps dist();

    /** {@return GEMM, linear layers with fused bias and activation, their backward, masks, activations} ({@code dev.fluvia.backend.dense}, cuBLAS + kernels/dense.cu). */
    dev.fluvia.backend.dense.DenseOps dense();

    /** {@return the image layout ops (squeeze, channel slices) and logit pre-processing} ({@code dev.fluvia.backend.image}, kernels/image.cu). */
    dev.fluvia.backend.image.ImageOps image();

    /** {@return the 2-D convolution and its backward} ({@code dev.fluvia.backend.conv}, cuBLAS + kernels/conv.cu). */
    dev.fluvia.backend.conv.ConvOps conv();

    /** {@return BLAS-1 (scale, axpy) and the generic primitives: unary and broadcast binary maps, row sums} ({@code dev.fluvia.backend.elementwise}, kernels/elementwise.cu). */
    dev.fluvia.backend.elementwise.ElementwiseOps elementwise();

    /** {@return the rational-quadratic spline: fused bin search and evaluation, inverse, backward} ({@code dev.fluvia.backend.spline}, kernels/spline.cu). */
    dev.fluvia.backend.spline.SplineOps spline();

    /** {@return the planar, radial and Sylvester flows: forward, inverse and both backwards fused per row} ({@code dev.fluvia.backend.residual}, kernels/residual.cu). */
    dev.fluvia.backend.residual.ResidualOps residual();
    /** {@return the element-wise flows (sigmoid, logit map, tanh, leaky ReLU, scalar affine) and the mixture-of-Gaussians CDF flow} ({@code dev.fluvia.backend.pointwise}, kernels/pointwise.cu). */
    dev.fluvia.backend.pointwise.PointwiseOps pointwise();

    // ---------------------------------------------------------------- memory

    /**
     * A zero-filled tensor. Inside an open {@link #scope()} on this thread it comes from the backend's pool and goes back when the scope closes.
     *
     * @param shape the extents, outermost first ({@code N, D} or {@code N, C, H, W}; {@code K} for parameters)
     * @return a new float32 tensor of that shape, every element 0
     * @throws dev.fluvia.FluviaException.ShapeException when an extent is negative
     */
    Tensor alloc(int... shape);

    /**
     * A tensor whose contents are <b>undefined</b> (not zero-filled): allocated like {@link #alloc} (pooled inside an open
     * {@link #scope()}), but without the fill. Use it only for an output that the op writing it next overwrites entirely
     * (docs/OPS.md conventions: {@code y, pre} of {@code linearForward}); never for an output that an op accumulates into
     * ({@code ld}, log-probs, parameter gradients) nor one read before it is written. The CPU backend can poison these
     * allocations with NaN for tests ({@code CpuBackend.poisonUninitialized}). The default is {@link #alloc}.
     *
     * @param shape the extents, outermost first
     * @return a new float32 tensor of that shape whose contents must be written before they are read
     * @throws dev.fluvia.FluviaException.ShapeException when an extent is negative
     */
    default Tensor allocUninitialized(int... shape) { return alloc(shape); }

    /**
     * Opens an allocation scope on the calling thread; tensors allocated until it closes are returned to the pool at close.
     * Scopes nest; close them in reverse order of opening (try-with-resources).
     *
     * @return the open scope; closing it releases what it holds
     */
    Scope scope();

    /**
     * Gives a tensor allocated in an open scope on this thread back to the pool now (reversible backprop frees
     * each layer's activations as soon as it is done with them). A tensor allocated outside any scope is left to the GC.
     *
     * @param t a tensor of this backend that nothing reads afterwards
     */
    void release(Tensor t);

    /**
     * Copies {@code data} (length = product of shape) into a new tensor, allocated as by {@link #alloc}.
     *
     * @param data  the values, row-major
     * @param shape the extents, outermost first
     * @return a new tensor holding {@code data}
     * @throws dev.fluvia.FluviaException.ShapeException when {@code data.length} is not the product of {@code shape}
     */
    default Tensor fromHost(float[] data, int... shape) {
        Tensor t = alloc(shape);
        upload(data, t);
        return t;
    }

    /**
     * Copies {@code src} into the existing tensor {@code dst} ({@code src.length == dst.numel()}).
     *
     * @param src the host values, row-major
     * @param dst the tensor of this backend to overwrite
     * @throws dev.fluvia.FluviaException.ShapeException when the lengths differ
     */
    void upload(float[] src, Tensor dst);

    /**
     * A host copy of the tensor's data (on CUDA: waits for the queued work that writes it).
     *
     * @param t a tensor of this backend
     * @return a new array of {@code t.numel()} values, row-major
     */
    float[] toHost(Tensor t);

    /**
     * An index list (mask positions, permutation, order) in the backend's memory.
     *
     * @param values the indices (copied)
     * @return an immutable index list the ops of this backend read
     */
    Index index(int[] values);

    /**
     * dst = src (same number of elements; the shapes may differ).
     *
     * @param src the tensor read
     * @param dst the tensor overwritten
     * @throws dev.fluvia.FluviaException.ShapeException when the element counts differ
     */
    void copy(Tensor src, Tensor dst);

    /**
     * t[:] = value.
     *
     * @param t     the tensor overwritten
     * @param value the value every element gets
     */
    void fill(Tensor t, float value);

    /** Waits until all queued work is done (no-op on the CPU). */
    void synchronize();

    // ---------------------------------------------------------------- dense

    // ---------------------------------------------------------------- actnorm (x [N, C] or [N, C, H, W]; per-channel parameters [C])

    // ---------------------------------------------------------------- LU-decomposed invertible linear / 1×1 conv

    // ---------------------------------------------------------------- parameter-only log-det terms

    // ---------------------------------------------------------------- MADE / MAF (x [N, D], h [N, 2D]: h[:, d] = μ_d, h[:, D+d] = raw α_d)

    // ---------------------------------------------------------------- base distributions and reductions

    // ---------------------------------------------------------------- element-wise helpers

    /**
     * t[i] ~ N(0, std²), reproducible for a seed on this backend (the CPU and CUDA streams differ).
     *
     * @param t    the tensor overwritten with the draws
     * @param seed the seed; the same seed, shape and backend give the same draws
     * @param std  the standard deviation
     */
    void randomNormal(Tensor t, long seed, float std);

    /**
     * t[i] ~ U(0, 1] (float32; never 0), reproducible for a seed on this backend (the draws the zoo bases' samplers transform).
     *
     * @param t    the tensor overwritten with the draws
     * @param seed the seed; the same seed, shape and backend give the same draws
     */
    void randomUniform(Tensor t, long seed);

    // ---------------------------------------------------------------- images (NCHW; see docs/OPS.md "images")

    /**
     * The same storage under a new shape with the same number of elements (no copy): writes through either tensor are
     * seen by both. Used to run the vector ops ({@code gather}, {@code scatterAdd}, couplings) on flattened images
     * {@code [N, C·H·W]}. The view lives as long as its base; releasing a view releases nothing.
     *
     * @param t     the base tensor
     * @param shape the new extents; their product must equal {@code t.numel()}
     * @return a tensor sharing {@code t}'s storage
     * @throws dev.fluvia.FluviaException.ShapeException when the element counts differ
     */
    Tensor view(Tensor t, int... shape);

    // ---------------------------------------------------------------- optimizers (fused; step counts from 1)

    /** Frees the backend's memory, pools and threads (CUDA: its context); tensors of this backend are invalid afterwards. A second close does nothing. */
    @Override void close();
}
