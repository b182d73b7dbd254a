package dev.fluvia.transforms;

import dev.fluvia.param.Stash;
import dev.fluvia.backend.Activation;
import dev.fluvia.backend.Backend;
import dev.fluvia.backend.CouplingScale;
import dev.fluvia.backend.Scope;
import dev.fluvia.nn.Made;
import dev.fluvia.param.Param;
import dev.fluvia.param.ParamSource;
import dev.fluvia.tensor.Index;
import dev.fluvia.tensor.Tensor;
import java.util.ArrayList;
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
 *
 * <p><b>Context</b> (conditional flows, {@code dev.fluvia.flow.ConditionalFlows}): with {@code context = C > 0} the layer
 * acts on rows {@code [x | c]} of width {@code D + C}; the MADE sees {@code c} as degree-0 inputs (every hidden unit), and
 * {@code c} passes through unchanged (μ = 0, α = 0 on its columns: the MADE output {@code [N, 2D]} is widened to
 * {@code [N, 2(D + C)]} with zeros there before the maf ops). The sampling direction then runs as D steps of one MADE
 * pass and one single-column {@code affineCouplingForward} (softclamp scale: {@code x_d = z_d·exp(α_d) + μ_d}) instead of
 * the fused {@code mafInverse} op, which has no context inputs.
 *
 * <h2>Backward of the sampling direction ({@link InverseBackward}, reverse KL)</h2>
 * {@code x = F⁻¹(z)} is differentiated in closed form by the implicit-function back-substitution described on {@link Iaf}
 * (whose forward is this inverse): D + 1 MADE vector–Jacobian products, no host solve.
 */
public final class Maf implements Transform, InverseBackward {
    public static final String KIND = "maf";
    /** Default soft-clamp constant c of α = c·tanh(raw/c). */
    public static final float DEFAULT_CLAMP = 2f;

    private final Backend be;
    private final int dim, context, width;
    private final float clamp;
    private final Made made;
    private final Index orderIdx;
    /** Columns of the widened conditioner output {@code [N, 2W]} that hold the MADE's {@code [μ | raw α]}; null without context. */
    private final Index hCols;
    /** Per column j of the row: {j}; per dim d: the MADE output columns {D + d, d} = [raw α_d | μ_d] (sampling with context). */
    private Index[] single, stepCols;                // built on first use (sequential sampling with a context, inverseBackward)
    private Index alphaCols;
    private final Index ctxCols;

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
        this(src, be, order, 0, hidden, act, clamp, degrees, rng);
    }

    /**
     * A conditional MAF layer: rows {@code [x | c]} with {@code context} context entries after the {@code order.length}
     * modelled ones (see the class comment); {@code context = 0} is the plain layer.
     */
    public Maf(ParamSource src, Backend be, int[] order, int context, int[] hidden, Activation act, float clamp, int[][] degrees, SplittableRandom rng) {
        if (!(clamp > 0) || !Float.isFinite(clamp)) throw new IllegalArgumentException(KIND + ": clamp must be a finite number > 0, got " + clamp);
        this.be = be;
        this.made = new Made(src, be, "made.", order, context, hidden, act, degrees, rng);
        this.dim = order.length;
        this.context = context;
        this.width = dim + context;
        this.clamp = clamp;
        this.orderIdx = be.index(order);
        if (context > 0) {
            int[] cols = new int[2 * dim], ctx = new int[context];
            for (int d = 0; d < dim; d++) { cols[d] = d; cols[dim + d] = width + d; }
            for (int j = 0; j < context; j++) ctx[j] = dim + j;
            this.hCols = be.index(cols);
            this.ctxCols = be.index(ctx);
        } else {
            this.hCols = null;
            this.ctxCols = null;
        }
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
    @Override public int[] eventShape() { return new int[] {width}; }
    @Override public List<Param> params() { return made.params(); }

    /** The conditioner (masks, degrees, order). */
    public Made made() { return made; }
    public float clamp() { return clamp; }
    public int[] order() { return made.order(); }
    /** Modelled (transformed) dims D. */
    public int dim() { return dim; }
    /** Context entries C after them (0: not conditional). */
    public int context() { return context; }

    /** The per-column indices of the sequential paths, built once on first use (synchronized: a loaded model is shared by threads). */
    private synchronized void buildStepIndices() {
        if (single != null) return;
        Index[] one = new Index[width];
        int[] alpha = new int[width];
        for (int j = 0; j < width; j++) {
            one[j] = be.index(new int[] {j});
            alpha[j] = width + j;
        }
        Index[] steps = new Index[dim];
        for (int d = 0; d < dim; d++) steps[d] = be.index(new int[] {dim + d, d});
        alphaCols = be.index(alpha);
        stepCols = steps;
        single = one;
    }

    private void checkRows(Tensor t, String op) {
        if (t.shape().length != 2 || t.dim(1) != width)
            throw new dev.fluvia.FluviaException.ShapeException(KIND + " " + op + ": expected rows of width " + width
                    + (context > 0 ? " (" + dim + " data + " + context + " context)" : "") + ", got shape " + java.util.Arrays.toString(t.shape()));
    }

    /**
     * The conditioner output as the maf ops take it, {@code [N, 2W]} = {@code [μ | raw α]} over the whole row: the MADE's
     * output itself without context, else widened with zeros on the context columns (identity there).
     */
    public Tensor conditioner(Tensor x, Stash stash) {
        Tensor h = made.forward(x, stash, "made");
        if (context == 0) return h;
        Tensor hw = be.alloc(x.dim(0), 2 * width);
        be.coupling().scatterAdd(h, hCols, hw);
        return hw;
    }

    /** ∂L/∂h of the widened output back to the MADE's own output columns, then the MADE backward: returns its ∂L/∂x. */
    private Tensor conditionerBackward(Tensor x, Tensor gh, Stash stash) {
        if (context > 0) {
            Tensor g = be.alloc(x.dim(0), 2 * dim);
            be.coupling().gather(gh, hCols, g);
            gh = g;
        }
        return made.backward(x, gh, stash, "made");
    }

    /** Density direction x → z in one pass: one MADE pass and {@code mafForward}; ld += −Σ α. */
    @Override public Tensor forward(Tensor x, Tensor ld, Stash stash) {
        checkRows(x, "forward");
        Tensor h = conditioner(x, stash);
        Tensor z = be.alloc(x.shape());
        be.maf().mafForward(x, h, clamp, z, ld);
        stash.put("h", h);
        return z;
    }

    /**
     * Sampling direction z → x, sequential over the order: without context inside the single op {@code mafInverse};
     * with context as D steps of a MADE pass on the row so far and a one-column affine map (see the class comment). ld += Σ α.
     */
    @Override public Tensor inverse(Tensor z, Tensor ld) {
        checkRows(z, "inverse");
        if (context == 0) {
            Tensor x = be.alloc(z.shape());
            be.maf().mafInverse(made.effectiveWeights(), made.biasTensors(), made.activation(), orderIdx, clamp, z, x, ld);
            return x;
        }
        int n = z.dim(0);
        buildStepIndices();
        Tensor cur = z;   // columns already produced hold x, the rest still z (masked out of the MADE)
        for (int d : made.order()) {
            Tensor h = made.forward(cur, Stash.none(), "made");
            Tensor hd = be.alloc(n, 2);
            be.coupling().gather(h, stepCols[d], hd);
            Tensor next = be.alloc(z.shape());
            be.coupling().affineCouplingForward(cur, hd, single[d], CouplingScale.SOFTCLAMP, clamp, next, ld);
            cur = next;
        }
        return cur;
    }

    /**
     * Backward of {@link #forward} at x: {@code mafBackward} gives the direct path {@code gy·exp(−α)} and ∂L/∂h,
     * the MADE backward adds the conditioner path into gx and accumulates the parameter gradients.
     */
    @Override public Tensor backward(Tensor x, Tensor gy, Tensor gLd, Stash stash) {
        checkRows(x, "backward");
        if (stash.get("h") == null) { // recompute mode: one MADE pass, kept for this backward only
            stash = new Stash(true);
            stash.put("h", conditioner(x, stash));
        }
        return vjp(x, stash.get("h"), stash, gy, gLd);
    }

    /** The full VJP of the density map at x: returns {@code Jᵀ·gz + gLd·∇ₓld} and accumulates the parameter gradients. */
    private Tensor vjp(Tensor x, Tensor h, Stash at, Tensor gz, Tensor gLd) {
        Tensor gx = be.alloc(x.shape()), gh = be.alloc(h.shape());
        be.maf().mafBackward(x, h, clamp, gz, gLd, gx, gh);
        be.elementwise().axpy(1f, conditionerBackward(x, gh, at), gx);
        return gx;
    }

    /**
     * Closed-form backward of {@link #inverse} (x = F⁻¹(z)) by the back-substitution of {@link Iaf}'s class comment: given
     * gx = ∂L/∂x and gLd = ∂L/∂ld⁻¹ returns ∂L/∂z and accumulates the parameter gradients. D + 1 MADE VJPs at x (plus one
     * step for the context columns, which the density map leaves unchanged).
     */
    @Override public Tensor inverseBackward(Tensor z, Tensor x, Tensor gx, Tensor gLd) {
        checkRows(x, "inverseBackward");
        buildStepIndices();
        int n = x.dim(0);
        Stash at = new Stash(true);                      // one MADE pass at x, reused by every VJP below
        Tensor h = conditioner(x, at);

        Tensor hNeg = be.alloc(n, 2 * width);            // [0 | −raw]: mafForward with it multiplies by exp(+α)
        Tensor raw = be.alloc(n, width);
        be.coupling().gather(h, alphaCols, raw);
        be.elementwise().scale(raw, -1f);
        be.coupling().scatterAdd(raw, alphaCols, hNeg);

        List<Param> ps = params();
        List<Tensor> saved = new ArrayList<>(ps.size()); // the solve's VJPs must not leave parameter gradients behind
        for (Param p : ps) {
            Tensor s = null;
            if (p.grad() != null) { s = be.alloc(p.grad().shape()); be.copy(p.grad(), s); }
            saved.add(s);
        }

        Tensor v = be.alloc(n, width);
        Tensor junkLd = be.alloc(n);
        int[] order = made.order();
        for (int t = dim - 1; t >= -1; t--) {            // t = −1: the context columns (first in the triangular order)
            if (t < 0 && context == 0) break;
            Index cols = t >= 0 ? single[order[t]] : ctxCols;
            int k = t >= 0 ? 1 : context;
            try (Scope s = be.scope()) {
                Tensor r = vjp(x, h, at, v, gLd);                                 // B_x(v, gℓ)
                Tensor res = be.alloc(n, width);
                be.copy(gx, res);
                be.elementwise().axpy(-1f, r, res);                               // gx − B_x
                Tensor u = be.alloc(n, width);
                be.maf().mafForward(res, hNeg, clamp, u, junkLd);                 // (gx − B_x)·exp(α)
                Tensor col = be.alloc(n, k);
                be.coupling().gather(u, cols, col);
                be.coupling().scatterAdd(col, cols, v);                           // v_j (was 0)
            }
        }

        for (int i = 0; i < ps.size(); i++) if (saved.get(i) != null) be.copy(saved.get(i), ps.get(i).grad());
        try (Scope s = be.scope()) {                                              // ∂L/∂θ += B_θ(−v, −gℓ)
            Tensor negV = be.alloc(n, width), negGLd = be.alloc(n);
            be.copy(v, negV);
            be.elementwise().scale(negV, -1f);
            be.copy(gLd, negGLd);
            be.elementwise().scale(negGLd, -1f);
            vjp(x, h, at, negV, negGLd);
        }
        return v;
    }
}
