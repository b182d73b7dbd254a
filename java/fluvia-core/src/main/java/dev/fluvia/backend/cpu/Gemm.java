package dev.fluvia.backend.cpu;

import dev.fluvia.backend.Activation;
import java.lang.foreign.MemorySegment;

/**
 * Row-major SGEMM for the CPU backend, {@code C = alpha·op(A)·op(B) + beta·C}, blocked and packed in the Goto/BLIS way:
 * <ol>
 *   <li>N is cut into {@link #NC}-wide and K into {@link #KC}-deep slices, visited in order;</li>
 *   <li>for each (N, K) slice, op(B) is packed into contiguous {@code kc × nr} column panels (any transpose becomes the same layout);</li>
 *   <li>C's rows are cut into blocks that run in parallel on the backend's pool; each block packs its {@code mc × kc} slice
 *       of op(A) into {@code kc × MR} panels (the MR values of one p adjacent) and runs the {@code MR × nr} micro-kernel over every pair of panels.</li>
 * </ol>
 * A deep product with few rows (a weight gradient, K = batch) visits the same tiles strip by strip instead
 * ({@link #runStripwise}).
 * <b>Determinism.</b> Every element is computed as: per K slice, {@code acc = 0; acc = fma(a_p, b_p, acc)} for p in order, then
 * {@code c = alpha·acc + beta·c} on the first slice and {@code c = c + alpha·acc} on later ones. That order depends only on
 * {@link #KC}, not on the tiling, the thread count or the kernel, and the scalar kernel uses {@link Math#fma} in the same
 * order as the vector one — so the result is bit-identical between runs, thread counts and the vector/scalar paths.
 *
 * <p>An optional {@link Epilogue} (bias + activation of a linear layer) is applied during the write-back of the last K slice,
 * while the tile is still in registers/cache.
 *
 * <p>This is the Java kernel ({@code --blas java}). A backend whose GEMM is the host BLAS ({@link CpuGemm}) hands every product
 * with K &gt; 0 to {@link BlasGemm} instead. Within the Java kernel: transposed right operands (weights) come from the backend's
 * {@link PackedWeights} cache, and narrow outputs with a transposed A take {@link GemmNarrow} — both give the same bits as
 * the path described above.
 */
final class Gemm {
    private Gemm() {}

    /** Depth of a K slice (the only blocking parameter that affects rounding). */
    static final int KC = 256;
    /** Widest N slice (multiple of every nr). */
    static final int NC = 1024;
    /** Tallest row block of C handled by one task. */
    static final int MC = 96;
    /** Rows of the micro-tile. */
    static final int MR = 6;
    /** Columns of the scalar micro-tile. */
    static final int SCALAR_NR = 8;

    /**
     * Fused write-back of a linear layer on the last K slice: {@code a = c + bias[j]}, {@code pre = a} (when pre is not null),
     * {@code c = act(a)}. bias and pre may be null.
     */
    record Epilogue(MemorySegment bias, Activation act, MemorySegment pre) {}

    static final ThreadLocal<float[]> A_PACK = ThreadLocal.withInitial(() -> new float[MC * KC]);
    /**
     * The packed op(B) of a call, shared by its row-block tasks until the call returns. A thread can start a second GEMM
     * while its first one waits for row blocks (a fork/join worker runs queued tasks while joining, and an op such as
     * {@code mafInverse} calls GEMM from inside pool tasks), so the per-thread buffer is marked busy and a nested call packs
     * into a buffer of its own instead of overwriting the outer call's. {@link GemmPrefix} packs into the same per-thread
     * buffers under the same rule.
     */
    static final class BPack {
        final float[] buf = new float[KC * NC];
        boolean busy;

        /**
         * This thread's packed-B buffer, or a fresh one when a product further up this thread's stack holds it (a nested
         * call); hand it back with {@link #give} in a finally block.
         */
        static float[] take() {
            BPack own = B_PACK.get();
            if (own.busy) return new float[KC * NC];
            own.busy = true;
            return own.buf;
        }

        /** Returns what {@link #take} gave (this thread's buffer is free again; a fresh one is just dropped). */
        static void give(float[] bp) {
            BPack own = B_PACK.get();
            if (bp == own.buf) own.busy = false;
        }
    }
    static final ThreadLocal<BPack> B_PACK = ThreadLocal.withInitial(BPack::new);
    private static final ThreadLocal<float[]> ROWS = ThreadLocal.withInitial(() -> new float[MR * KC]);
    static final ThreadLocal<float[]> TILE = ThreadLocal.withInitial(() -> new float[MR * 64]);

    /** The GEMM a backend runs, in words. */
    static String describe(CpuBackend be) {
        if (be.blas() != null) {
            String d = be.blas().description() + ", single-threaded calls split over " + be.threads() + " Fluvia thread(s)";
            if (d.contains("core Haswell") && Simd.AVAILABLE && GemmVec.S.vectorBitSize() >= 512)
                d += "; note: OpenBLAS runs its AVX2 kernels on this AVX-512 CPU (OPENBLAS_CORETYPE="
                        + System.getenv().getOrDefault("OPENBLAS_CORETYPE", "unset") + "): half the FMA width; --blas java or an"
                        + " AVX-512 core type (e.g. OPENBLAS_CORETYPE=SkylakeX) is faster";
            return d;
        }
        return "Java kernel (" + (be.vectorized() ? "Vector API " + GemmVec.S.vectorBitSize() + "-bit, " + MR + "×" + GemmVec.NR + " tiles"
                : "scalar, " + MR + "×" + SCALAR_NR + " tiles") + ")";
    }

    static void gemm(CpuBackend be, boolean ta, boolean tb, int m, int n, int k, float alpha,
                     MemorySegment a, MemorySegment b, float beta, MemorySegment c, Epilogue ep) {
        if (m == 0 || n == 0) return;
        if (k == 0) { // no products: c = beta·c, then the epilogue
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++) writeScalar(0f, c, (long) i * n + j, j, alpha, beta, true, true, ep);
            return;
        }
        boolean vec = be.vectorized();
        // few rows: the Java path on the cached packing; under BLAS only for trusted (read-only) weights, whose packing
        // needs no per-call check — a 1-row cblas_sgemm repacks the whole weight on every call (measured: MAF single row
        // 513 µs CPU with OpenBLAS, see BENCHMARKS.md §6)
        if (vec && !ta && tb && m <= SMALL_M && (be.blas() == null || b.isReadOnly())) {
            float[][] cached = be.packedWeights().transposed(b, k, n, GemmVec.NR);
            if (cached != null) { gemmSmallM(m, n, k, cached, null, alpha, a, beta, c, ep); return; }
        }
        if (be.blas() != null) { BlasGemm.gemm(be, be.blas(), ta, tb, m, n, k, alpha, a, b, beta, c, ep); return; }
        if (GemmNarrow.appliesK(m, n, k)) { GemmNarrow.narrowK(be, vec, ta, tb, m, n, k, alpha, a, b, beta, c, ep); return; }
        if (GemmNarrow.applies(vec, ta, m, n)) { GemmNarrow.gemm(be, ta, tb, m, n, k, alpha, a, b, beta, c, ep); return; }
        if (GemmNarrow.appliesN(vec, ta, m, n, k)) { GemmNarrow.narrowN(be, tb, m, n, k, alpha, a, b, beta, c, ep); return; }
        int nr = vec ? GemmVec.NR : SCALAR_NR;
        int lda = ta ? m : k, ldb = tb ? k : n;
        int mc = rowBlock(m, be.threads());
        int rowBlocks = (m + mc - 1) / mc;
        float[] bp = BPack.take();
        try {
            gemmBlocked(be, vec, nr, ta, tb, m, n, k, lda, ldb, mc, rowBlocks, bp, null, alpha, a, b, beta, c, ep);
        } finally {
            BPack.give(bp);
        }
    }

    /**
     * {@code C = A·Wᵀ} (then the epilogue) where row {@code j} of {@code W [n, k]} is zero past column {@code extent[j]}: the
     * prefix-sparse product of a MADE layer whose units are sorted by degree ({@code dense.PrefixLayout}). The Java kernel
     * runs the blocked (or few-row) product with, per NR-wide strip of C, the K range cut at the strip's largest extent: the
     * skipped terms are exact zeros, so each element gets the same fma chain and write-back as the dense product of the same
     * {@code W}, i.e. the same bits for finite inputs. The BLAS provider ({@link BlasGemm#gemmPrefix}) calls the library per run
     * of equal extents (its own summation order).
     */
    static void gemmPrefix(CpuBackend be, int m, int n, int k, MemorySegment a, MemorySegment b, int[] extent,
                           MemorySegment c, Epilogue ep) {
        if (m == 0 || n == 0) return;
        if (k == 0) { gemm(be, false, true, m, n, k, 1f, a, b, 0f, c, ep); return; }
        boolean vec = be.vectorized();
        int nr = vec ? GemmVec.NR : SCALAR_NR;
        int[] stripExt = stripExtents(extent, n, k, nr);
        if (vec && m <= SMALL_M && (be.blas() == null || b.isReadOnly())) {
            float[][] cached = be.packedWeights().transposed(b, k, n, GemmVec.NR);
            if (cached != null) { gemmSmallM(m, n, k, cached, stripExt, 1f, a, 0f, c, ep); return; }
        }
        if (be.blas() != null) { BlasGemm.gemmPrefix(be, be.blas(), m, n, k, a, b, extent, c, ep); return; }
        int mc = rowBlock(m, be.threads());
        int rowBlocks = (m + mc - 1) / mc;
        float[] bp = BPack.take();
        try {
            gemmBlocked(be, vec, nr, false, true, m, n, k, k, k, mc, rowBlocks, bp, stripExt, 1f, a, b, 0f, c, ep);
        } finally {
            BPack.give(bp);
        }
    }

    /** Per-strip extents of an extent array (arrays compare by identity: a layer passes the same one every call). */
    private static final java.util.Map<int[], int[]> STRIP_EXT = java.util.Collections.synchronizedMap(new java.util.WeakHashMap<>());

    /** The largest extent of each NR-wide strip of C's columns, cached per extent array (an extent array is not written). */
    private static int[] stripExtents(int[] extent, int n, int k, int nr) {
        int[] c = STRIP_EXT.get(extent);
        if (c != null && c.length == (n + nr - 1) / nr + 2 && c[c.length - 2] == k && c[c.length - 1] == nr) return c;
        int strips = (n + nr - 1) / nr;
        c = new int[strips + 2];
        for (int j = 0; j < n; j++) c[j / nr] = Math.max(c[j / nr], Math.min(k, Math.max(0, extent[j])));
        c[strips] = k;
        c[strips + 1] = nr;
        STRIP_EXT.put(extent, c);
        return c;
    }

    /**
     * The K range of strip {@code s} in the slice starting at {@code p0} of depth {@code kc}: {@code kc} for a dense product,
     * else what remains of the strip's extent (0 when the slice is past it).
     */
    private static int stripDepth(int[] stripExt, int s, int p0, int kc) {
        return stripExt == null ? kc : Math.max(0, Math.min(kc, stripExt[s] - p0));
    }

    private static void gemmBlocked(CpuBackend be, boolean vec, int nr, boolean ta, boolean tb, int m, int n, int k, int lda, int ldb,
                                    int mc, int rowBlocks, float[] bpBuf, int[] stripExt, float alpha, MemorySegment a, MemorySegment b, float beta,
                                    MemorySegment c, Epilogue ep) {
        long work = 2L * m * n * k; // FLOPs: small products run on the calling thread (same blocking, same result)
        float[][] cached = tb ? be.packedWeights().transposed(b, k, n, nr) : null; // weights: packed once per version
        int allStrips = (n + nr - 1) / nr; // NC is a multiple of nr: strip s covers columns s·nr .. s·nr + nr
        // a deep product with few rows (a weight gradient): strip by strip, see runStripwise
        boolean stripwise = vec && cached == null && k > KC && m <= STRIPWISE_M;
        boolean split = be.threads() > 1 && k > KC && allStrips >= 2 && work / 8 >= CpuBackend.PAR_MIN_WORK;
        if (stripwise && !split) {
            runStripwise(nr, ta, tb, m, n, k, lda, ldb, a, b, 0, allStrips, stripExt, alpha, beta, c, ep);
            return;
        }
        if (split) {
            // several K slices (a weight gradient, K = batch): split C's columns, each task running every K slice of its
            // strips over all rows — one fork/join per call instead of two per K slice, and C's part stays in that core's
            // cache between slices. Every element still gets the same fma chain per slice and the same write-back.
            int groups = Math.min(allStrips, be.threads()), mcT = rowBlock(m, 1);
            be.forChunks(groups, g -> {
                int s0 = g * allStrips / groups, s1 = (g + 1) * allStrips / groups;
                if (stripwise) { runStripwise(nr, ta, tb, m, n, k, lda, ldb, a, b, s0, s1, stripExt, alpha, beta, c, ep); return; }
                float[] own = cached != null ? null : COL_B.get();
                int slice = 0;
                for (int jc = 0; jc < n; jc += NC) {
                    int js0 = jc / nr, js1 = js0 + (Math.min(NC, n - jc) + nr - 1) / nr; // this N slice's strips
                    int lo = Math.max(s0, js0), hi = Math.min(s1, js1);
                    if (lo >= hi) { slice += (k + KC - 1) / KC; continue; }
                    for (int pc = 0; pc < k; pc += KC, slice++) {
                        int kc = Math.min(KC, k - pc);
                        float[] bp;
                        int bBase; // global strip whose panel is at offset 0 of bp
                        if (cached != null) { bp = cached[slice]; bBase = js0; }
                        else {
                            bp = own; bBase = lo;
                            for (int s = lo; s < hi; s++) packB(b, tb, ldb, n, pc, kc, s * nr, nr, own, (s - lo) * kc * nr);
                        }
                        for (int ic = 0; ic < m; ic += mcT)
                            runRowBlock(vec, nr, ta, m, n, lda, a, ic, Math.min(mcT, m - ic), pc, kc, k, lo, hi, bp, bBase,
                                    stripExt, alpha, beta, c, ep);
                    }
                }
            });
            return;
        }
        int slice = 0;
        for (int jc = 0; jc < n; jc += NC) {
            int nc = Math.min(NC, n - jc), strips = (nc + nr - 1) / nr;
            for (int pc = 0; pc < k; pc += KC, slice++) {
                int kc = Math.min(KC, k - pc);
                int j0 = jc, p0 = pc, js0 = jc / nr;
                float[] bp = cached != null ? cached[slice] : bpBuf;
                if (cached == null) {
                    int stripGroups = Math.min(strips, 4 * be.threads());
                    be.forChunks(stripGroups, work / 8, g -> {
                        for (int s = g * strips / stripGroups, se = (g + 1) * strips / stripGroups; s < se; s++)
                            packB(b, tb, ldb, n, p0, kc, j0 + s * nr, nr, bpBuf, s * kc * nr);
                    });
                }
                be.forChunks(rowBlocks, work / 8, blk -> {
                    int ic = blk * mc;
                    runRowBlock(vec, nr, ta, m, n, lda, a, ic, Math.min(mc, m - ic), p0, kc, k, js0, js0 + strips, bp, js0,
                            stripExt, alpha, beta, c, ep);
                });
            }
        }
    }

    /** Most rows of C for {@link #runStripwise}: its packed op(A) slice ({@code m × KC} floats, 264 KB at most) stays in L2. */
    static final int STRIPWISE_M = 264;
    /** The packed op(A) of a whole K slice in {@link #runStripwise} (used within one call or task only). */
    private static final ThreadLocal<float[]> A_SLICE = ThreadLocal.withInitial(() -> new float[(STRIPWISE_M + MR - 1) / MR * MR * KC]);

    /**
     * The strips {@code s0 .. s1} of C over every K slice, on the calling thread, for a deep product with few rows (vector
     * kernel, no cached op(B), K &gt; {@link #KC}, m ≤ {@link #STRIPWISE_M}: a weight gradient {@code gpreᵀ·x} with K = the
     * batch). Per K slice, op(A) is packed once for all m rows; then each strip's op(B) panel is packed just before its
     * MR-row tiles run over it, so the panel is in L1 for all of them and the working set is the packed A slice, C and
     * one panel (the row-block order keeps a whole packed op(B) slice and re-reads each panel once per row block).
     * Measured at 1 thread on TN 256×256×4096: 3–10 % less CPU time per call (docs/BENCHMARKS.md, §8 update, TN). Every element
     * gets the same fma chain per slice and the same write-back as in {@link #runRowBlock}, so the same bits.
     */
    private static void runStripwise(int nr, boolean ta, boolean tb, int m, int n, int k, int lda, int ldb, MemorySegment a,
                                     MemorySegment b, int s0, int s1, int[] stripExt, float alpha, float beta, MemorySegment c, Epilogue ep) {
        float[] ap = A_SLICE.get(), bp = COL_B.get(), tile = TILE.get();
        int panels = (m + MR - 1) / MR;
        boolean rowsA = !ta; // op(A) = A: panels of MR plain rows (GemmVec.kernelRows), else interleaved (GemmVec.kernel)
        for (int jc = 0; jc < n; jc += NC) {
            int js0 = jc / nr, js1 = js0 + (Math.min(NC, n - jc) + nr - 1) / nr; // this N slice's strips
            int lo = Math.max(s0, js0), hi = Math.min(s1, js1);
            if (lo >= hi) continue;
            for (int pc = 0; pc < k; pc += KC) {
                int kc = Math.min(KC, k - pc);
                boolean first = pc == 0, last = pc + kc == k;
                for (int i = 0; i < panels; i++)
                    if (rowsA) packARows(a, lda, m, i * MR, pc, kc, ap, i * kc * MR);
                    else packA(true, a, true, lda, m, i * MR, pc, kc, ap, i * kc * MR);
                for (int s = lo; s < hi; s++) {
                    int col = s * nr, cols = Math.min(nr, n - col);
                    int kcs = stripDepth(stripExt, s, pc, kc); // prefix-sparse: as in runRowBlock
                    if (kcs == 0 && !first && !last) continue;
                    packB(b, tb, ldb, n, pc, kc, col, nr, bp, 0);
                    for (int i = 0; i < panels; i++) {
                        int row = i * MR, rows = Math.min(MR, m - row);
                        long cOff = (long) row * n + col;
                        if (rowsA) GemmVec.kernelRows(kcs, ap, i * kc * MR, kc, bp, 0, tile);
                        else GemmVec.kernel(kcs, ap, i * kc * MR, bp, 0, tile);
                        if (rows == MR && cols == nr) GemmVec.writeTile(tile, c, cOff, n, col, alpha, beta, first, last, ep);
                        else GemmVec.writePartial(tile, c, cOff, n, col, rows, cols, alpha, beta, first, last, ep);
                    }
                }
            }
        }
    }

    /** A task's own packed op(B) strips in the column split of {@link #gemmBlocked} (used within one task only). */
    private static final ThreadLocal<float[]> COL_B = ThreadLocal.withInitial(() -> new float[KC * NC]);

    /**
     * One row block of one K slice: packs op(A)[ic .. ic+mcur, p0 .. p0+kc] and runs the micro-kernel over the (global)
     * strips {@code s0 .. s1} of C, whose packed op(B) panels are at {@code bp[(s - bBase)·kc·nr]}, then writes each tile back.
     */
    private static void runRowBlock(boolean vec, int nr, boolean ta, int m, int n, int lda, MemorySegment a, int ic, int mcur,
                                    int p0, int kc, int k, int s0, int s1, float[] bp, int bBase, int[] stripExt, float alpha,
                                    float beta, MemorySegment c, Epilogue ep) {
        boolean first = p0 == 0, last = p0 + kc == k;
        float[] ap = A_PACK.get(), tile = TILE.get();
        int panels = (mcur + MR - 1) / MR;
        boolean rowsA = vec && !ta; // op(A) = A: panels of MR plain rows ({@link GemmVec#kernelRows})
        for (int i = 0; i < panels; i++)
            if (rowsA) packARows(a, lda, m, ic + i * MR, p0, kc, ap, i * kc * MR);
            else packA(vec, a, ta, lda, m, ic + i * MR, p0, kc, ap, i * kc * MR);
        for (int s = s0; s < s1; s++) {
            int col = s * nr, cols = Math.min(nr, n - col), bo = (s - bBase) * kc * nr;
            // prefix-sparse product: the strip's K range ends at its extent; a slice past it adds exact zeros,
            // so it is skipped unless it is the first (initialises C) or the last (the epilogue)
            int kcs = stripDepth(stripExt, s, p0, kc);
            if (kcs == 0 && !first && !last) continue;
            for (int i = 0; i < panels; i++) {
                int row = ic + i * MR, rows = Math.min(MR, m - row);
                long cOff = (long) row * n + col;
                if (vec) {
                    if (rowsA) GemmVec.kernelRows(kcs, ap, i * kc * MR, kc, bp, bo, tile);
                    else GemmVec.kernel(kcs, ap, i * kc * MR, bp, bo, tile);
                    if (rows == MR && cols == nr) GemmVec.writeTile(tile, c, cOff, n, col, alpha, beta, first, last, ep);
                    else GemmVec.writePartial(tile, c, cOff, n, col, rows, cols, alpha, beta, first, last, ep);
                    continue;
                }
                scalarKernel(kcs, ap, i * kc * MR, bp, bo, nr, tile);
                for (int r = 0; r < rows; r++)
                    for (int q = 0; q < cols; q++)
                        writeScalar(tile[r * nr + q], c, cOff + (long) r * n + q, col + q, alpha, beta, first, last, ep);
            }
        }
    }

    /** Most rows of C that take {@link #gemmSmallM}. */
    static final int SMALL_M = 8;
    private static final ThreadLocal<float[]> SMALL_ROW = ThreadLocal.withInitial(() -> new float[KC]);

    /**
     * {@code x·wᵀ} for a few rows ({@code m ≤} {@link #SMALL_M}: a single-row score, a small batch) against a cached packed
     * weight: on the calling thread, row by row, four NR-wide strips at a time ({@link GemmVec#kernelRow}); no A packing and
     * no padding of the rows to MR. Every element is the same fma chain per K slice and the same write-back as in the
     * blocked path, so the result is bit-identical to it (and so to every thread count).
     */
    private static void gemmSmallM(int m, int n, int k, float[][] cached, int[] stripExt, float alpha, MemorySegment a, float beta,
                                   MemorySegment c, Epilogue ep) {
        int nr = GemmVec.NR;
        float[] row = SMALL_ROW.get(), tile = TILE.get();
        int slice = 0;
        for (int jc = 0; jc < n; jc += NC) {
            int nc = Math.min(NC, n - jc), strips = (nc + nr - 1) / nr;
            for (int pc = 0; pc < k; pc += KC, slice++) {
                int kc = Math.min(KC, k - pc);
                boolean first = pc == 0, last = pc + kc == k;
                float[] bp = cached[slice];
                for (int i = 0; i < m; i++) {
                    MemorySegment.copy(a, HostTensor.F, ((long) i * k + pc) * 4, row, 0, kc);
                    for (int s = 0; s < strips; s += 4) {
                        int cnt = Math.min(4, strips - s), kcs = 0;
                        for (int t = 0; t < cnt; t++) kcs = Math.max(kcs, stripDepth(stripExt, jc / nr + s + t, pc, kc));
                        if (kcs == 0 && !first && !last) continue; // prefix-sparse: only exact zeros in this slice
                        GemmVec.kernelRow(kcs, row, 0, bp, s * kc * nr, cnt, tile, kc * nr);
                        for (int t = 0; t < cnt; t++) {
                            int col = jc + (s + t) * nr, cols = Math.min(nr, n - col);
                            GemmVec.writeRow(tile, t * nr, c, (long) i * n + col, col, cols, alpha, beta, first, last, ep);
                        }
                    }
                }
            }
        }
    }

    /** Rows of C per task: at most {@link #MC}, and small enough that every thread gets a few blocks. A multiple of MR. */
    static int rowBlock(int m, int threads) {
        int want = (m + 4 * threads - 1) / (4 * threads);
        int mc = Math.min(MC, Math.max(MR, want));
        return (mc + MR - 1) / MR * MR;
    }

    /**
     * Copies A[row0 .. row0+MR, p0 .. p0+kc] (op(A) = A, row stride lda) into ap[off + r·kc + p], zero rows past m: the
     * panel layout of {@link GemmVec#kernelRows}, bulk copies only (one per panel when the rows are contiguous in A).
     */
    static void packARows(MemorySegment a, int lda, int m, int row0, int p0, int kc, float[] ap, int off) {
        int rows = Math.min(MR, m - row0);
        if (kc == lda) MemorySegment.copy(a, HostTensor.F, (long) row0 * lda * 4, ap, off, rows * kc);
        else for (int r = 0; r < rows; r++) MemorySegment.copy(a, HostTensor.F, ((long) (row0 + r) * lda + p0) * 4, ap, off + r * kc, kc);
        if (rows < MR) java.util.Arrays.fill(ap, off + rows * kc, off + MR * kc, 0f);
    }

    /** Packs op(A)[row0 .. row0+MR, p0 .. p0+kc] into ap[off + p·MR + r], zero-padding rows past m. */
    static void packA(MemorySegment a, boolean ta, int lda, int m, int row0, int p0, int kc, float[] ap, int off) {
        packA(Simd.AVAILABLE, a, ta, lda, m, row0, p0, kc, ap, off);
    }

    /** {@link #packA(MemorySegment, boolean, int, int, int, int, int, float[], int)} with vector loads and stores when {@code vec}. */
    static void packA(boolean vec, MemorySegment a, boolean ta, int lda, int m, int row0, int p0, int kc, float[] ap, int off) {
        int rows = Math.min(MR, m - row0);
        if (ta) { // op(A)[row][p] = A[p][row]: the MR values of one p are contiguous in A
            if (vec) { GemmVec.packATransposed(a, lda, row0, rows, p0, kc, ap, off); return; }
            for (int p = 0; p < kc; p++) {
                int dst = off + p * MR;
                long src = (long) (p0 + p) * lda + row0;
                for (int r = 0; r < rows; r++) ap[dst + r] = a.getAtIndex(HostTensor.F, src + r);
                for (int r = rows; r < MR; r++) ap[dst + r] = 0f;
            }
            return;
        }
        // rows of op(A) are contiguous: bulk-copy the MR row pieces to the heap, then interleave them
        float[] rowsBuf = ROWS.get();
        for (int r = 0; r < rows; r++) MemorySegment.copy(a, HostTensor.F, ((long) (row0 + r) * lda + p0) * 4, rowsBuf, r * kc, kc);
        for (int r = rows; r < MR; r++) java.util.Arrays.fill(rowsBuf, r * kc, (r + 1) * kc, 0f);
        for (int p = 0, dst = off; p < kc; p++, dst += MR) { // MR = 6, written out so that C2 keeps six plain streams
            ap[dst] = rowsBuf[p];
            ap[dst + 1] = rowsBuf[kc + p];
            ap[dst + 2] = rowsBuf[2 * kc + p];
            ap[dst + 3] = rowsBuf[3 * kc + p];
            ap[dst + 4] = rowsBuf[4 * kc + p];
            ap[dst + 5] = rowsBuf[5 * kc + p];
        }
    }

    private static final ThreadLocal<float[]> B_ROWS = ThreadLocal.withInitial(() -> new float[KC * 64]);

    /** Packs op(B)[p0 .. p0+kc, col0 .. col0+nr] into bp[off + p·nr + q], zero-padding columns past n. */
    static void packB(MemorySegment b, boolean tb, int ldb, int n, int p0, int kc, int col0, int nr, float[] bp, int off) {
        int cols = Math.min(nr, n - col0);
        if (Simd.AVAILABLE && nr == GemmVec.NR) {
            if (tb) GemmVec.packBTransposed(b, ldb, n, p0, kc, col0, bp, off);
            else GemmVec.packBRows(b, ldb, n, p0, kc, col0, bp, off);
            return;
        }
        if (!tb) { // rows of op(B) are contiguous: bulk copies
            for (int p = 0; p < kc; p++) {
                int dst = off + p * nr;
                MemorySegment.copy(b, HostTensor.F, ((long) (p0 + p) * ldb + col0) * 4, bp, dst, cols);
                for (int q = cols; q < nr; q++) bp[dst + q] = 0f;
            }
        } else { // op(B)[p][j] = B[j][p]: bulk-copy the cols rows of B (kc contiguous values each), transpose on the heap
            float[] t = B_ROWS.get();
            for (int q = 0; q < cols; q++) MemorySegment.copy(b, HostTensor.F, ((long) (col0 + q) * ldb + p0) * 4, t, q * kc, kc);
            for (int p = 0; p < kc; p++) {
                int dst = off + p * nr;
                for (int q = 0; q < cols; q++) bp[dst + q] = t[q * kc + p];
                for (int q = cols; q < nr; q++) bp[dst + q] = 0f;
            }
        }
    }

    /**
     * Scalar micro-kernel: tile[r·nr + q] = Σ_p fma(a[p, r], b[p, q]) in p order, computed in 2 × 4 register blocks so that
     * eight independent FMA chains are in flight (MR even, nr a multiple of 4).
     */
    static void scalarKernel(int kc, float[] ap, int ao, float[] bp, int bo, int nr, float[] tile) {
        for (int r = 0; r < MR; r += 2)
            for (int q = 0; q < nr; q += 4) {
                float c00 = 0f, c01 = 0f, c02 = 0f, c03 = 0f, c10 = 0f, c11 = 0f, c12 = 0f, c13 = 0f;
                for (int p = 0; p < kc; p++) {
                    int ai = ao + p * MR + r, bi = bo + p * nr + q;
                    float a0 = ap[ai], a1 = ap[ai + 1];
                    float b0 = bp[bi], b1 = bp[bi + 1], b2 = bp[bi + 2], b3 = bp[bi + 3];
                    c00 = Math.fma(a0, b0, c00); c01 = Math.fma(a0, b1, c01); c02 = Math.fma(a0, b2, c02); c03 = Math.fma(a0, b3, c03);
                    c10 = Math.fma(a1, b0, c10); c11 = Math.fma(a1, b1, c11); c12 = Math.fma(a1, b2, c12); c13 = Math.fma(a1, b3, c13);
                }
                int t0 = r * nr + q, t1 = t0 + nr;
                tile[t0] = c00; tile[t0 + 1] = c01; tile[t0 + 2] = c02; tile[t0 + 3] = c03;
                tile[t1] = c10; tile[t1 + 1] = c11; tile[t1 + 2] = c12; tile[t1 + 3] = c13;
            }
    }

    /** The write-back rule of one element (see the class comment); the vector kernel's write-back performs the same operations. */
    static void writeScalar(float acc, MemorySegment c, long idx, int col, float alpha, float beta,
                            boolean first, boolean last, Epilogue ep) {
        float v = alpha * acc;
        if (first) { if (beta != 0f) v = v + beta * c.getAtIndex(HostTensor.F, idx); }
        else v = c.getAtIndex(HostTensor.F, idx) + v;
        if (last && ep != null) {
            if (ep.bias() != null) v = v + ep.bias().getAtIndex(HostTensor.F, col);
            if (ep.pre() != null) ep.pre().setAtIndex(HostTensor.F, idx, v);
            v = ep.act().apply(v);
        }
        c.setAtIndex(HostTensor.F, idx, v);
    }
}
