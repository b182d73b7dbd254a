package dev.fluvia.transforms;

import dev.fluvia.backend.Backend;
import dev.fluvia.param.Param;
import dev.fluvia.param.ParamSource;
import dev.fluvia.param.Stash;
import dev.fluvia.tensor.Tensor;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Planar flow (Rezende &amp; Mohamed 2015), FLOWS.md "Planar flow". Defined in the generative direction
 * {@code x = z + û·tanh(wᵀz + b)} with the invertibility-guaranteeing reparameterisation
 * {@code û = u + (m(wᵀu) − wᵀu)·w/‖w‖²}, {@code m(a) = −1 + softplus(a)}, so that {@code wᵀû = m(wᵀu) > −1}.
 *
 * <p>Fluvia's forward is the normalizing direction (x → z): it solves the scalar equation
 * {@code a + (wᵀû)·tanh(a + b) = wᵀx} for {@code a = wᵀz} (strictly increasing in a) by a safeguarded Newton/bisection
 * root find in float64, then {@code z = x − û·tanh(a + b)}; its log-det is {@code −log(1 + (wᵀû)(1 − tanh²(a + b)))}.
 * Backward goes through the implicit function {@code a(wᵀx, wᵀû, b)}.
 *
 * <p>All four directions run on the backend through the residual op family ({@code be.residual().planarForward/Inverse/
 * Backward/InverseBackward}, {@code kernels/residual.cu}); û and c are derived inside the ops, on the device.
 */
public final class Planar implements Transform, InverseBackward {
    public static final String KIND = "planar";

    private final Backend be;
    private final int dim;
    private final Param u, w, b;

    /** Random initialisation: w a random unit vector, u ~ N(0, 0.1²/D) per entry, b = 0. */
    public Planar(Backend be, int dim, SplittableRandom rng) { this(ParamSource.fresh(be), be, dim, rng); }

    /** @param src where u, w, b come from (a stored source draws nothing from {@code rng}, which may then be null) */
    public Planar(ParamSource src, Backend be, int dim, SplittableRandom rng) {
        if (dim < 1) throw new IllegalArgumentException(KIND + ": dim must be >= 1, got " + dim);
        this.be = be;
        this.dim = dim;
        float[][] init = src.fresh() ? initial(dim, rng) : null;
        this.u = src.param("u", true, () -> init[0], dim);
        this.w = src.param("w", true, () -> init[1], dim);
        this.b = src.param("b", true, () -> new float[1], 1);
        if (!src.fresh()) checkParams();   // fresh values are valid by construction
    }

    /** {u, w} of the random initialisation. */
    private static float[][] initial(int dim, SplittableRandom rng) {
        float[] wi = new float[dim], ui = new float[dim];
        double norm = 0;
        double[] g = new double[dim];
        while (norm < 1e-3) {
            norm = 0;
            for (int i = 0; i < dim; i++) { g[i] = gaussian(rng); norm += g[i] * g[i]; }
        }
        norm = Math.sqrt(norm);
        for (int i = 0; i < dim; i++) {
            wi[i] = (float) (g[i] / norm);
            ui[i] = (float) (0.1 * gaussian(rng) / Math.sqrt(dim));
        }
        return new float[][] {ui, wi};
    }

    static double gaussian(SplittableRandom r) {
        double u1 = Math.max(r.nextDouble(), 1e-300), u2 = r.nextDouble();
        return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }

    @Override public String kind() { return KIND; }
    @Override public int[] eventShape() { return new int[] {dim}; }
    @Override public List<Param> params() { return List.of(u, w, b); }

    /**
     * Refuses stored parameters outside the layer's domain (w = 0 or anything non-finite) when the layer is built; during
     * training the op gives non-finite outputs for them (never a finite wrong answer), which the trainer's step status skips.
     */
    private void checkParams() {
        float[] uf = be.toHost(u.value()), wf = be.toHost(w.value());
        double n2 = 0;
        boolean finite = Float.isFinite(be.toHost(b.value())[0]);
        for (int i = 0; i < dim; i++) {
            n2 += (double) wf[i] * wf[i];
            finite &= Float.isFinite(uf[i]) && Float.isFinite(wf[i]);
        }
        if (!(n2 > 0) || !finite)
            throw new InvalidParameterException(KIND + ": w must be finite and non-zero (‖w‖² = " + n2 + "), u and b finite");
    }

    @Override public Tensor forward(Tensor x, Tensor ld, Stash stash) {
        Events.check(KIND, "forward", x, eventShape());
        Tensor z = be.alloc(x.shape());
        be.residual().planarForward(x, u.value(), w.value(), b.value(), z, ld);
        return z;
    }

    @Override public Tensor inverse(Tensor y, Tensor ld) {
        Events.check(KIND, "inverse", y, eventShape());
        Tensor x = be.alloc(y.shape());
        be.residual().planarInverse(y, u.value(), w.value(), b.value(), x, ld);
        return x;
    }

    /** Reverse mode through z = x − û·t, ld = −log(1 + c(1 − t²)), t = tanh(a + b), a(wᵀx, c, b) implicit, c = m(wᵀu), û(u, w). */
    @Override public Tensor backward(Tensor x, Tensor gy, Tensor gLd, Stash stash) {
        Events.check(KIND, "backward", x, eventShape());
        Tensor gx = be.alloc(x.shape());
        be.residual().planarBackward(x, u.value(), w.value(), b.value(), gy, gLd, gx, u.grad(), w.grad(), b.grad());
        return gx;
    }

    /**
     * Generative backward (reverse KL), closed form: x = z + û·t, t = tanh(wᵀz + b), ld⁻¹ = log(1 + c(1 − t²)); no root
     * find.
     */
    @Override public Tensor inverseBackward(Tensor y, Tensor xOut, Tensor gx, Tensor gLd) {
        Events.check(KIND, "inverseBackward", y, eventShape());
        Tensor gz = be.alloc(y.shape());
        be.residual().planarInverseBackward(y, u.value(), w.value(), b.value(), gx, gLd, gz, u.grad(), w.grad(), b.grad());
        return gz;
    }
}
