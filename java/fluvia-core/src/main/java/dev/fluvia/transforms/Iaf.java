package dev.fluvia.transforms;

import dev.fluvia.param.Stash;
import dev.fluvia.backend.Activation;
import dev.fluvia.backend.Backend;
import dev.fluvia.backend.Scope;
import dev.fluvia.param.Param;
import dev.fluvia.tensor.Index;
import dev.fluvia.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Inverse autoregressive flow layer (Kingma et al. 2016), FLOWS.md "IAF": the {@link Maf} layer mounted the other way round.
 * Let {@code F} be the MAF density map, {@code F(u)_d = (u_d − μ_d(u_{<d}))·exp(−α_d(u_{<d}))}, {@code ld_F(u) = −Σ_d α_d(u)}.
 * <ul>
 *   <li>forward x → y is {@code y = F⁻¹(x)}: sequential over the order ({@code mafInverse}), {@code ld = Σ_d α_d(y) = −ld_F(y)};</li>
 *   <li>inverse y → x is {@code x = F(y)}: one pass ({@code mafForward}), {@code ld⁻¹ = ld_F(y)}.</li>
 * </ul>
 * So sampling is one pass when the IAF sits in the generative direction, and density evaluation is sequential.
 *
 * <h2>Backward of the sequential direction (implicit differentiation)</h2>
 * With {@code gy = ∂L/∂y} and {@code gℓ = ∂L/∂ld}, write {@code J = ∂F/∂u} at {@code u = y} (lower-triangular in the
 * order, diagonal {@code exp(−α_d)}), {@code F_θ = ∂F/∂θ}, and the MAF's own vector–Jacobian products (what {@link Maf#backward}
 * computes at input y with {@code gz = w}, {@code gLd = gℓ}):
 * <pre>
 *   B_y(w, gℓ) = Jᵀ·w + gℓ·∇_y ld_F          B_θ(w, gℓ) = F_θᵀ·w + gℓ·∂_θ ld_F
 * </pre>
 * Differentiating {@code F(y(x, θ), θ) = x}: {@code J·dy = dx − F_θ·dθ}, hence {@code dy = J⁻¹(dx − F_θ dθ)}; and
 * {@code ld = −ld_F(y, θ)} gives {@code d ld = −∇_y ld_Fᵀ dy − ∂_θ ld_F dθ}. Then
 * <pre>
 *   dL = gyᵀdy + gℓ·d ld = (gy − gℓ∇_y ld_F)ᵀ J⁻¹ (dx − F_θ dθ) − gℓ ∂_θ ld_F dθ.
 * </pre>
 * With {@code v = J⁻ᵀ(gy − gℓ∇_y ld_F)}:
 * <pre>
 *   ∂L/∂x = v,     ∂L/∂θ = −(F_θᵀ v + gℓ ∂_θ ld_F) = −B_θ(v, gℓ) = B_θ(−v, −gℓ)   (B is linear in (w, gℓ)),
 * </pre>
 * and {@code v} is the solution of {@code B_y(v, gℓ) = gy}. {@code Jᵀ} is upper-triangular in the order, so {@code v} comes
 * from D back-substitution steps, last dim of the order first: with {@code v} holding only the dims after {@code j}
 * (the rest zero), {@code r = B_y(v, gℓ)} has {@code r_j = Σ_{d after j} J_{dj} v_d + gℓ ∂ld_F/∂y_j}, and
 * {@code v_j = (gy_j − r_j)·exp(α_j)}.
 *
 * <p>Ops only: each step is one {@code mafBackward} + MADE backward (the MAF VJP, reusing one stored MADE pass at y);
 * the multiplication by {@code exp(α)} is {@code mafForward} with {@code h⁻ = [0 | −raw]} (α is odd in raw);
 * column j is moved into v by {@code gather}/{@code scatterAdd}. The VJPs of the solve also accumulate parameter
 * gradients, so the gradient accumulators are copied aside before the solve and restored after it; the final
 * {@code B_θ(−v, −gℓ)} then accumulates the true parameter gradient. Cost: D + 1 MADE backward passes, like the
 * sequential forward's D conditioner evaluations.
 */
public final class Iaf implements Transform {
    public static final String KIND = "iaf";

    private final Backend be;
    private final Maf maf;
    private final int dim;
    private final Index[] single;
    private final Index alphaCols;

    /** Mounts a MAF layer the other way round (the IAF shares its parameters). */
    public Iaf(Backend be, Maf maf) {
        this.be = be;
        this.maf = maf;
        this.dim = maf.eventShape()[0];
        this.single = new Index[dim];
        int[] cols = new int[dim];
        for (int d = 0; d < dim; d++) {
            single[d] = be.index(new int[] {d});
            cols[d] = dim + d;
        }
        this.alphaCols = be.index(cols);
    }

    /** An IAF layer over a fresh MADE; arguments as for {@link Maf#Maf(Backend, int[], int[], Activation, float, int[][], SplittableRandom)}. */
    public Iaf(Backend be, int[] order, int[] hidden, Activation act, float clamp, int[][] degrees, SplittableRandom rng) {
        this(be, new Maf(be, order, hidden, act, clamp, degrees, rng));
    }

    @Override public String kind() { return KIND; }
    @Override public int[] eventShape() { return maf.eventShape(); }
    @Override public List<Param> params() { return maf.params(); }

    /** The MAF layer this IAF mounts. */
    public Maf maf() { return maf; }

    /** x → y = F⁻¹(x), sequential over the order; ld += Σ α(y). */
    @Override public Tensor forward(Tensor x, Tensor ld, Stash stash) {
        Tensor y = maf.inverse(x, ld);
        stash.put("y", y);
        return y;
    }

    /** y → x = F(y), one pass; ld += −Σ α(y). */
    @Override public Tensor inverse(Tensor y, Tensor ld) {
        return maf.forward(y, ld, Stash.none());
    }

    /** Implicit-differentiation backward of {@link #forward} (see the class comment). */
    @Override public Tensor backward(Tensor x, Tensor gy, Tensor gLd, Stash stash) {
        int n = x.dim(0);
        Tensor y = stash.get("y");
        if (y == null) y = maf.inverse(x, be.alloc(n)); // recompute mode: the sequential pass again
        Stash at = new Stash(true);                      // one MADE pass at y, reused by every VJP below
        Tensor h = maf.made().forward(y, at, "made");
        float clamp = maf.clamp();

        Tensor hNeg = be.alloc(n, 2 * dim);              // [0 | −raw]: mafForward with it multiplies by exp(+α)
        Tensor raw = be.alloc(n, dim);
        be.gather(h, alphaCols, raw);
        be.scale(raw, -1f);
        be.scatterAdd(raw, alphaCols, hNeg);

        List<Param> ps = maf.params();
        List<Tensor> saved = new ArrayList<>(ps.size()); // the solve's VJPs must not leave parameter gradients behind
        for (Param p : ps) {
            Tensor s = null;
            if (p.grad() != null) { s = be.alloc(p.grad().shape()); be.copy(p.grad(), s); }
            saved.add(s);
        }

        Tensor v = be.alloc(n, dim);
        Tensor junkLd = be.alloc(n);
        int[] order = maf.order();
        for (int t = dim - 1; t >= 0; t--) {
            int j = order[t];
            try (Scope s = be.scope()) {
                Tensor r = vjpInput(y, h, at, v, gLd, clamp);   // B_y(v, gℓ)
                Tensor res = be.alloc(n, dim);
                be.copy(gy, res);
                be.axpy(-1f, r, res);                          // gy − B_y
                Tensor u = be.alloc(n, dim);
                be.mafForward(res, hNeg, clamp, u, junkLd);    // (gy − B_y)·exp(α)
                Tensor col = be.alloc(n, 1);
                be.gather(u, single[j], col);
                be.scatterAdd(col, single[j], v);              // v_j (was 0)
            }
        }

        for (int i = 0; i < ps.size(); i++) if (saved.get(i) != null) be.copy(saved.get(i), ps.get(i).grad());
        try (Scope s = be.scope()) {                           // ∂L/∂θ += B_θ(−v, −gℓ)
            Tensor negV = be.alloc(n, dim), negGLd = be.alloc(n);
            be.copy(v, negV);
            be.scale(negV, -1f);
            be.copy(gLd, negGLd);
            be.scale(negGLd, -1f);
            vjpInput(y, h, at, negV, negGLd, clamp);
        }
        return v;
    }

    /** The MAF's full VJP at y: returns {@code Jᵀ·w + gℓ·∇_y ld_F} and accumulates {@code B_θ(w, gℓ)} into the parameter gradients. */
    private Tensor vjpInput(Tensor y, Tensor h, Stash at, Tensor w, Tensor gLd, float clamp) {
        Tensor gx = be.alloc(y.shape()), gh = be.alloc(h.shape());
        be.mafBackward(y, h, clamp, w, gLd, gx, gh);
        Tensor gxc = maf.made().backward(y, gh, at, "made");
        be.axpy(1f, gxc, gx);
        return gx;
    }
}
