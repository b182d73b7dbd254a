package dev.fluvia.transforms;

import dev.fluvia.backend.Backend;
import dev.fluvia.param.Param;
import dev.fluvia.param.ParamSource;
import dev.fluvia.param.Stash;
import dev.fluvia.tensor.Tensor;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Radial flow (Rezende &amp; Mohamed 2015), FLOWS.md "Radial flow". Defined in the generative direction
 * {@code x = z + β·h(α, r)·(z − z0)}, {@code r = ‖z − z0‖}, {@code h = 1/(α + r)}, with {@code α = softplus(α̂) > 0}
 * and {@code β = −α + softplus(β̂) > −α} (invertibility). Parameters: {@code z0 [D]}, {@code alpha_raw [1]} (α̂),
 * {@code beta_raw [1]} (β̂).
 *
 * <p>Fluvia's forward is the normalizing direction (x → z): with {@code ρ = ‖x − z0‖} it solves the monotone 1-D equation
 * {@code ρ = r·(1 + β/(α + r))} for {@code r ≥ 0}. That equation is the quadratic {@code r² + (α + β − ρ)·r − αρ = 0},
 * whose one non-negative root is taken in closed form (the cancellation-free form of the quadratic formula), in float64;
 * then {@code z = z0 + (x − z0)/(1 + βh(r))}. Log-det of the forward: {@code −(D−1)·log(1 + βh) − log(1 + βα/(α + r)²)}.
 * Backward goes through the implicit function {@code r(ρ, α, β)}.
 *
 * <p>Like {@link Planar}, the layer runs on the backend through the residual op family ({@code be.residual().radial*},
 * {@code kernels/residual.cu}); α and β are derived inside the ops, on the device.
 */
public final class Radial implements Transform, InverseBackward {
    public static final String KIND = "radial";

    private final Backend be;
    private final int dim;
    private final Param z0, alphaRaw, betaRaw;

    /** Random initialisation: z0, α̂, β̂ uniform in (−1/√D, 1/√D). */
    public Radial(Backend be, int dim, SplittableRandom rng) { this(ParamSource.fresh(be), be, dim, rng); }

    /** @param src where z0, α̂, β̂ come from (a stored source draws nothing from {@code rng}, which may then be null) */
    public Radial(ParamSource src, Backend be, int dim, SplittableRandom rng) {
        if (dim < 1) throw new IllegalArgumentException(KIND + ": dim must be >= 1, got " + dim);
        this.be = be;
        this.dim = dim;
        double s = 1 / Math.sqrt(dim);
        this.z0 = src.param("z0", true, () -> {
            float[] c = new float[dim];
            for (int i = 0; i < dim; i++) c[i] = (float) ((rng.nextDouble() * 2 - 1) * s);
            return c;
        }, dim);
        this.alphaRaw = src.param("alpha_raw", true, () -> new float[] {(float) ((rng.nextDouble() * 2 - 1) * s)}, 1);
        this.betaRaw = src.param("beta_raw", true, () -> new float[] {(float) ((rng.nextDouble() * 2 - 1) * s)}, 1);
        if (!src.fresh()) checkParams();   // fresh values are valid by construction
    }

    @Override public String kind() { return KIND; }
    @Override public int[] eventShape() { return new int[] {dim}; }
    @Override public List<Param> params() { return List.of(z0, alphaRaw, betaRaw); }

    /** Refuses stored parameters that are not finite when the layer is built (the ops give non-finite outputs for them). */
    private void checkParams() {
        float[] cf = be.toHost(z0.value());
        for (int i = 0; i < dim; i++)
            if (!Float.isFinite(cf[i])) throw new InvalidParameterException(KIND + ": z0[" + i + "] is " + cf[i]);
        float ar = be.toHost(alphaRaw.value())[0], br = be.toHost(betaRaw.value())[0];
        if (!Float.isFinite(ar) || !Float.isFinite(br))
            throw new InvalidParameterException(KIND + ": alpha_raw = " + ar + " and beta_raw = " + br + " must be finite");
    }

    @Override public Tensor forward(Tensor x, Tensor ld, Stash stash) {
        Events.check(KIND, "forward", x, eventShape());
        Tensor z = be.alloc(x.shape());
        be.residual().radialForward(x, z0.value(), alphaRaw.value(), betaRaw.value(), z, ld);
        return z;
    }

    @Override public Tensor inverse(Tensor y, Tensor ld) {
        Events.check(KIND, "inverse", y, eventShape());
        Tensor x = be.alloc(y.shape());
        be.residual().radialInverse(y, z0.value(), alphaRaw.value(), betaRaw.value(), x, ld);
        return x;
    }

    /**
     * Reverse mode through y = x − z0, ρ = ‖y‖, r(ρ, α, β) implicit, A = α + r, H = 1 + β/A, J = 1 + βα/A²,
     * z = z0 + y/H, ld = −(D−1)·log H − log J, α = softplus(α̂), β = −α + softplus(β̂).
     */
    @Override public Tensor backward(Tensor x, Tensor gy, Tensor gLd, Stash stash) {
        Events.check(KIND, "backward", x, eventShape());
        Tensor gx = be.alloc(x.shape());
        be.residual().radialBackward(x, z0.value(), alphaRaw.value(), betaRaw.value(), gy, gLd, gx, z0.grad(), alphaRaw.grad(), betaRaw.grad());
        return gx;
    }

    /**
     * Generative backward (reverse KL), closed form: d = z − z0, r = ‖d‖, A = α + r, H = 1 + β/A, J = 1 + βα/A²,
     * x = z0 + H·d, ld⁻¹ = (D−1)·log H + log J; no root find.
     */
    @Override public Tensor inverseBackward(Tensor y, Tensor xOut, Tensor gx, Tensor gLd) {
        Events.check(KIND, "inverseBackward", y, eventShape());
        Tensor gz = be.alloc(y.shape());
        be.residual().radialInverseBackward(y, z0.value(), alphaRaw.value(), betaRaw.value(), gx, gLd, gz, z0.grad(), alphaRaw.grad(),
                betaRaw.grad());
        return gz;
    }
}
