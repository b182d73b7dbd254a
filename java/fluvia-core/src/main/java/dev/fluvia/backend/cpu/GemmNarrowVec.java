package dev.fluvia.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API bodies of the forward narrow GEMM kernels ({@link GemmNarrow#narrowK}, {@link GemmNarrow#narrowN}): every element
 * is {@code acc = fma(a_p, b_p, acc)} for p in order from zero, as in {@link GemmVec#kernel}. Only loaded when
 * {@link Simd#AVAILABLE}.
 */
final class GemmNarrowVec {
    private GemmNarrowVec() {}

    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();
    /** Lane blocks of rows computed together by {@link #blockN} (with two columns: eight independent FMA chains). */
    static final int G = 4;

    /**
     * One row of C for K ≤ 4: {@code tile[j] = fma(a3, b[3, j], fma(a2, b[2, j], fma(a1, b[1, j], fma(a0, b[0, j], 0))))}
     * (only the first k terms), op(B)'s rows {@code np} floats apart in bp.
     */
    static void rowK(int k, float a0, float a1, float a2, float a3, float[] bp, int np, float[] tile) {
        FloatVector v0 = FloatVector.broadcast(S, a0), v1 = FloatVector.broadcast(S, a1);
        FloatVector v2 = FloatVector.broadcast(S, a2), v3 = FloatVector.broadcast(S, a3), z = FloatVector.zero(S);
        for (int j = 0; j < np; j += L) {
            FloatVector acc = v0.fma(FloatVector.fromArray(S, bp, j), z);
            if (k > 1) acc = v1.fma(FloatVector.fromArray(S, bp, np + j), acc);
            if (k > 2) acc = v2.fma(FloatVector.fromArray(S, bp, 2 * np + j), acc);
            if (k > 3) acc = v3.fma(FloatVector.fromArray(S, bp, 3 * np + j), acc);
            acc.intoArray(tile, j);
        }
    }

    /** Per-thread buffers of {@link GemmNarrow#narrowN}. */
    static final class Stage {
        float[] a = new float[0];
        final float[] t = new float[Gemm.KC * G * L];
        final float[] tile = new float[GemmNarrow.MAX_N_FWD * G * L];
    }

    private static final ThreadLocal<Stage> STAGE = ThreadLocal.withInitial(Stage::new);

    static Stage stage(int aFloats, int n) {
        Stage st = STAGE.get();
        if (st.a.length < aFloats) st.a = new float[aFloats];
        return st;
    }

    /**
     * C's columns for {@code G·L} rows (the first {@code blocks} lane blocks are real; the others recompute block 0 and are
     * discarded), one K slice {@code [pc, pc + kc)}: the rows' A values (staged row-major at {@code st.a[ao ..]}, row stride k)
     * are transposed on the heap into lane vectors per p (plain copies: a vector gather measured no faster here and is slow
     * where the CPU has none), then two columns at a time are accumulated over p in order.
     * Result: {@code st.tile[(j·G + b)·L + q]} = column j of row {@code b·L + q}.
     */
    static void blockN(Stage st, int ao, int k, int pc, int kc, float[] w, int n, int blocks) {
        float[] t = st.t, a = st.a, tile = st.tile;
        int gl = G * L;
        for (int b = 0; b < G; b++) {
            int off = ao + (b < blocks ? b : 0) * L * k + pc;
            for (int q = 0; q < L; q++) for (int p = 0, src = off + q * k, dst = b * L + q; p < kc; p++, dst += gl) t[dst] = a[src + p];
        }
        for (int j0 = 0; j0 < n; j0 += 2) {
            int j1 = Math.min(j0 + 1, n - 1), w0 = j0 * k + pc, w1 = j1 * k + pc;
            FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S), c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
            FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S), c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
            for (int p = 0; p < kc; p++) {
                FloatVector b0 = FloatVector.broadcast(S, w[w0 + p]), b1 = FloatVector.broadcast(S, w[w1 + p]);
                int ti = p * gl;
                FloatVector x0 = FloatVector.fromArray(S, t, ti), x1 = FloatVector.fromArray(S, t, ti + L);
                FloatVector x2 = FloatVector.fromArray(S, t, ti + 2 * L), x3 = FloatVector.fromArray(S, t, ti + 3 * L);
                c00 = x0.fma(b0, c00); c01 = x0.fma(b1, c01);
                c10 = x1.fma(b0, c10); c11 = x1.fma(b1, c11);
                c20 = x2.fma(b0, c20); c21 = x2.fma(b1, c21);
                c30 = x3.fma(b0, c30); c31 = x3.fma(b1, c31);
            }
            int o0 = j0 * gl, o1 = j1 * gl;
            c00.intoArray(tile, o0); c10.intoArray(tile, o0 + L); c20.intoArray(tile, o0 + 2 * L); c30.intoArray(tile, o0 + 3 * L);
            if (j1 != j0) { c01.intoArray(tile, o1); c11.intoArray(tile, o1 + L); c21.intoArray(tile, o1 + 2 * L); c31.intoArray(tile, o1 + 3 * L); }
        }
    }
}
