package dev.fluvia.backend;

import dev.fluvia.FluviaException.UnknownNameException;

/**
 * How an affine coupling (and MAF) turns the conditioner's raw output {@code h} into a scale (FLOWS.md).
 * SOFTCLAMP: {@code log s = c·tanh(h/c)}, {@code y = x·exp(log s) + t}.
 * SIGMOID (Glow): {@code s = sigmoid(h + 2)}, {@code y = (x + t)·s}.
 */
public enum CouplingScale {
    SOFTCLAMP, SIGMOID;

    public static CouplingScale parse(String s) {
        return switch (s.trim().toLowerCase()) {
            case "softclamp", "exp", "tanh" -> SOFTCLAMP;
            case "sigmoid", "glow" -> SIGMOID;
            default -> throw new UnknownNameException("unknown coupling scale '" + s + "' (known: softclamp, sigmoid)");
        };
    }

    public String id() { return this == SOFTCLAMP ? "softclamp" : "sigmoid"; }
}
