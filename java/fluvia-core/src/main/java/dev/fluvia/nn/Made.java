package dev.fluvia.nn;

import dev.fluvia.param.Param;
import dev.fluvia.param.ParamSource;
import dev.fluvia.FluviaException.ShapeException;
import dev.fluvia.backend.Activation;
import dev.fluvia.backend.Backend;
import dev.fluvia.tensor.Tensor;
import dev.fluvia.param.Stash;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * MADE (Germain et al. 2015), the masked autoregressive conditioner of MAF / IAF, as an {@link Mlp} with 0/1 masks
 * (FLOWS.md "MADE"). Input {@code x [N, D]}, output {@code h [N, 2D]} with {@code h[:, d] = μ_d} and
 * {@code h[:, D+d] = raw α_d} in natural dim indexing; both depend only on the dims that come before {@code d} in the order.
 *
 * <p>Degrees:
 * <ul>
 *   <li>input degree {@code m_in(d)} = 1-based position of dim {@code d} in the order ({@code order[t] = d ⇒ m_in(d) = t+1});</li>
 *   <li>hidden degrees lie in {@code [1, D−1]} (1 = min m_in). The default rule ({@link #cyclicDegrees}) is deterministic:
 *       unit {@code k} of every hidden layer gets {@code 1 + (k mod (D−1))}, so every degree is used once the width
 *       reaches {@code D−1}; explicit degrees may be passed instead (they are what the checkpoint stores);</li>
 *   <li>first hidden mask: unit {@code k} sees input {@code i} iff {@code m_k ≥ m_in(i)}; between hidden layers
 *       unit {@code k'} sees unit {@code k} iff {@code m_k' ≥ m_k};</li>
 *   <li>output mask: both rows of dim {@code d} ({@code d} and {@code D+d}) see hidden unit {@code k} iff {@code m_in(d) > m_k}
 *       (strict); with no hidden layer they see input {@code i} iff {@code m_in(d) > m_in(i)}.</li>
 * </ul>
 * The output layer is zero-initialised, so a MAF built on it starts as the identity.
 *
 * <p><b>Context</b> (conditional flows, docs/FLOWS.md "Conditional flows in Fluvia"): with {@code context = C > 0} the input
 * is {@code [x | c]}, {@code [N, D + C]}, and the {@code C} context inputs get degree 0: every hidden unit (degree ≥ 0)
 * and, with no hidden layer, every output sees them; they have no output rows (they are never transformed). The output
 * is still {@code [N, 2D]}. With a context a single dim ({@code D = 1}) is allowed: its hidden units get degree 0 (they
 * see only the context), and hidden degrees may be 0 in general.
 */
public final class Made {
    private final int dim, context;
    private final int[] order, inDegree, hidden;
    private final int[][] degrees;
    private final List<float[]> masks;
    private final Mlp net;

    /**
     * @param order   the autoregressive order: a permutation of {@code 0..D−1}, {@code order[t]} = the dim generated at step t
     * @param hidden  hidden widths (may be empty: a masked linear map)
     * @param degrees hidden degrees per hidden layer ({@code degrees[l].length == hidden[l]}, each in {@code [1, D−1]}),
     *                or null for {@link #cyclicDegrees}
     * @throws ShapeException when D &lt; 2 (a one-dimensional autoregressive layer has nothing to condition on) or lengths disagree
     */
    public Made(Backend be, String prefix, int[] order, int[] hidden, Activation act, int[][] degrees, SplittableRandom rng) {
        this(ParamSource.fresh(be), be, prefix, order, 0, hidden, act, degrees, rng);
    }

    /** @param src where the weights come from (a stored source draws nothing from {@code rng}, which may then be null) */
    public Made(ParamSource src, Backend be, String prefix, int[] order, int[] hidden, Activation act, int[][] degrees, SplittableRandom rng) {
        this(src, be, prefix, order, 0, hidden, act, degrees, rng);
    }

    /**
     * A MADE with {@code context} context inputs of degree 0 after the {@code D} modelled inputs (see the class comment).
     * @param context number of context inputs (≥ 0; 0 is the plain MADE)
     */
    public Made(ParamSource src, Backend be, String prefix, int[] order, int context, int[] hidden, Activation act, int[][] degrees, SplittableRandom rng) {
        this.dim = order.length;
        if (context < 0) throw new ShapeException("MADE: context width must be >= 0, got " + context);
        this.context = context;
        if (dim < 2 && !(dim == 1 && context > 0))
            throw new ShapeException("MADE: needs at least 2 dimensions, got D = " + dim + " (a 1-D autoregressive layer has no inputs to condition on)");
        this.order = order.clone();
        this.inDegree = inputDegrees(order);
        for (int w : hidden) if (w < 1) throw new ShapeException("MADE: hidden widths must be >= 1, got " + Arrays.toString(hidden));
        this.hidden = hidden.clone();
        this.degrees = degrees == null ? cyclicDegrees(dim, context, hidden) : checkDegrees(dim, context, hidden, degrees);
        this.masks = buildMasks(inDegree, context, this.degrees);
        int[] dims = new int[hidden.length + 2];
        dims[0] = dim + context;
        System.arraycopy(hidden, 0, dims, 1, hidden.length);
        dims[dims.length - 1] = 2 * dim;
        this.net = new Mlp(src, be, prefix, dims, act, true, masks, rng);
    }

    /** {@code m_in(order[t]) = t + 1}; checks that the order is a permutation of {@code 0..D−1}. */
    public static int[] inputDegrees(int[] order) {
        int d = order.length;
        int[] m = new int[d];
        for (int t = 0; t < d; t++) {
            int v = order[t];
            if (v < 0 || v >= d || m[v] != 0)
                throw new IllegalArgumentException("MADE: order " + Arrays.toString(order) + " is not a permutation of 0.." + (d - 1));
            m[v] = t + 1;
        }
        return m;
    }

    /** The default hidden degrees: unit {@code k} of every hidden layer gets {@code 1 + (k mod (D−1))}. */
    public static int[][] cyclicDegrees(int dim, int[] hidden) { return cyclicDegrees(dim, 0, hidden); }

    /** The default hidden degrees with {@code context} context inputs: as {@link #cyclicDegrees(int, int[])}, and all 0 when D = 1. */
    public static int[][] cyclicDegrees(int dim, int context, int[] hidden) {
        if (dim == 1 && context > 0) {
            int[][] m = new int[hidden.length][];
            for (int l = 0; l < hidden.length; l++) m[l] = new int[hidden[l]];
            return m;
        }
        if (dim < 2) throw new ShapeException("MADE: needs at least 2 dimensions, got D = " + dim);
        int[][] m = new int[hidden.length][];
        for (int l = 0; l < hidden.length; l++) {
            m[l] = new int[hidden[l]];
            for (int k = 0; k < hidden[l]; k++) m[l][k] = 1 + k % (dim - 1);
        }
        return m;
    }

    private static int[][] checkDegrees(int dim, int context, int[] hidden, int[][] degrees) {
        int lo = context > 0 ? 0 : 1;
        if (degrees.length != hidden.length)
            throw new ShapeException("MADE: " + degrees.length + " degree lists for " + hidden.length + " hidden layers");
        int[][] m = new int[degrees.length][];
        for (int l = 0; l < degrees.length; l++) {
            if (degrees[l].length != hidden[l])
                throw new ShapeException("MADE: hidden layer " + l + " has width " + hidden[l] + " but " + degrees[l].length + " degrees");
            for (int v : degrees[l])
                if (v < lo || v > dim - 1)
                    throw new IllegalArgumentException("MADE: hidden degree " + v + " in layer " + l + " outside [" + lo + ", " + (dim - 1) + "]");
            m[l] = degrees[l].clone();
        }
        return m;
    }

    /** The 0/1 masks {@code [out, in]} per layer (row-major) for the given input and hidden degrees. */
    public static List<float[]> buildMasks(int[] inDegree, int[][] degrees) { return buildMasks(inDegree, 0, degrees); }

    /**
     * The masks with {@code context} degree-0 inputs after the modelled ones: the input layer is {@code [out, D + C]};
     * the output layer has the {@code 2D} rows of the modelled dims only.
     */
    public static List<float[]> buildMasks(int[] inDegree, int context, int[][] degrees) {
        int d = inDegree.length;
        List<float[]> ms = new ArrayList<>();
        int[] prev = Arrays.copyOf(inDegree, d + context); // context inputs: degree 0
        for (int[] cur : degrees) { // hidden: unit k sees unit/input i iff m_k >= m_i
            float[] m = new float[cur.length * prev.length];
            for (int k = 0; k < cur.length; k++)
                for (int i = 0; i < prev.length; i++) m[k * prev.length + i] = cur[k] >= prev[i] ? 1f : 0f;
            ms.add(m);
            prev = cur;
        }
        float[] out = new float[2 * d * prev.length]; // output rows d (μ) and D+d (α): strict
        for (int j = 0; j < d; j++)
            for (int k = 0; k < prev.length; k++) {
                float v = inDegree[j] > prev[k] ? 1f : 0f;
                out[j * prev.length + k] = v;
                out[(d + j) * prev.length + k] = v;
            }
        ms.add(out);
        return ms;
    }

    public int dim() { return dim; }
    /** Number of context inputs (degree 0) after the {@link #dim()} modelled inputs; 0 for a plain MADE. */
    public int context() { return context; }
    public int[] order() { return order.clone(); }
    public int[] hidden() { return hidden.clone(); }
    public Activation activation() { return net.activation(); }
    public int[] inputDegrees() { return inDegree.clone(); }

    /** Hidden degrees, one array per hidden layer (copies). */
    public int[][] degrees() {
        int[][] c = new int[degrees.length][];
        for (int l = 0; l < degrees.length; l++) c[l] = degrees[l].clone();
        return c;
    }

    /** Host copies of the 0/1 masks {@code [out, in]}, input layer first. */
    public List<float[]> masks() {
        List<float[]> c = new ArrayList<>();
        for (float[] m : masks) c.add(m.clone());
        return c;
    }

    /** Weights then bias per layer ({@code <prefix>w0, <prefix>b0, …}); the weights are the raw, unmasked values. */
    public List<Param> params() { return net.params(); }

    /**
     * The weights with their masks folded in, for ops that run the whole conditioner themselves. On the CPU backend these
     * are the layer's cached folds (refolded when the raw weights change; read-only for a scoring-only model), not fresh
     * tensors: read them, do not write them.
     */
    public List<Tensor> effectiveWeights() { return net.effectiveWeights(); }

    public List<Tensor> biasTensors() { return net.biasTensors(); }

    /** {@code h = MADE(x)}, {@code [N, 2D]}; stores activations under {@code key} when the stash is storing. */
    public Tensor forward(Tensor x, Stash stash, String key) { return net.forward(x, stash, key); }

    /**
     * Given {@code gh = ∂L/∂h}, accumulates the parameter gradients and returns the conditioner's ∂L/∂x
     * (from the stash, or recomputed when nothing is stored under {@code key}).
     */
    public Tensor backward(Tensor x, Tensor gh, Stash stash, String key) { return net.backward(x, gh, stash, key); }
}
