package dev.fluvia.tensor;

import dev.fluvia.FluviaException.ShapeException;
import java.util.Arrays;

/** Shape checks shared by every backend; every message names the op and the shapes involved. */
public final class Shapes {
    private Shapes() {}

    /**
     * Fails unless a condition on shapes holds.
     *
     * @param ok   the condition; {@code true} returns at once
     * @param op   the op name that starts the message
     * @param what what must hold, in words
     * @param ts   the tensors whose shapes the message lists ({@code null} entries print as "null")
     * @throws dev.fluvia.FluviaException.ShapeException when {@code ok} is false
     */
    public static void require(boolean ok, String op, String what, Tensor... ts) {
        if (ok) return;
        StringBuilder sb = new StringBuilder(op).append(": ").append(what).append(" (shapes:");
        for (Tensor t : ts) sb.append(' ').append(t == null ? "null" : t.shapeString());
        throw new ShapeException(sb.append(')').toString());
    }

    /**
     * Fails unless a tensor has one of the given ranks.
     *
     * @param op    the op name that starts the message
     * @param name  the argument's name in the message
     * @param t     the tensor to check
     * @param ranks the accepted ranks (number of extents)
     * @throws dev.fluvia.FluviaException.ShapeException when {@code t}'s rank is none of {@code ranks}
     */
    public static void rank(String op, String name, Tensor t, int... ranks) {
        for (int r : ranks) if (t.rank() == r) return;
        throw new ShapeException(op + ": " + name + " must have rank " + Arrays.toString(ranks) + " but has shape " + t.shapeString());
    }

    /**
     * Fails unless two tensors have equal shapes.
     *
     * @param op the op name that starts the message
     * @param an the first tensor's name in the message
     * @param a  the first tensor
     * @param bn the second tensor's name in the message
     * @param b  the second tensor
     * @throws dev.fluvia.FluviaException.ShapeException when the shapes differ
     */
    public static void same(String op, String an, Tensor a, String bn, Tensor b) {
        if (!Arrays.equals(a.shape(), b.shape()))
            throw new ShapeException(op + ": " + an + " " + a.shapeString() + " and " + bn + " " + b.shapeString() + " must have the same shape");
    }

    /**
     * Fails unless a tensor has exactly the expected shape.
     *
     * @param op       the op name that starts the message
     * @param name     the argument's name in the message
     * @param t        the tensor to check
     * @param expected the required extents, outermost first
     * @throws dev.fluvia.FluviaException.ShapeException when the shape differs
     */
    public static void shape(String op, String name, Tensor t, int... expected) {
        if (!Arrays.equals(t.shape(), expected))
            throw new ShapeException(op + ": " + name + " must have shape " + Arrays.toString(expected) + " but has " + t.shapeString());
    }

    /**
     * Fails unless {@code v} is a per-sample vector {@code [N]} matching the batch of {@code x}.
     *
     * @param op   the op name that starts the message
     * @param name {@code v}'s name in the message
     * @param v    the per-sample tensor (log-determinants, log-densities, ...)
     * @param x    the batch whose first extent is {@code N}
     * @throws dev.fluvia.FluviaException.ShapeException when {@code v} is not of rank 1 with {@code x.dim(0)} elements
     */
    public static void perSample(String op, String name, Tensor v, Tensor x) {
        if (v.rank() != 1 || v.dim(0) != x.dim(0))
            throw new ShapeException(op + ": " + name + " must have shape [" + x.dim(0) + "] (one per sample of " + x.shapeString() + ") but has " + v.shapeString());
    }
}
