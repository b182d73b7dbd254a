package dev.fluvia.transforms;

import dev.fluvia.param.Stash;
import dev.fluvia.backend.Activation;
import dev.fluvia.backend.Backend;
import dev.fluvia.param.Param;
import dev.fluvia.tensor.Tensor;
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
 * <p>Ops only ({@link Maf#inverseBackward} runs it, since this backward is the MAF's sampling-direction backward): each step
 * is one {@code mafBackward} + MADE backward (the MAF VJP, reusing one stored MADE pass at y);
 * the multiplication by {@code exp(α)} is {@code mafForward} with {@code h⁻ = [0 | −raw]} (α is odd in raw);
 * column j is moved into v by {@code gather}/{@code scatterAdd}. The VJPs of the solve also accumulate parameter
 * gradients, so the gradient accumulators are copied aside before the solve and restored after it; the final
 * {@code B_θ(−v, −gℓ)} then accumulates the true parameter gradient. Cost: D + 1 MADE backward passes, like the
 * sequential forward's D conditioner evaluations.
 *
 * <p>The generative direction (y → x, one pass) is differentiated in closed form by the MAF's own backward
 * ({@link InverseBackward}, reverse KL). A conditional IAF (rows {@code [x | c]}) is a conditional {@link Maf} mounted this way.
 */
public final class Iaf implements Transform, InverseBackward {
    public static final String KIND = "iaf";

    private final Backend be;
    private final Maf maf;

    /** Mounts a MAF layer the other way round (the IAF shares its parameters). */
    public Iaf(Backend be, Maf maf) {
        this.be = be;
        this.maf = maf;
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
        Tensor y = stash.get("y");
        if (y == null) y = maf.inverse(x, be.alloc(x.dim(0))); // recompute mode: the sequential pass again
        return maf.inverseBackward(x, y, gy, gLd);
    }

    /** Backward of {@link #inverse} (x = F(y)): the MAF's own backward at y. */
    @Override public Tensor inverseBackward(Tensor y, Tensor x, Tensor gx, Tensor gLd) {
        return maf.backward(y, gx, gLd, Stash.none());
    }
}
