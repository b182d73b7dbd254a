package dev.fluvia.tensor;

import dev.fluvia.FluviaException.ShapeException;
import java.util.Arrays;

/** Shape checks shared by every backend; every message names the op and the shapes involved. */
public final class Shapes {
    private Shapes() {}

    public static void require(boolean ok, String op, String what, Tensor... ts) {
        if (ok) return;
        StringBuilder sb = new StringBuilder(op).append(": ").append(what).append(" (shapes:");
        for (Tensor t : ts) sb.append(' ').append(t == null ? "null" : t.shapeString());
        throw new ShapeException(sb.append(')').toString());
    }

    public static void rank(String op, String name, Tensor t, int... ranks) {
        for (int r : ranks) if (t.rank() == r) return;
        throw new ShapeException(op + ": " + name + " must have rank " + Arrays.toString(ranks) + " but has shape " + t.shapeString());
    }

    public static void same(String op, String an, Tensor a, String bn, Tensor b) {
        if (!Arrays.equals(a.shape(), b.shape()))
            throw new ShapeException(op + ": " + an + " " + a.shapeString() + " and " + bn + " " + b.shapeString() + " must have the same shape");
    }

    public static void shape(String op, String name, Tensor t, int... expected) {
        if (!Arrays.equals(t.shape(), expected))
            throw new ShapeException(op + ": " + name + " must have shape " + Arrays.toString(expected) + " but has " + t.shapeString());
    }

    /** Per-sample vector [N] matching the batch of {@code x}. */
    public static void perSample(String op, String name, Tensor v, Tensor x) {
        if (v.rank() != 1 || v.dim(0) != x.dim(0))
            throw new ShapeException(op + ": " + name + " must have shape [" + x.dim(0) + "] (one per sample of " + x.shapeString() + ") but has " + v.shapeString());
    }
}
