package dev.fluvia.transforms;

import dev.fluvia.param.Stash;
import dev.fluvia.backend.Activation;
import dev.fluvia.backend.Backend;
import dev.fluvia.nn.Made;
import dev.fluvia.param.Param;
import dev.fluvia.param.ParamSource;
import dev.fluvia.tensor.Index;
import dev.fluvia.tensor.Tensor;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Masked autoregressive flow layer (Papamakarios et al. 2017), FLOWS.md "MAF". A {@link Made} conditioner gives
 * {@code (μ_d, raw α_d)} from the dims earlier in the order; {@code α = c·tanh(raw/c)} (soft clamp, default c = 2).
 * <ul>
 *   <li>forward (density, one pass): {@code z_d = (x_d − μ_d(x_{<d}))·exp(−α_d)}, {@code ld = −Σ_d α_d} —
 *       one MADE pass + {@code mafForward};</li>
 *   <li>inverse (sampling, sequential over the order): {@code x_d = z_d·exp(α_d) + μ_d} — the single op {@code mafInverse};</li>
 *   <li>backward: {@code mafBackward} gives the direct ∂L/∂x and ∂L/∂h, then the MADE backward adds the conditioner path.</li>
 * </ul>
 * The MADE's output layer is zero-initialised, so the layer starts as the identity. Stacks usually alternate orders
 * between layers: see {@link #naturalOrder}, {@link #reversedOrder}, {@link #randomOrder}.
 */
public final class Maf implements Transform {
    public static final String KIND = "maf";
    /** Default soft-clamp constant c of α = c·tanh(raw/c). */
    public static final float DEFAULT_CLAMP = 2f;

    private final Backend be;
    private final int dim;
    private final float clamp;
    private final Made made;
    private final Index orderIdx;

    /**
     * @param order   autoregressive order, a permutation of {@code 0..D−1} ({@code order[t]} is the dim produced at step t); D ≥ 2
     * @param hidden  hidden widths of the MADE
     * @param degrees explicit hidden degrees, or null for {@link Made#cyclicDegrees}
     * @param clamp   soft-clamp constant c &gt; 0
     */
    public Maf(Backend be, int[] order, int[] hidden, Activation act, float clamp, int[][] degrees, SplittableRandom rng) {
        this(ParamSource.fresh(be), be, order, hidden, act, clamp, degrees, rng);
    }

    /** @param src where the parameters come from (a stored source draws nothing from {@code rng}, which may then be null) */
    public Maf(ParamSource src, Backend be, int[] order, int[] hidden, Activation act, float clamp, int[][] degrees, SplittableRandom rng) {
        if (!(clamp > 0) || !Float.isFinite(clamp)) throw new IllegalArgumentException(KIND + ": clamp must be a finite number > 0, got " + clamp);
        this.be = be;
        this.made = new Made(src, be, "made.", order, hidden, act, degrees, rng);
        this.dim = order.length;
        this.clamp = clamp;
        this.orderIdx = be.index(order);
    }

    /** A MAF layer with the default degrees and clamp. */
    public Maf(Backend be, int[] order, int[] hidden, Activation act, SplittableRandom rng) {
        this(be, order, hidden, act, DEFAULT_CLAMP, null, rng);
    }

    // ------------------------------------------------------------------ orders

    /** {@code 0, 1, …, D−1}. */
    public static int[] naturalOrder(int dim) {
        int[] o = new int[dim];
        for (int i = 0; i < dim; i++) o[i] = i;
        return o;
    }

    /** The previous layer's order reversed (MAF's usual alternation between stacked layers). */
    public static int[] reversedOrder(int[] previous) {
        int[] o = new int[previous.length];
        for (int i = 0; i < o.length; i++) o[i] = previous[o.length - 1 - i];
        return o;
    }

    /** A uniformly random permutation of {@code 0..D−1}, reproducible for a seed (Fisher–Yates). */
    public static int[] randomOrder(int dim, long seed) {
        int[] o = naturalOrder(dim);
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = dim - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = o[i]; o[i] = o[j]; o[j] = t;
        }
        return o;
    }

    // ------------------------------------------------------------------ checkpoint

    // ------------------------------------------------------------------ transform

    @Override public String kind() { return KIND; }
    @Override public int[] eventShape() { return new int[] {dim}; }
    @Override public List<Param> params() { return made.params(); }

    /** The conditioner (masks, degrees, order). */
    public Made made() { return made; }
    public float clamp() { return clamp; }
    public int[] order() { return made.order(); }

    /** Density direction x → z in one pass: one MADE pass and {@code mafForward}; ld += −Σ α. */
    @Override public Tensor forward(Tensor x, Tensor ld, Stash stash) {
        Tensor h = made.forward(x, stash, "made");
        Tensor z = be.alloc(x.shape());
        be.mafForward(x, h, clamp, z, ld);
        stash.put("h", h);
        return z;
    }

    /** Sampling direction z → x, sequential over the order inside the single op {@code mafInverse}; ld += Σ α. */
    @Override public Tensor inverse(Tensor z, Tensor ld) {
        Tensor x = be.alloc(z.shape());
        be.mafInverse(made.effectiveWeights(), made.biasTensors(), made.activation(), orderIdx, clamp, z, x, ld);
        return x;
    }

    /**
     * Backward of {@link #forward} at x: {@code mafBackward} gives the direct path {@code gy·exp(−α)} and ∂L/∂h,
     * the MADE backward adds the conditioner path into gx and accumulates the parameter gradients.
     */
    @Override public Tensor backward(Tensor x, Tensor gy, Tensor gLd, Stash stash) {
        if (stash.get("h") == null) { // recompute mode: one MADE pass, kept for this backward only
            stash = new Stash(true);
            stash.put("h", made.forward(x, stash, "made"));
        }
        Tensor h = stash.get("h");
        Tensor gx = be.alloc(x.shape()), gh = be.alloc(h.shape());
        be.mafBackward(x, h, clamp, gy, gLd, gx, gh);
        Tensor gxc = made.backward(x, gh, stash, "made");
        be.axpy(1f, gxc, gx);
        return gx;
    }
}
