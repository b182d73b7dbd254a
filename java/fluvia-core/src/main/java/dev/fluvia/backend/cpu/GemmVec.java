package dev.fluvia.backend.cpu;

import dev.fluvia.backend.Activation;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API micro-kernel of {@link Gemm}: a {@code 6 × 2L} register tile ({@code L} = lanes of the preferred species,
 * 12 accumulators), one broadcast of A and two loads of B per FMA pair. Only loaded when {@link Simd#AVAILABLE}.
 */
final class GemmVec {
    private GemmVec() {}

    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();
    /** Columns of the micro-tile. */
    static final int NR = 2 * L;
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();

    /**
     * Multiplies one packed A panel ({@code MR × kc}, interleaved: element (r, p) at {@code ap[ao + p·MR + r]}, as
     * {@link Gemm#packA} writes it) by one packed B panel ({@code kc × NR}) and stores the raw sums in {@code tile}
     * (row-major, NR wide).
     */
    static void kernel(int kc, float[] ap, int ao, float[] bp, int bo, float[] tile) {
        kernelStrided(kc, ap, ao, 1, Gemm.MR, bp, bo, tile);
    }

    /**
     * {@link #kernel} on an A panel stored as MR rows (element (r, p) at {@code ap[ao + r·rowStride + p]}), the layout
     * of op(A) = A copied row by row ({@link Gemm#packARows}): the same FMAs in the same order, so the same bits.
     */
    static void kernelRows(int kc, float[] ap, int ao, int rowStride, float[] bp, int bo, float[] tile) {
        kernelStrided(kc, ap, ao, rowStride, 1, bp, bo, tile);
    }

    /**
     * The micro-kernel of both A layouts, element (r, p) of the A panel at {@code ap[ao + r·rs + p·ps]}:
     * {@code tile[r·NR + q] = Σ_p fma(a(r, p), b[p, q])} for p in order from zero, in a {@code 6 × 2L} register tile (12
     * accumulators), one broadcast of A and two loads of B per FMA pair. The accumulation loop is kept apart from the
     * write-back so that C2 keeps the 12 accumulators in registers (measured: a kernel with the write-back inlined ran at
     * about 60% of this one's speed).
     */
    private static void kernelStrided(int kc, float[] ap, int ao, int rs, int ps, float[] bp, int bo, float[] tile) {
        int a0 = ao, a1 = ao + rs, a2 = a1 + rs, a3 = a2 + rs, a4 = a3 + rs, a5 = a4 + rs;
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S), c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S), c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S), c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
        // p in order; unrolled by two (measured ~1.7x faster than the plain loop under C2), with a one-step tail
        int even = kc & ~1;
        for (int p = 0; p < even; p += 2) {
            {
                int bi = bo + p * NR, o = p * ps;
                FloatVector b0 = FloatVector.fromArray(S, bp, bi), b1 = FloatVector.fromArray(S, bp, bi + L);
                FloatVector a = FloatVector.broadcast(S, ap[a0 + o]);
                c00 = a.fma(b0, c00); c01 = a.fma(b1, c01);
                a = FloatVector.broadcast(S, ap[a1 + o]);
                c10 = a.fma(b0, c10); c11 = a.fma(b1, c11);
                a = FloatVector.broadcast(S, ap[a2 + o]);
                c20 = a.fma(b0, c20); c21 = a.fma(b1, c21);
                a = FloatVector.broadcast(S, ap[a3 + o]);
                c30 = a.fma(b0, c30); c31 = a.fma(b1, c31);
                a = FloatVector.broadcast(S, ap[a4 + o]);
                c40 = a.fma(b0, c40); c41 = a.fma(b1, c41);
                a = FloatVector.broadcast(S, ap[a5 + o]);
                c50 = a.fma(b0, c50); c51 = a.fma(b1, c51);
            }
            {
                int bi = bo + (p + 1) * NR, o = (p + 1) * ps;
                FloatVector b0 = FloatVector.fromArray(S, bp, bi), b1 = FloatVector.fromArray(S, bp, bi + L);
                FloatVector a = FloatVector.broadcast(S, ap[a0 + o]);
                c00 = a.fma(b0, c00); c01 = a.fma(b1, c01);
                a = FloatVector.broadcast(S, ap[a1 + o]);
                c10 = a.fma(b0, c10); c11 = a.fma(b1, c11);
                a = FloatVector.broadcast(S, ap[a2 + o]);
                c20 = a.fma(b0, c20); c21 = a.fma(b1, c21);
                a = FloatVector.broadcast(S, ap[a3 + o]);
                c30 = a.fma(b0, c30); c31 = a.fma(b1, c31);
                a = FloatVector.broadcast(S, ap[a4 + o]);
                c40 = a.fma(b0, c40); c41 = a.fma(b1, c41);
                a = FloatVector.broadcast(S, ap[a5 + o]);
                c50 = a.fma(b0, c50); c51 = a.fma(b1, c51);
            }
        }
        if (even < kc) {
            int bi = bo + even * NR, o = even * ps;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi), b1 = FloatVector.fromArray(S, bp, bi + L);
            FloatVector a = FloatVector.broadcast(S, ap[a0 + o]);
            c00 = a.fma(b0, c00); c01 = a.fma(b1, c01);
            a = FloatVector.broadcast(S, ap[a1 + o]);
            c10 = a.fma(b0, c10); c11 = a.fma(b1, c11);
            a = FloatVector.broadcast(S, ap[a2 + o]);
            c20 = a.fma(b0, c20); c21 = a.fma(b1, c21);
            a = FloatVector.broadcast(S, ap[a3 + o]);
            c30 = a.fma(b0, c30); c31 = a.fma(b1, c31);
            a = FloatVector.broadcast(S, ap[a4 + o]);
            c40 = a.fma(b0, c40); c41 = a.fma(b1, c41);
            a = FloatVector.broadcast(S, ap[a5 + o]);
            c50 = a.fma(b0, c50); c51 = a.fma(b1, c51);
        }
        c00.intoArray(tile, 0); c01.intoArray(tile, L);
        c10.intoArray(tile, NR); c11.intoArray(tile, NR + L);
        c20.intoArray(tile, 2 * NR); c21.intoArray(tile, 2 * NR + L);
        c30.intoArray(tile, 3 * NR); c31.intoArray(tile, 3 * NR + L);
        c40.intoArray(tile, 4 * NR); c41.intoArray(tile, 4 * NR + L);
        c50.intoArray(tile, 5 * NR); c51.intoArray(tile, 5 * NR + L);
    }

    /** Eight lanes: one packed A row ({@link Gemm#MR} = 6 values) per vector, the last two lanes spilling into the next one. */
    private static final VectorSpecies<Float> S8 = FloatVector.SPECIES_256;
    private static final VectorMask<Float> MR_LANES = S8.indexInRange(0, Gemm.MR);

    /**
     * {@link Gemm#packA} for op(A) = Aᵀ (A stored {@code [k, lda]}): the MR values of one p are contiguous in A, so each p
     * is one 8-lane load (masked past {@code rows}: zeros) and one 8-lane store at {@code off + p·MR}, whose last two lanes
     * are overwritten by the next p; the last p stores MR lanes only. Nothing outside the panel is written.
     */
    static void packATransposed(MemorySegment a, long lda, int row0, int rows, int p0, int kc, float[] ap, int off) {
        long src = ((long) p0 * lda + row0) * 4, step = lda * 4;
        int dst = off, last = kc - 1;
        if (rows == Gemm.MR && row0 + S8.length() <= lda) { // all eight lanes inside A's row: plain loads
            for (int p = 0; p < last; p++, src += step, dst += Gemm.MR)
                FloatVector.fromMemorySegment(S8, a, src, NATIVE).intoArray(ap, dst);
            FloatVector.fromMemorySegment(S8, a, src, NATIVE).intoArray(ap, dst, MR_LANES);
            return;
        }
        VectorMask<Float> m = S8.indexInRange(0, rows);
        for (int p = 0; p < last; p++, src += step, dst += Gemm.MR)
            FloatVector.fromMemorySegment(S8, a, src, NATIVE, m).intoArray(ap, dst);
        FloatVector.fromMemorySegment(S8, a, src, NATIVE, m).intoArray(ap, dst, MR_LANES);
    }

    private static final ThreadLocal<float[]> B_ROWS = ThreadLocal.withInitial(() -> new float[Gemm.KC * NR]);
    private static final ThreadLocal<int[]> B_IDX = ThreadLocal.withInitial(() -> new int[NR + 1]);

    /**
     * {@link Gemm#packB} for op(B) = Bᵀ (B stored {@code [n, ldb]}): the {@code cols} rows of B (kc contiguous values each)
     * are bulk-copied to the heap, rows past n zeroed, then each p gathers its NR values (one per row, {@code kc} apart)
     * in two L-lane gathers stored at {@code off + p·NR}.
     */
    static void packBTransposed(MemorySegment b, long ldb, int n, int p0, int kc, int col0, float[] bp, int off) {
        int cols = Math.min(NR, n - col0);
        float[] t = B_ROWS.get();
        for (int q = 0; q < cols; q++) MemorySegment.copy(b, HostTensor.F, ((col0 + q) * ldb + p0) * 4, t, q * kc, kc);
        if (cols < NR) java.util.Arrays.fill(t, cols * kc, NR * kc, 0f);
        int[] idx = B_IDX.get();
        if (idx[NR] != kc) { for (int q = 0; q < NR; q++) idx[q] = q * kc; idx[NR] = kc; }
        for (int p = 0, dst = off; p < kc; p++, dst += NR) {
            FloatVector.fromArray(S, t, p, idx, 0).intoArray(bp, dst);
            FloatVector.fromArray(S, t, p, idx, L).intoArray(bp, dst + L);
        }
    }

    /**
     * {@link Gemm#packB} for op(B) = B (rows of B contiguous): per p, two L-lane loads of row {@code p0 + p} (masked past
     * {@code n}: zeros) stored at {@code off + p·NR}.
     */
    static void packBRows(MemorySegment b, long ldb, int n, int p0, int kc, int col0, float[] bp, int off) {
        int cols = Math.min(NR, n - col0);
        long src = ((long) p0 * ldb + col0) * 4, step = ldb * 4;
        int dst = off;
        if (cols == NR) {
            for (int p = 0; p < kc; p++, src += step, dst += NR) {
                FloatVector.fromMemorySegment(S, b, src, NATIVE).intoArray(bp, dst);
                FloatVector.fromMemorySegment(S, b, src + 4L * L, NATIVE).intoArray(bp, dst + L);
            }
            return;
        }
        VectorMask<Float> m0 = S.indexInRange(0, cols), m1 = S.indexInRange(L, cols);
        for (int p = 0; p < kc; p++, src += step, dst += NR) {
            FloatVector.fromMemorySegment(S, b, src, NATIVE, m0).intoArray(bp, dst);
            FloatVector.fromMemorySegment(S, b, src + 4L * L, NATIVE, m1).intoArray(bp, dst + L);
        }
    }

    /** Writes a full {@code MR × NR} tile of raw sums into C (row stride ldc) with the vector write-back. */
    static void writeTile(float[] tile, MemorySegment c, long cOff, int ldc, int col, float alpha, float beta,
                          boolean first, boolean last, Gemm.Epilogue ep) {
        if (!last || ep == null) { // no epilogue (every K slice of a deep product but the last): two short loops
            if (!first) { addTile(tile, c, cOff, ldc, alpha); return; }
            if (beta == 0f) { storeTile(tile, c, cOff, ldc, alpha); return; }
        }
        for (int r = 0; r < Gemm.MR; r++)
            for (int h = 0; h < NR; h += L)
                write(FloatVector.fromArray(S, tile, r * NR + h), c, cOff + (long) r * ldc + h, col + h, alpha, beta, first, last, ep);
    }

    /** {@link #writeTile} of a later K slice without epilogue: {@code c = c + alpha·acc}, the {@link Gemm#writeScalar} rule. */
    private static void addTile(float[] tile, MemorySegment c, long cOff, int ldc, float alpha) {
        for (int r = 0; r < Gemm.MR; r++) {
            long off = (cOff + (long) r * ldc) * 4;
            FloatVector v0 = FloatVector.fromArray(S, tile, r * NR).mul(alpha), v1 = FloatVector.fromArray(S, tile, r * NR + L).mul(alpha);
            FloatVector.fromMemorySegment(S, c, off, NATIVE).add(v0).intoMemorySegment(c, off, NATIVE);
            FloatVector.fromMemorySegment(S, c, off + 4L * L, NATIVE).add(v1).intoMemorySegment(c, off + 4L * L, NATIVE);
        }
    }

    /** {@link #writeTile} of the first K slice with {@code beta = 0} and no epilogue: {@code c = alpha·acc}. */
    private static void storeTile(float[] tile, MemorySegment c, long cOff, int ldc, float alpha) {
        for (int r = 0; r < Gemm.MR; r++) {
            long off = (cOff + (long) r * ldc) * 4;
            FloatVector.fromArray(S, tile, r * NR).mul(alpha).intoMemorySegment(c, off, NATIVE);
            FloatVector.fromArray(S, tile, r * NR + L).mul(alpha).intoMemorySegment(c, off + 4L * L, NATIVE);
        }
    }

    /**
     * One row of A against up to four packed B strips at once ({@code strips} ≤ 4, strip {@code s} at {@code bo + s·kc·NR}):
     * {@code tile[s·NR + q] = Σ_p fma(a[ao + p], b_s[p, q])} for p in order from zero — the same chain per element as
     * {@link #kernel} computes for each of its six rows, so the bits are the same; it just does not pad the row to MR rows.
     * Four strips give eight independent FMA chains (a single strip would be latency-bound on two).
     */
    static void kernelRow(int kc, float[] a, int ao, float[] bp, int bo, int strips, float[] tile) {
        kernelRow(kc, a, ao, bp, bo, strips, tile, kc * NR);
    }

    /** {@link #kernelRow} over the first {@code kc} values of strips packed {@code step} floats apart (a shorter K range of a packed slice). */
    static void kernelRow(int kc, float[] a, int ao, float[] bp, int bo, int strips, float[] tile, int step) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S), c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S), c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        if (strips == 4) {
            for (int p = 0; p < kc; p++) {
                FloatVector av = FloatVector.broadcast(S, a[ao + p]);
                int bi = bo + p * NR;
                c00 = av.fma(FloatVector.fromArray(S, bp, bi), c00); c01 = av.fma(FloatVector.fromArray(S, bp, bi + L), c01);
                bi += step;
                c10 = av.fma(FloatVector.fromArray(S, bp, bi), c10); c11 = av.fma(FloatVector.fromArray(S, bp, bi + L), c11);
                bi += step;
                c20 = av.fma(FloatVector.fromArray(S, bp, bi), c20); c21 = av.fma(FloatVector.fromArray(S, bp, bi + L), c21);
                bi += step;
                c30 = av.fma(FloatVector.fromArray(S, bp, bi), c30); c31 = av.fma(FloatVector.fromArray(S, bp, bi + L), c31);
            }
            c00.intoArray(tile, 0); c01.intoArray(tile, L);
            c10.intoArray(tile, NR); c11.intoArray(tile, NR + L);
            c20.intoArray(tile, 2 * NR); c21.intoArray(tile, 2 * NR + L);
            c30.intoArray(tile, 3 * NR); c31.intoArray(tile, 3 * NR + L);
            return;
        }
        for (int s = 0; s < strips; s++) {
            FloatVector d0 = FloatVector.zero(S), d1 = FloatVector.zero(S);
            int base = bo + s * step;
            for (int p = 0; p < kc; p++) {
                FloatVector av = FloatVector.broadcast(S, a[ao + p]);
                int bi = base + p * NR;
                d0 = av.fma(FloatVector.fromArray(S, bp, bi), d0); d1 = av.fma(FloatVector.fromArray(S, bp, bi + L), d1);
            }
            d0.intoArray(tile, s * NR); d1.intoArray(tile, s * NR + L);
        }
    }

    /**
     * Writes the top-left {@code rows × cols} part of a tile (an edge tile of C) with the vector write-back, the last partial
     * vector of each row under a mask: the same operations as {@link Gemm#writeScalar} lane by lane.
     */
    static void writePartial(float[] tile, MemorySegment c, long cOff, int ldc, int col, int rows, int cols, float alpha, float beta,
                             boolean first, boolean last, Gemm.Epilogue ep) {
        for (int r = 0; r < rows; r++) writeRow(tile, r * NR, c, cOff + (long) r * ldc, col, cols, alpha, beta, first, last, ep);
    }

    /** {@link #writePartial}'s write-back of one row: {@code cols} sums from {@code tile[to ..]} to C at {@code cOff}. */
    static void writeRow(float[] tile, int to, MemorySegment c, long cOff, int col, int cols, float alpha, float beta,
                         boolean first, boolean last, Gemm.Epilogue ep) {
        int h = 0;
        for (; h + L <= cols; h += L)
            write(FloatVector.fromArray(S, tile, to + h), c, cOff + h, col + h, alpha, beta, first, last, ep);
        if (h < cols) writeMasked(FloatVector.fromArray(S, tile, to + h), S.indexInRange(0, cols - h),
                c, cOff + h, col + h, alpha, beta, first, last, ep);
    }

    /** {@link #write} on the lanes of {@code m} only (C, bias and pre are neither read nor written past them). */
    private static void writeMasked(FloatVector acc, VectorMask<Float> m, MemorySegment c, long idx, int col, float alpha, float beta,
                                    boolean first, boolean last, Gemm.Epilogue ep) {
        long off = idx * 4;
        FloatVector v = acc.mul(alpha);
        if (first) { if (beta != 0f) v = v.add(FloatVector.fromMemorySegment(S, c, off, NATIVE, m).mul(beta)); }
        else v = FloatVector.fromMemorySegment(S, c, off, NATIVE, m).add(v);
        if (last && ep != null) {
            if (ep.bias() != null) v = v.add(FloatVector.fromMemorySegment(S, ep.bias(), (long) col * 4, NATIVE, m));
            if (ep.pre() != null) v.intoMemorySegment(ep.pre(), off, NATIVE, m);
            Activation act = ep.act();
            if (ActivationVec.vectorizes(act)) v = ActivationVec.apply(act, v);
            else { // ELU, SiLU: scalar, exactly as Activation.apply
                v.intoMemorySegment(c, off, NATIVE, m);
                for (int q = 0, e = m.trueCount(); q < e; q++) c.setAtIndex(HostTensor.F, idx + q, act.apply(c.getAtIndex(HostTensor.F, idx + q)));
                return;
            }
        }
        v.intoMemorySegment(c, off, NATIVE, m);
    }

    /** Vector form of {@link Gemm#writeScalar}: the same operations in the same order on L adjacent elements. */
    private static void write(FloatVector acc, MemorySegment c, long idx, int col, float alpha, float beta,
                              boolean first, boolean last, Gemm.Epilogue ep) {
        long off = idx * 4;
        FloatVector v = acc.mul(alpha);
        if (first) { if (beta != 0f) v = v.add(FloatVector.fromMemorySegment(S, c, off, NATIVE).mul(beta)); }
        else v = FloatVector.fromMemorySegment(S, c, off, NATIVE).add(v);
        if (last && ep != null) {
            if (ep.bias() != null) v = v.add(FloatVector.fromMemorySegment(S, ep.bias(), (long) col * 4, NATIVE));
            if (ep.pre() != null) v.intoMemorySegment(ep.pre(), off, NATIVE);
            Activation act = ep.act();
            if (ActivationVec.vectorizes(act)) v = ActivationVec.apply(act, v); // tanh: the same bits as Activation.apply
            else { // ELU, SiLU: scalar, exactly as Activation.apply
                v.intoMemorySegment(c, off, NATIVE);
                for (int q = 0; q < L; q++) c.setAtIndex(HostTensor.F, idx + q, act.apply(c.getAtIndex(HostTensor.F, idx + q)));
                return;
            }
        }
        v.intoMemorySegment(c, off, NATIVE);
    }

    /**
     * The epilogue alone on the block C[r0 .. r1, j0 .. j1) (row stride ldc; already holding alpha·A·B + beta·C):
     * {@code v = c + bias[j]; pre = v; c = act(v)}, whole vectors of each row only, for identity, ReLU and tanh (other
     * activations: none). Returns the column where every row stopped ({@code j0} when nothing was done). One small loop per
     * activation, so that C2 compiles each with its Vector API intrinsics (a single loop dispatching per vector on the
     * activation was at times compiled without them: boxed vectors, {@code dummyVector} frames).
     */
    static int epilogue(MemorySegment c, int ldc, int r0, int r1, int j0, int j1, Gemm.Epilogue ep) {
        int je = j0 + (j1 - j0) / L * L;
        if (je == j0 || r0 >= r1) return j0;
        MemorySegment bias = ep.bias(), pre = ep.pre();
        switch (ep.act()) {
            case IDENTITY -> rowsIdentity(c, ldc, r0, r1, j0, je, bias, pre);
            case RELU -> rowsRelu(c, ldc, r0, r1, j0, je, bias, pre);
            case TANH -> rowsTanh(c, ldc, r0, r1, j0, je, bias, pre);
            default -> { return j0; }
        }
        return je;
    }

    private static void rowsIdentity(MemorySegment c, long ldc, int r0, int r1, int j0, int je, MemorySegment bias, MemorySegment pre) {
        for (long r = r0; r < r1; r++) {
            long row = r * ldc * 4;
            for (int j = j0; j < je; j += L) {
                long off = row + 4L * j;
                FloatVector v = FloatVector.fromMemorySegment(S, c, off, NATIVE);
                if (bias != null) v = v.add(FloatVector.fromMemorySegment(S, bias, 4L * j, NATIVE));
                if (pre != null) v.intoMemorySegment(pre, off, NATIVE);
                v.intoMemorySegment(c, off, NATIVE);
            }
        }
    }

    private static void rowsRelu(MemorySegment c, long ldc, int r0, int r1, int j0, int je, MemorySegment bias, MemorySegment pre) {
        for (long r = r0; r < r1; r++) {
            long row = r * ldc * 4;
            for (int j = j0; j < je; j += L) {
                long off = row + 4L * j;
                FloatVector v = FloatVector.fromMemorySegment(S, c, off, NATIVE);
                if (bias != null) v = v.add(FloatVector.fromMemorySegment(S, bias, 4L * j, NATIVE));
                if (pre != null) v.intoMemorySegment(pre, off, NATIVE);
                relu(v).intoMemorySegment(c, off, NATIVE);
            }
        }
    }

    private static void rowsTanh(MemorySegment c, long ldc, int r0, int r1, int j0, int je, MemorySegment bias, MemorySegment pre) {
        for (long r = r0; r < r1; r++) {
            long row = r * ldc * 4;
            for (int j = j0; j < je; j += L) {
                long off = row + 4L * j;
                FloatVector v = FloatVector.fromMemorySegment(S, c, off, NATIVE);
                if (bias != null) v = v.add(FloatVector.fromMemorySegment(S, bias, 4L * j, NATIVE));
                if (pre != null) v.intoMemorySegment(pre, off, NATIVE);
                ActivationVec.tanh(v).intoMemorySegment(c, off, NATIVE);
            }
        }
    }

    /** Whether {@link #epilogueFlat} applies to rows {@code n} wide stored contiguously ({@code ldc == n}). */
    static boolean flat(int n) { return n < L && L % n == 0; }

    /**
     * {@link #epilogue} for a block of whole, contiguous rows narrower than a vector ({@link #flat}: n divides L, row stride
     * n): the block is one run of floats {@code [r0·n, r1·n)} and lane q of every vector is column {@code q mod n}, so each
     * vector covers {@code L/n} rows with the bias repeated. The same operations per element as {@link Gemm#writeScalar}.
     * Returns the flat index where it stopped (the rest, less than a vector, is the caller's).
     */
    static long epilogueFlat(MemorySegment c, int n, int r0, int r1, Gemm.Epilogue ep) {
        long lo = (long) r0 * n, hi = (long) r1 * n, e = lo + (hi - lo) / L * L;
        if (e == lo) return lo;
        float[] bias = null;
        if (ep.bias() != null) {
            bias = new float[L];
            for (int q = 0; q < L; q++) bias[q] = ep.bias().getAtIndex(HostTensor.F, q % n);
        }
        MemorySegment pre = ep.pre();
        switch (ep.act()) {
            case IDENTITY -> flatIdentity(c, lo, e, bias, pre);
            case RELU -> flatRelu(c, lo, e, bias, pre);
            case TANH -> flatTanh(c, lo, e, bias, pre);
            default -> { return lo; }
        }
        return e;
    }

    private static void flatIdentity(MemorySegment c, long lo, long hi, float[] bias, MemorySegment pre) {
        for (long i = lo; i < hi; i += L) {
            long off = i * 4;
            FloatVector v = FloatVector.fromMemorySegment(S, c, off, NATIVE);
            if (bias != null) v = v.add(FloatVector.fromArray(S, bias, 0));
            if (pre != null) v.intoMemorySegment(pre, off, NATIVE);
            v.intoMemorySegment(c, off, NATIVE);
        }
    }

    private static void flatRelu(MemorySegment c, long lo, long hi, float[] bias, MemorySegment pre) {
        for (long i = lo; i < hi; i += L) {
            long off = i * 4;
            FloatVector v = FloatVector.fromMemorySegment(S, c, off, NATIVE);
            if (bias != null) v = v.add(FloatVector.fromArray(S, bias, 0));
            if (pre != null) v.intoMemorySegment(pre, off, NATIVE);
            relu(v).intoMemorySegment(c, off, NATIVE);
        }
    }

    private static void flatTanh(MemorySegment c, long lo, long hi, float[] bias, MemorySegment pre) {
        for (long i = lo; i < hi; i += L) {
            long off = i * 4;
            FloatVector v = FloatVector.fromMemorySegment(S, c, off, NATIVE);
            if (bias != null) v = v.add(FloatVector.fromArray(S, bias, 0));
            if (pre != null) v.intoMemorySegment(pre, off, NATIVE);
            ActivationVec.tanh(v).intoMemorySegment(c, off, NATIVE);
        }
    }

    /** max(v, 0) with the scalar rule's NaN behaviour ({@code a > 0 ? a : 0}). */
    static FloatVector relu(FloatVector v) {
        return FloatVector.zero(S).blend(v, v.compare(VectorOperators.GT, 0f));
    }
}
