package dev.fluvia.backend.residual;

import static dev.fluvia.tensor.Shapes.perSample;
import static dev.fluvia.tensor.Shapes.rank;
import static dev.fluvia.tensor.Shapes.require;
import static dev.fluvia.tensor.Shapes.same;
import static dev.fluvia.tensor.Shapes.shape;

import dev.fluvia.tensor.Tensor;

/**
 * The residual family (docs/FLOWS.md "Planar flow", "Radial flow", "Sylvester flow in Fluvia"): the residual flows of
 * Rezende &amp; Mohamed (planar, radial) and van den Berg et al. (orthogonal Sylvester), {@code x [N, D]}, per row fused in
 * {@code kernels/residual.cu}. Every op reads float32 tensors and computes in float64 inside (the per-row dot products, the
 * planar root find, the radial closed-form radius, the implicit-function backward); outputs are rounded to float32 once.
 *
 * <ul>
 *   <li><b>planar</b> (parameters {@code u [D]}, {@code w [D]}, {@code b [1]}; û and {@code c = wᵀû = −1 + softplus(wᵀu)}
 *       are derived inside the op): generative {@code x = z + û·tanh(wᵀz + b)}; the normalizing direction solves
 *       {@code a + c·tanh(a + b) = wᵀx} per row by safeguarded Newton/bisection (|Δa| ≤ 1e-14·(1 + |a|)).</li>
 *   <li><b>radial</b> ({@code z0 [D]}, {@code alpha_raw [1]}, {@code beta_raw [1]}; {@code α = softplus(α̂)},
 *       {@code β = −α + softplus(β̂)} inside the op): generative {@code x = z0 + (1 + β/(α + r))(z − z0)}; the normalizing
 *       direction takes the radius from the cancellation-free root of its quadratic.</li>
 *   <li><b>sylvester</b> ({@code v [K, D]}, {@code r [D, D]}, {@code rt [D, D]}, {@code b [D]}; Q from the Householder
 *       vectors, the upper triangles with {@code tanh} diagonals, all built on the device per call): generative direction
 *       only, {@code x = z + Q R tanh(R̃ Qᵀ z + b)}; there is no normalizing op.</li>
 * </ul>
 *
 * <p>The conventions of {@link dev.fluvia.backend.Backend} hold: outputs {@code z, x, gx, gz} overwritten (the forward and
 * inverse outputs may be their input; a backward's output gradient must not be its incoming gradient); {@code ld} and the
 * parameter gradients ({@code gu, gw, gb, gz0, galpha, gbeta, gv, gr, grt}) accumulated into, summed over the batch in a
 * fixed order (per-chunk partials, then chunk order: deterministic). Parameters outside the layer's domain (planar
 * {@code w = 0}, a zero Householder vector, non-finite values) give non-finite outputs, never a finite wrong answer; the
 * layers refuse such stored parameters when they are built. {@code CpuResidual} is the reference (float32 storage, the
 * kernels' float64 arithmetic in Java); the float64 host oracles of the tests stay the oracle of both.
 */
public interface ResidualOps {

    /** z = x − û·tanh(a + b) with a the root of {@code a + c·tanh(a + b) = wᵀx}; {@code ld[n] += −log(1 + c(1 − tanh²(a + b)))}. */
    void planarForward(Tensor x, Tensor u, Tensor w, Tensor b, Tensor z, Tensor ld);

    /** x = z + û·tanh(wᵀz + b); {@code ld[n] += log(1 + c(1 − tanh²(wᵀz + b)))}. */
    void planarInverse(Tensor z, Tensor u, Tensor w, Tensor b, Tensor x, Tensor ld);

    /** Backward of {@link #planarForward} at x: gx overwritten, ∂L/∂u, ∂L/∂w, ∂L/∂b added into gu, gw, gb (through the implicit a). */
    void planarBackward(Tensor x, Tensor u, Tensor w, Tensor b, Tensor gz, Tensor gLd, Tensor gx, Tensor gu, Tensor gw, Tensor gb);

    /** Backward of {@link #planarInverse} at z (closed form, no root find): gz overwritten, parameter gradients added. */
    void planarInverseBackward(Tensor z, Tensor u, Tensor w, Tensor b, Tensor gx, Tensor gLd, Tensor gz, Tensor gu, Tensor gw, Tensor gb);

    /** z = z0 + (x − z0)/(1 + β/(α + r)), r the radius of the generative map; {@code ld[n] += −(D−1)·log H − log J}. */
    void radialForward(Tensor x, Tensor z0, Tensor alphaRaw, Tensor betaRaw, Tensor z, Tensor ld);

    /** x = z0 + (1 + β/(α + r))(z − z0), r = ‖z − z0‖; {@code ld[n] += (D−1)·log H + log J}. */
    void radialInverse(Tensor z, Tensor z0, Tensor alphaRaw, Tensor betaRaw, Tensor x, Tensor ld);

    /** Backward of {@link #radialForward} at x: gx overwritten, ∂L/∂z0, ∂L/∂α̂, ∂L/∂β̂ added. */
    void radialBackward(Tensor x, Tensor z0, Tensor alphaRaw, Tensor betaRaw, Tensor gz, Tensor gLd, Tensor gx, Tensor gz0,
                        Tensor galpha, Tensor gbeta);

    /** Backward of {@link #radialInverse} at z: gz overwritten, parameter gradients added. */
    void radialInverseBackward(Tensor z, Tensor z0, Tensor alphaRaw, Tensor betaRaw, Tensor gx, Tensor gLd, Tensor gz, Tensor gz0,
                               Tensor galpha, Tensor gbeta);

    /** x = z + Q R tanh(R̃ Qᵀ z + b); {@code ld[n] += Σ_i log(1 + R_ii R̃_ii (1 − tanh² a_i))}. */
    void sylvesterInverse(Tensor z, Tensor v, Tensor r, Tensor rt, Tensor b, Tensor x, Tensor ld);

    /**
     * Backward of {@link #sylvesterInverse} at z: gz overwritten; ∂L/∂v (through the Householder products), ∂L/∂r, ∂L/∂r̃
     * (upper triangles; the diagonal through tanh; the lower triangles get 0) and ∂L/∂b added.
     */
    void sylvesterInverseBackward(Tensor z, Tensor v, Tensor r, Tensor rt, Tensor b, Tensor gx, Tensor gLd, Tensor gz, Tensor gv,
                                  Tensor gr, Tensor grt, Tensor gb);

    /**
     * The argument checks of the residual ops, one static method per op (named after it), run by every backend before it
     * touches data: each failure is a {@link dev.fluvia.FluviaException.ShapeException} whose message starts with the op name.
     */
    final class Checks {
        private Checks() {}

        /** The largest D of the Sylvester ops (the backward's per-entry grid stays within the device's grid limits). */
        public static final int MAX_SYLVESTER_DIM = 2048;

        private static void sameRows(String op, String in, Tensor x, String out, Tensor y) {
            rank(op, in, x, 2);
            same(op, in, x, out, y);
        }

        private static void planarParams(String op, Tensor x, Tensor u, Tensor w, Tensor b) {
            shape(op, "u", u, x.dim(1));
            shape(op, "w", w, x.dim(1));
            shape(op, "b", b, 1);
        }

        private static void radialParams(String op, Tensor x, Tensor z0, Tensor alphaRaw, Tensor betaRaw) {
            shape(op, "z0", z0, x.dim(1));
            shape(op, "alphaRaw", alphaRaw, 1);
            shape(op, "betaRaw", betaRaw, 1);
        }

        private static void sylvesterParams(String op, Tensor z, Tensor v, Tensor r, Tensor rt, Tensor b) {
            int d = z.dim(1);
            require(d <= MAX_SYLVESTER_DIM, op, "D must be at most " + MAX_SYLVESTER_DIM + " (Q, R, R̃ are D × D per layer and per row work), got " + d, z);
            rank(op, "v", v, 2);
            require(v.dim(0) >= 1, op, "v must hold at least one Householder vector", v);
            shape(op, "v", v, v.dim(0), d);
            shape(op, "r", r, d, d);
            shape(op, "rt", rt, d, d);
            shape(op, "b", b, d);
        }

        private static void backward(String op, String gin, Tensor gIn, String gout, Tensor gOut, Tensor x, Tensor gLd) {
            same(op, "x", x, gin, gIn);
            same(op, "x", x, gout, gOut);
            perSample(op, "gLd", gLd, x);
            require(gIn != gOut, op, gout + " must not be " + gin + " (the parameter gradients read " + gin + " after " + gout + " is written)", gOut);
        }

        public static void planarForward(Tensor x, Tensor u, Tensor w, Tensor b, Tensor z, Tensor ld) {
            sameRows("planarForward", "x", x, "z", z);
            planarParams("planarForward", x, u, w, b);
            perSample("planarForward", "ld", ld, x);
        }

        public static void planarInverse(Tensor z, Tensor u, Tensor w, Tensor b, Tensor x, Tensor ld) {
            sameRows("planarInverse", "z", z, "x", x);
            planarParams("planarInverse", z, u, w, b);
            perSample("planarInverse", "ld", ld, z);
        }

        public static void planarBackward(Tensor x, Tensor u, Tensor w, Tensor b, Tensor gz, Tensor gLd, Tensor gx, Tensor gu, Tensor gw, Tensor gb) {
            String op = "planarBackward";
            rank(op, "x", x, 2);
            planarParams(op, x, u, w, b);
            backward(op, "gz", gz, "gx", gx, x, gLd);
            same(op, "u", u, "gu", gu);
            same(op, "w", w, "gw", gw);
            same(op, "b", b, "gb", gb);
        }

        public static void planarInverseBackward(Tensor z, Tensor u, Tensor w, Tensor b, Tensor gx, Tensor gLd, Tensor gz, Tensor gu, Tensor gw, Tensor gb) {
            String op = "planarInverseBackward";
            rank(op, "z", z, 2);
            planarParams(op, z, u, w, b);
            backward(op, "gx", gx, "gz", gz, z, gLd);
            same(op, "u", u, "gu", gu);
            same(op, "w", w, "gw", gw);
            same(op, "b", b, "gb", gb);
        }

        public static void radialForward(Tensor x, Tensor z0, Tensor alphaRaw, Tensor betaRaw, Tensor z, Tensor ld) {
            sameRows("radialForward", "x", x, "z", z);
            radialParams("radialForward", x, z0, alphaRaw, betaRaw);
            perSample("radialForward", "ld", ld, x);
        }

        public static void radialInverse(Tensor z, Tensor z0, Tensor alphaRaw, Tensor betaRaw, Tensor x, Tensor ld) {
            sameRows("radialInverse", "z", z, "x", x);
            radialParams("radialInverse", z, z0, alphaRaw, betaRaw);
            perSample("radialInverse", "ld", ld, z);
        }

        public static void radialBackward(Tensor x, Tensor z0, Tensor alphaRaw, Tensor betaRaw, Tensor gz, Tensor gLd, Tensor gx,
                                          Tensor gz0, Tensor galpha, Tensor gbeta) {
            String op = "radialBackward";
            rank(op, "x", x, 2);
            radialParams(op, x, z0, alphaRaw, betaRaw);
            backward(op, "gz", gz, "gx", gx, x, gLd);
            same(op, "z0", z0, "gz0", gz0);
            same(op, "alphaRaw", alphaRaw, "galpha", galpha);
            same(op, "betaRaw", betaRaw, "gbeta", gbeta);
        }

        public static void radialInverseBackward(Tensor z, Tensor z0, Tensor alphaRaw, Tensor betaRaw, Tensor gx, Tensor gLd, Tensor gz,
                                                 Tensor gz0, Tensor galpha, Tensor gbeta) {
            String op = "radialInverseBackward";
            rank(op, "z", z, 2);
            radialParams(op, z, z0, alphaRaw, betaRaw);
            backward(op, "gx", gx, "gz", gz, z, gLd);
            same(op, "z0", z0, "gz0", gz0);
            same(op, "alphaRaw", alphaRaw, "galpha", galpha);
            same(op, "betaRaw", betaRaw, "gbeta", gbeta);
        }

        public static void sylvesterInverse(Tensor z, Tensor v, Tensor r, Tensor rt, Tensor b, Tensor x, Tensor ld) {
            sameRows("sylvesterInverse", "z", z, "x", x);
            sylvesterParams("sylvesterInverse", z, v, r, rt, b);
            perSample("sylvesterInverse", "ld", ld, z);
        }

        public static void sylvesterInverseBackward(Tensor z, Tensor v, Tensor r, Tensor rt, Tensor b, Tensor gx, Tensor gLd, Tensor gz,
                                                    Tensor gv, Tensor gr, Tensor grt, Tensor gb) {
            String op = "sylvesterInverseBackward";
            rank(op, "z", z, 2);
            sylvesterParams(op, z, v, r, rt, b);
            backward(op, "gx", gx, "gz", gz, z, gLd);
            same(op, "v", v, "gv", gv);
            same(op, "r", r, "gr", gr);
            same(op, "rt", rt, "grt", grt);
            same(op, "b", b, "gb", gb);
        }
    }
}
