package dev.fluvia.flow;

/** How the backward pass gets each layer's input. */
public enum MemoryMode {
    /** Keep every layer's input and intermediates from the forward pass (fastest; memory grows with depth). */
    STORE,
    /** Keep only the output; recompute each layer's input by inverting it during backward (reversible backprop: activation memory independent of depth). */
    RECOMPUTE;

    /**
     * The mode named {@code s} (the CLI's {@code --memory}, {@code TrainConfig}).
     *
     * @param s store, or recompute (also: reversible); case-insensitive, surrounding blanks ignored
     * @return the mode
     * @throws dev.fluvia.FluviaException.UnknownNameException for any other name
     */
    public static MemoryMode parse(String s) {
        return switch (s.trim().toLowerCase()) {
            case "store" -> STORE;
            case "recompute", "reversible" -> RECOMPUTE;
            default -> throw new dev.fluvia.FluviaException.UnknownNameException("unknown memory mode '" + s + "' (known: store, recompute)");
        };
    }
}
