package dev.fluvia.backend.coupling;

import static dev.fluvia.backend.Activation.*;

import dev.fluvia.backend.Activation;
import dev.fluvia.backend.CouplingScale;

/**
 * The float32 arithmetic of the CPU affine coupling op ({@link CpuCoupling}), mirroring {@code kernels/coupling.cu}
 * ({@code tanhf}, {@code expf}, {@code log1pf}; the per-row log-det summed in double). Every function here is plain IEEE
 * float32 operations (fused multiply-adds, one rounding each) so that {@link CouplingVec}'s lane-wise copies give the same
 * bits, and results stay bit-identical whichever rows a thread gets.
 *
 * <p>{@link #exp32}: {@code 2ⁿ·exp(r)}, {@code n = rint(x·log₂e)} by the shifter of {@link Activation#tanh32}, {@code r} by
 * Cody–Waite in two parts ({@code |r| ≤ ln2/2}), {@code exp(r)} by the degree-7 Taylor polynomial of {@code tanh32}; x is
 * clamped to [{@link #EXP_LO}, {@link #EXP_HI}] first (beyond it the result is 0 / +∞ anyway) and {@code 2ⁿ} is applied as
 * two exact power-of-two factors, so overflow gives +∞ and underflow a (once-rounded) subnormal or 0. NaN stays NaN.
 * Error: see docs/FLOWS.md ("exp32"; {@code CouplingMathTest} measures it against float64).
 */
public final class CouplingMath {
    private CouplingMath() {}

    /** exp32's input range: below, the result rounds to 0; above, it is +∞. */
    public static final float EXP_LO = -104f, EXP_HI = 89f;

    /** e^x in float32 arithmetic only (see the class comment). */
    public static float exp32(float x) {
        float y = Math.min(Math.max(x, EXP_LO), EXP_HI);
        float k = Math.fma(y, LOG2E, SHIFTER);
        float n = k - SHIFTER;
        float r = Math.fma(-n, LN2_LO, Math.fma(-n, LN2_HI, y));
        float q = Math.fma(Math.fma(Math.fma(Math.fma(Math.fma(E7, r, E6), r, E5), r, E4), r, E3), r, E2);
        float e1 = Math.fma(r, Math.fma(r, q, 1f), 1f);
        int ni = Float.floatToRawIntBits(k) - 0x4B400000, h = ni >> 1;
        return e1 * Float.intBitsToFloat((h + 127) << 23) * Float.intBitsToFloat((ni - h + 127) << 23);
    }

    /** log1pf: the float64 {@code Math.log1p} rounded once to float32 (within 1 ulp of the exact value). */
    static float log1p32(float u) { return (float) Math.log1p(u); }

    /** log s: SOFTCLAMP {@code c·tanh32(h/c)}; SIGMOID {@code log sigmoid(h + 2) = −(max(−a, 0) + log1p(exp(−|a|)))}. */
    public static float logScale32(CouplingScale sc, float clamp, float raw) {
        if (sc == CouplingScale.SOFTCLAMP) return clamp * tanh32(raw / clamp);
        float a = raw + 2f;
        return -(Math.max(-a, 0f) + log1p32(exp32(-Math.abs(a))));
    }
}
