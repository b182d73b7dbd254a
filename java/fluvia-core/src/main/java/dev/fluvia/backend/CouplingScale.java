package dev.fluvia.backend;

import dev.fluvia.FluviaException.UnknownNameException;

/**
 * How an affine coupling (and MAF) turns the conditioner's raw output {@code h} into a scale (FLOWS.md).
 * SOFTCLAMP: {@code log s = c·tanh(h/c)}, {@code y = x·exp(log s) + t}.
 * SIGMOID (Glow): {@code s = sigmoid(h + 2)}, {@code y = (x + t)·s}.
 */
public enum CouplingScale {
    /** {@code log s = c·tanh(h/c)}, {@code y = x·exp(log s) + t}: the scale is bounded in {@code [e^−c, e^c]}. */
    SOFTCLAMP,
    /** Glow's {@code s = sigmoid(h + 2)}, {@code y = (x + t)·s}: the scale is in (0, 1), shift before scale. */
    SIGMOID;

    /**
     * The scale named {@code s} (checkpoint configs, the CLI's {@code --coupling-scale}).
     *
     * @param s softclamp (or exp, tanh) or sigmoid (or glow); case-insensitive, surrounding blanks ignored
     * @return the scale
     * @throws UnknownNameException for any other name
     */
    public static CouplingScale parse(String s) {
        return switch (s.trim().toLowerCase()) {
            case "softclamp", "exp", "tanh" -> SOFTCLAMP;
            case "sigmoid", "glow" -> SIGMOID;
            default -> throw new UnknownNameException("unknown coupling scale '" + s + "' (known: softclamp, sigmoid)");
        };
    }

    /** {@return the canonical name, {@code "softclamp"} or {@code "sigmoid"}, that {@link #parse} reads back} */
    public String id() { return this == SOFTCLAMP ? "softclamp" : "sigmoid"; }
}
