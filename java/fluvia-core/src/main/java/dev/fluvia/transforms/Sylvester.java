package dev.fluvia.transforms;

import dev.fluvia.backend.Backend;
import dev.fluvia.param.ParamSource;
import dev.fluvia.param.Param;
import dev.fluvia.param.Stash;
import dev.fluvia.tensor.Tensor;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Orthogonal Sylvester flow (van den Berg et al. 2018), FLOWS.md "Sylvester". Defined in the generative direction only:
 * {@code x = z + Q R tanh(R̃ Qᵀ z + b)}, {@code Q = H_1 ⋯ H_K} a product of Householder reflections
 * {@code H_k = I − 2 v_k v_kᵀ/‖v_k‖²}, R and R̃ upper-triangular with diagonals {@code tanh(raw)} (so that
 * {@code R_ii R̃_ii > −1} and the map is invertible); {@code ld⁻¹ = Σ_i log(1 + R_ii R̃_ii (1 − tanh²(a_i)))}.
 *
 * <p>The normalizing direction (x → z) has no tractable form: {@link #forward} and {@link #backward} throw
 * {@link NotInvertibleException}, so a flow with this layer scores no data; it is fitted by reverse KL and sampled.
 * Like planar and radial, the layer runs on the backend through the residual op family ({@code be.residual().sylvester*},
 * {@code kernels/residual.cu}): Q, R and R̃ are built inside the ops, on the device, every call.
 */
public final class Sylvester implements Transform, InverseBackward {
    public static final String KIND = "sylvester";

    private final Backend be;
    private final int dim, reflections;
    private final Param v, r, rt, b;

    /**
     * Random initialisation: v_k ~ N(0, I), the raw entries of R and R̃ (upper triangle with the diagonal) ~ N(0, 0.1²/D),
     * b = 0: close to the identity.
     */
    public Sylvester(Backend be, int dim, int reflections, SplittableRandom rng) { this(ParamSource.fresh(be), be, dim, reflections, rng); }

    /** @param src where v, R, R̃ and b come from (a stored source draws nothing from {@code rng}, which may then be null) */
    public Sylvester(ParamSource src, Backend be, int dim, int reflections, SplittableRandom rng) {
        if (dim < 1) throw new IllegalArgumentException(KIND + ": dim must be >= 1, got " + dim);
        if (reflections < 1) throw new IllegalArgumentException(KIND + ": reflections must be >= 1, got " + reflections);
        this.be = be;
        this.dim = dim;
        this.reflections = reflections;
        float[][] init = src.fresh() ? initial(dim, reflections, rng) : null;
        this.v = src.param("v", true, () -> init[0], reflections, dim);
        this.r = src.param("r", true, () -> init[1], dim, dim);
        this.rt = src.param("r_tilde", true, () -> init[2], dim, dim);
        this.b = src.param("b", true, () -> new float[dim], dim);
        if (!src.fresh()) checkParams();   // fresh values are valid by construction
    }

    /** {v, R, R̃} of the random initialisation. */
    private static float[][] initial(int dim, int reflections, SplittableRandom rng) {
        float[] vi = new float[reflections * dim], ri = new float[dim * dim], rti = new float[dim * dim];
        for (int i = 0; i < vi.length; i++) vi[i] = (float) Planar.gaussian(rng);
        double s = 0.1 / Math.sqrt(dim);
        for (int i = 0; i < dim; i++)
            for (int j = i; j < dim; j++) {
                ri[i * dim + j] = (float) (s * Planar.gaussian(rng));
                rti[i * dim + j] = (float) (s * Planar.gaussian(rng));
            }
        return new float[][] {vi, ri, rti};
    }

    /** D reflections (enough for any orthogonal Q up to signs). */
    public Sylvester(Backend be, int dim, SplittableRandom rng) { this(be, dim, dim, rng); }

    @Override public String kind() { return KIND; }
    @Override public int[] eventShape() { return new int[] {dim}; }
    @Override public List<Param> params() { return List.of(v, r, rt, b); }
    public int reflections() { return reflections; }

    /**
     * Refuses stored parameters outside the layer's domain (a zero or non-finite Householder vector, non-finite R, R̃, b)
     * when the layer is built; during training the ops give non-finite outputs for them, never a finite wrong answer.
     */
    private void checkParams() {
        float[] vf = be.toHost(v.value()), rf = be.toHost(r.value()), rtf = be.toHost(rt.value()), bf = be.toHost(b.value());
        for (int k = 0; k < reflections; k++) {
            double n = 0;
            for (int i = 0; i < dim; i++) n += (double) vf[k * dim + i] * vf[k * dim + i];
            if (!(n > 0) || !Double.isFinite(n))
                throw new InvalidParameterException(KIND + ": Householder vector " + k + " must be finite and non-zero (‖v‖² = " + n + ")");
        }
        for (int i = 0; i < dim; i++) {
            if (!Float.isFinite(bf[i])) throw new InvalidParameterException(KIND + ": b[" + i + "] is " + bf[i]);
            for (int j = i; j < dim; j++)
                if (!Float.isFinite(rf[i * dim + j]) || !Float.isFinite(rtf[i * dim + j]))
                    throw new InvalidParameterException(KIND + ": r[" + i + "," + j + "] = " + rf[i * dim + j] + ", r_tilde = "
                            + rtf[i * dim + j] + " must be finite");
        }
    }

    /** s = Qᵀz, a = R̃s + b, x = z + Q R tanh(a), fused per row on the backend ({@code be.residual().sylvesterInverse}). */
    @Override public Tensor inverse(Tensor y, Tensor ld) {
        Events.check(KIND, "inverse", y, eventShape());
        Tensor x = be.alloc(y.shape());
        be.residual().sylvesterInverse(y, v.value(), r.value(), rt.value(), b.value(), x, ld);
        return x;
    }

    /** Closed-form generative backward (FLOWS.md), including ∂L/∂v through the Householder products, on the backend. */
    @Override public Tensor inverseBackward(Tensor y, Tensor xOut, Tensor gx, Tensor gLd) {
        Events.check(KIND, "inverseBackward", y, eventShape());
        Tensor gz = be.alloc(y.shape());
        be.residual().sylvesterInverseBackward(y, v.value(), r.value(), rt.value(), b.value(), gx, gLd, gz, v.grad(), r.grad(), rt.grad(), b.grad());
        return gz;
    }

    private NotInvertibleException noForward(String op) {
        return new NotInvertibleException(KIND + "." + op + ": the Sylvester flow is defined in the generative direction only (z → x) "
                + "and has no tractable inverse, so it cannot give the density of data or train on data; fit it to a target "
                + "density by reverse KL (fluvia fit-target) and sample from it");
    }

    @Override public Tensor forward(Tensor x, Tensor ld, Stash stash) { throw noForward("forward"); }

    @Override public Tensor backward(Tensor x, Tensor gy, Tensor gLd, Stash stash) { throw noForward("backward"); }
}
