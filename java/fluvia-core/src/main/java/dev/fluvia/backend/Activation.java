package dev.fluvia.backend;

import dev.fluvia.FluviaException.UnknownNameException;
import java.util.Locale;

/** Element-wise activations of conditioner networks. Derivatives are written in terms of the pre-activation {@code a} and output {@code y}. */
public enum Activation {
    /** y = a */
    IDENTITY,
    /** y = max(a, 0) */
    RELU,
    /** y = tanh(a) */
    TANH,
    /** y = a (a > 0), exp(a) − 1 otherwise */
    ELU,
    /** y = a·sigmoid(a) */
    SILU;

    /**
     * The activation named {@code s} (checkpoint configs and the CLI's {@code --activation}).
     *
     * @param s identity, relu, tanh, elu or silu; case-insensitive, surrounding blanks ignored
     * @return the activation
     * @throws UnknownNameException for any other name
     */
    public static Activation parse(String s) {
        try { return valueOf(s.trim().toUpperCase(Locale.ROOT)); }
        catch (IllegalArgumentException e) {
            throw new UnknownNameException("unknown activation '" + s + "' (known: identity, relu, tanh, elu, silu)");
        }
    }

    /** {@return the lower-case name {@link #parse} reads back} */
    public String id() { return name().toLowerCase(Locale.ROOT); }

    /**
     * Scalar reference of the forward map.
     *
     * @param a the pre-activation
     * @return {@code y = f(a)} (TANH: {@link #tanh32})
     */
    public float apply(float a) {
        return switch (this) {
            case IDENTITY -> a;
            case RELU -> a > 0 ? a : 0f;
            case TANH -> tanh32(a);
            case ELU -> a > 0 ? a : (float) Math.expm1(a);
            case SILU -> (float) (a / (1.0 + Math.exp(-a)));
        };
    }

    // ---- tanh in float32 (the CPU backend's tanh; the vector form in backend.cpu.ActivationVec does the same operations) ----

    /** Below this |x|: the odd polynomial; from it on: {@code 1 − 2/(e^{2|x|} + 1)}. */
    public static final float TANH_SMALL = 0.625f;
    /** |x| is clamped to this before the exponential (tanh rounds to 1 in float32 well before). */
    public static final float TANH_CLAMP = 10f;
    /**
     * {@code tanh(x) ≈ x + x³·P(x²)} on {@code |x| < 0.625}: P of degree 4 fitted (iteratively reweighted least squares, minimax
     * relative error 4.4e-9 in float64) to {@code (tanh x − x)/x³}.
     */
    public static final float T0 = -0.3333328068256378f, T1 = 0.13331441581249237f, T2 = -0.05373971536755562f,
            T3 = 0.02063908614218235f, T4 = -0.005704986397176981f;
    /** exp(y) = 2ⁿ·exp(r): n = rint(y·log₂e) by the 1.5·2²³ shifter, r = y − n·ln2 in two parts (Cody–Waite). */
    public static final float LOG2E = 1.4426950216293335f, SHIFTER = 12582912f,
            LN2_HI = 0.693145751953125f, LN2_LO = 1.428606765330187e-06f;
    /** Taylor coefficients of exp(r) − 1 − r on |r| ≤ ln2/2 (degree 7: truncation error &lt; 6e-9 relative). */
    public static final float E2 = 0.5f, E3 = 1f / 6, E4 = 1f / 24, E5 = 1f / 120, E6 = 1f / 720, E7 = 1f / 5040;

    /**
     * tanh in float32 arithmetic only (fused multiply-adds, one division, no library call), within 2 ulp of the correctly
     * rounded tanh (measured over all floats in {@code ActivationTanhTest}). {@code |x| < 0.625}: {@code x + x³·P(x²)};
     * otherwise {@code 1 − 2/(e + 1)}, {@code e = exp(2·min(|x|, 10))} by range reduction and a degree-7 polynomial; the sign of x is
     * put back last (so tanh(−0) = −0, NaN stays NaN, ±∞ → ±1). Every operation is IEEE float32 with one rounding, so
     * {@code backend.cpu.ActivationVec}'s lane-wise copy gives the same bits.
     *
     * @param x the argument
     * @return tanh(x) in float32, in [−1, 1]
     */
    public static float tanh32(float x) {
        float a = Math.abs(x);
        float s = a * a;
        float p = Math.fma(Math.fma(Math.fma(Math.fma(T4, s, T3), s, T2), s, T1), s, T0);
        float small = Math.fma(a * s, p, a);
        float y = 2f * Math.min(a, TANH_CLAMP);
        float k = Math.fma(y, LOG2E, SHIFTER);
        float n = k - SHIFTER;
        float r = Math.fma(-n, LN2_LO, Math.fma(-n, LN2_HI, y));
        float q = Math.fma(Math.fma(Math.fma(Math.fma(Math.fma(E7, r, E6), r, E5), r, E4), r, E3), r, E2);
        float e1 = Math.fma(r, Math.fma(r, q, 1f), 1f);
        float scale = Float.intBitsToFloat((Float.floatToRawIntBits(k) - (0x4B400000 - 127)) << 23);
        float big = 1f - 2f / (e1 * scale + 1f);
        float t = a < TANH_SMALL ? small : big;
        return Float.intBitsToFloat(Float.floatToRawIntBits(t) | (Float.floatToRawIntBits(x) & 0x80000000));
    }

    /**
     * Scalar reference of dy/da given pre-activation a and output y.
     *
     * @param a the pre-activation
     * @param y the output {@code apply(a)} (TANH and ELU use it instead of recomputing)
     * @return the derivative dy/da at {@code a}
     */
    public float derivative(float a, float y) {
        return switch (this) {
            case IDENTITY -> 1f;
            case RELU -> a > 0 ? 1f : 0f;
            case TANH -> 1f - y * y;
            case ELU -> a > 0 ? 1f : y + 1f;
            case SILU -> {
                double s = 1.0 / (1.0 + Math.exp(-a));
                yield (float) (s * (1.0 + a * (1.0 - s)));
            }
        };
    }
}
