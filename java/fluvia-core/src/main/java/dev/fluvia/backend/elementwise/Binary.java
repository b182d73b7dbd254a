package dev.fluvia.backend.elementwise;

/** The binary maps of {@link ElementwiseOps#map(Binary, dev.fluvia.tensor.Tensor, dev.fluvia.tensor.Tensor, dev.fluvia.tensor.Tensor)} (by ordinal, as kernels/elementwise.cu's {@code flvBinary}). */
public enum Binary {
    ADD, SUB, MUL, DIV, MAX, MIN;

    /** The map in double (the CPU reference). */
    public double apply(double a, double b) {
        return switch (this) {
            case ADD -> a + b;
            case SUB -> a - b;
            case MUL -> a * b;
            case DIV -> a / b;
            case MAX -> Math.max(a, b);
            case MIN -> Math.min(a, b);
        };
    }
}
