package dev.fluvia.backend.check;

import dev.fluvia.backend.Backend;
import dev.fluvia.tensor.Index;
import dev.fluvia.tensor.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * One validate-and-benchmark entry of an op family, in the manner of llm.c's per-kernel checks: an op call on fresh random
 * inputs, run on a reference backend (the CPU) and on the backend under test, whose outputs are compared element by element
 * with {@code |got − ref| ≤ atol + rtol·|ref|} after the tested backend's outputs were poisoned with NaN (so every element
 * must be written), and timed, with the bytes the op must move and its floating-point operations, to report GB/s and
 * GFLOP/s against the device's peak. {@link KernelCheck} runs them; the CUDA parity test and {@code KernelBenchmark} are
 * built from every family's entries ({@link FamilyBench}).
 *
 * @param op    the op (and variant) checked, e.g. {@code "affineCouplingForward SOFTCLAMP"}
 * @param size  the problem size, for reports
 * @param args  the arguments in order of declaration (inputs, accumulated outputs, overwritten outputs, index lists)
 * @param body  the call, given the arguments bound on one backend
 * @param bytes bytes the op must move at least (for GB/s), 0 when not reported
 * @param flops floating-point operations (for GFLOP/s), 0 when not reported
 */
public record KernelCase(String op, String size, double atol, double rtol, List<Arg> args, Body body, double bytes, double flops) {

    /** Element-wise and reduction ops (FLOWS.md): 1e-5 + 1e-4·|ref|. */
    public static final double ATOL = 1e-5, RTOL = 1e-4;
    /** Ops with a matrix product or a long dependent chain (TF32 off): 1e-4 + 1e-3·|ref|. */
    public static final double ATOL_MATMUL = 1e-4, RTOL_MATMUL = 1e-3;

    /** How an argument is made and checked. */
    public enum Kind {
        /** Input: the same data on both backends, not compared. */
        IN,
        /** Accumulated into: the same initial data on both backends, compared after the call. */
        ACC,
        /** Overwritten output: zero on the reference, NaN on the tested backend, compared after the call. */
        OUT,
        /** An index list. */
        INDEX
    }

    /** One argument: a tensor (data of IN and ACC, shape of all) or an index list. */
    public record Arg(String name, Kind kind, int[] shape, float[] data, int[] index) {}

    /** The op call, given its arguments bound on one backend. */
    @FunctionalInterface public interface Body { void run(Backend be, Args a); }

    /** The arguments of a case bound on one backend, by name. */
    public static final class Args {
        final Map<String, Tensor> tensors = new LinkedHashMap<>();
        final Map<String, Index> indices = new LinkedHashMap<>();

        /** The tensor argument {@code name}. */
        public Tensor t(String name) {
            Tensor t = tensors.get(name);
            if (t == null) throw new IllegalArgumentException("no tensor argument " + name);
            return t;
        }

        /** The tensor arguments {@code names}, in order. */
        public List<Tensor> ts(String... names) {
            List<Tensor> l = new ArrayList<>();
            for (String n : names) l.add(t(n));
            return l;
        }

        /** The index argument {@code name}. */
        public Index ix(String name) {
            Index i = indices.get(name);
            if (i == null) throw new IllegalArgumentException("no index argument " + name);
            return i;
        }
    }

    /** A builder: {@code KernelCase.of("op", "37x63").in("x", data, 37, 63).out("y", 37, 63).run((be, a) -> ...)}. */
    public static Builder of(String op, String size) { return new Builder(op, size); }

    /** Builds a {@link KernelCase}. */
    public static final class Builder {
        private final String op, size;
        private double atol = ATOL, rtol = RTOL, bytes, flops;
        private final List<Arg> args = new ArrayList<>();

        Builder(String op, String size) { this.op = op; this.size = size; }

        /** The matrix-product tolerance (1e-4 + 1e-3·|ref|). */
        public Builder matmul() { atol = ATOL_MATMUL; rtol = RTOL_MATMUL; return this; }

        public Builder tol(double atol, double rtol) { this.atol = atol; this.rtol = rtol; return this; }

        public Builder in(String name, float[] data, int... shape) { return arg(name, Kind.IN, data, shape); }

        public Builder acc(String name, float[] data, int... shape) { return arg(name, Kind.ACC, data, shape); }

        public Builder out(String name, int... shape) { args.add(new Arg(name, Kind.OUT, shape.clone(), null, null)); return this; }

        public Builder index(String name, int[] values) { args.add(new Arg(name, Kind.INDEX, null, null, values.clone())); return this; }

        /** Bytes moved and floating-point operations of one call (0 when not reported). */
        public Builder traffic(double bytes, double flops) { this.bytes = bytes; this.flops = flops; return this; }

        private Builder arg(String name, Kind kind, float[] data, int[] shape) {
            long n = 1;
            for (int s : shape) n *= s;
            if (n != data.length) throw new IllegalArgumentException(op + ": " + name + " has " + data.length + " values for shape " + java.util.Arrays.toString(shape));
            args.add(new Arg(name, kind, shape.clone(), data, null));
            return this;
        }

        public KernelCase run(Body body) { return new KernelCase(op, size, atol, rtol, List.copyOf(args), body, bytes, flops); }
    }

    // ------------------------------------------------------------------ random inputs (never exact zeros)

    /** n values uniform in [lo, hi) (an exact 0 becomes 1e-3, so that no product hides a missing term). */
    public static float[] rand(SplittableRandom rng, int n, double lo, double hi) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            double v = lo + (hi - lo) * rng.nextDouble();
            a[i] = (float) (v == 0 ? 1e-3 : v);
        }
        return a;
    }

    /** A random permutation of 0..n-1. */
    public static int[] perm(SplittableRandom rng, int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        for (int i = n - 1; i > 0; i--) { int j = rng.nextInt(i + 1); int t = p[i]; p[i] = p[j]; p[j] = t; }
        return p;
    }

    /** n values that are each 0 or 1 at random (masks). */
    public static float[] bits(SplittableRandom rng, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = rng.nextBoolean() ? 1 : 0;
        return a;
    }

    /** The vector sizes every parity entry covers: D ∈ {2, 3, 63, 784} × N ∈ {1, 37, 333} (odd, not multiples of 32). */
    public static final int[] DIMS = {2, 3, 63, 784}, BATCHES = {1, 37, 333};
}
