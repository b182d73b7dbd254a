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

    public static Activation parse(String s) {
        try { return valueOf(s.trim().toUpperCase(Locale.ROOT)); }
        catch (IllegalArgumentException e) {
            throw new UnknownNameException("unknown activation '" + s + "' (known: identity, relu, tanh, elu, silu)");
        }
    }

    public String id() { return name().toLowerCase(Locale.ROOT); }

    /** Scalar reference of the forward map. */
    public float apply(float a) {
        return switch (this) {
            case IDENTITY -> a;
            case RELU -> a > 0 ? a : 0f;
            case TANH -> (float) Math.tanh(a);
            case ELU -> a > 0 ? a : (float) Math.expm1(a);
            case SILU -> (float) (a / (1.0 + Math.exp(-a)));
        };
    }

    /** Scalar reference of dy/da given pre-activation a and output y. */
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
