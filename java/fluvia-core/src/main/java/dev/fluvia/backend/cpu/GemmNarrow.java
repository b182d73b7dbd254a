package dev.fluvia.backend.cpu;

import java.lang.foreign.MemorySegment;

/**
 * The Java GEMM for narrow outputs: C with few columns ({@code n ≤} {@link #MAX_N}), A stored transposed — the weight
 * gradient {@code gpreᵀ·x} of a layer with 1–16 inputs (a coupling's 4 → 256, a 2-D RealNVP's 1 → 64, a MADE's 8 → 512,
 * where K is the batch). The general kernel pads such an
 * output to its {@code MR × NR} tiles (NR = 32 with 512-bit vectors: 4–32× the work). Here the roles swap: the micro-kernel
 * runs on {@code Cᵀ = op(B)ᵀ·op(A)ᵀ}, so C's few columns become the tile's MR rows and C's many rows its NR vector lanes.
 *
 * <p>Each element is still {@code acc = fma(a_p, b_p, acc)} over p in order within each K slice of {@link Gemm#KC}, then
 * {@link Gemm#writeScalar}'s rule — the multiplicands of an fma commute exactly — so the result is bit-identical to the
 * general kernel's, to the scalar path's, and across thread counts. Work is split over fixed 256-row chunks of C.
 *
 * <p>The forward narrow kernels live here too: {@link #narrowK} (K ≤ {@link #MAX_K}: a layer with 1–4 inputs, or the input
 * gradient of a layer with 1–4 outputs) and {@link #narrowN} (C ≤ {@link #MAX_N_FWD} columns, A row-major: a narrow output
 * layer, or the input gradient of a narrow input layer), with the same per-element rule and so the same bits. They serve the
 * Java kernel only: OpenBLAS was faster on these shapes here (docs/BENCHMARKS.md §6, "float32 coupling op and narrow-layer
 * GEMM kernels").
 */
final class GemmNarrow {
    private GemmNarrow() {}

    /** Whether the forward narrow kernels ({@link #narrowK}, {@link #narrowN}) are used (tests compare with them off). */
    static volatile boolean enabled = !"false".equalsIgnoreCase(System.getProperty("fluvia.gemm.narrow", "true").trim());

    /** Deepest K of {@link #narrowK} (a layer with at most this many inputs, or the input gradient of one with this many outputs). */
    static final int MAX_K = 4;
    /** Widest C of {@link #narrowN} (a layer with at most this many outputs). */
    static final int MAX_N_FWD = 8;
    /** Rows of C per task of the forward narrow kernels. */
    static final int ROWS = 256;

    /** Whether {@code op(A)·op(B)} takes {@link #narrowK}: K ≤ {@link #MAX_K}, any transposes, vector or scalar. */
    static boolean appliesK(int m, int n, int k) { return enabled && k <= MAX_K && m >= 2; }

    /**
     * Whether it takes {@link #narrowN}: vector kernels, C at most {@link #MAX_N_FWD} wide, A stored row-major (the forward
     * {@code x·wᵀ} of a narrow output layer, or the input gradient {@code gpre·w} of a narrow input layer), enough rows to fill the
     * lanes. (A stored transposed is the weight gradient: {@link #applies}.)
     */
    static boolean appliesN(boolean vec, boolean ta, int m, int n, int k) {
        return enabled && vec && !ta && n <= MAX_N_FWD && k > MAX_K && m >= GemmVec.L;
    }

    private static final ThreadLocal<float[]> ROW = ThreadLocal.withInitial(() -> new float[1024]);

    /**
     * The narrow-input product ({@code K ≤} {@link #MAX_K}, one K slice): C row by row, op(B)'s K rows packed once per call
     * (padded to whole vectors) and each vector of C's row computed as {@code acc = fma(a_p, b_p, acc)} for p in order from zero,
     * then the write-back of {@link Gemm#writeScalar} (vector form {@link GemmVec#writeRow}) — the general kernel's chain and
     * write-back per element, so the same bits, at every thread count (rows are independent). No MR × NR padding: a
     * 1 → 64 layer does 64 FMAs per row instead of a 6 × 32 tile's work per 6 rows with K = 1 plus the packing.
     */
    static void narrowK(CpuBackend be, boolean vec, boolean ta, boolean tb, int m, int n, int k, float alpha,
                        MemorySegment a, MemorySegment b, float beta, MemorySegment c, Gemm.Epilogue ep) {
        int lda = ta ? m : k, ldb = tb ? k : n;
        int l = vec ? GemmVec.L : 1, np = (n + l - 1) / l * l;
        float[] bp = new float[k * np]; // bp[p·np + j] = op(B)[p, j]
        for (int p = 0; p < k; p++)
            if (!tb) MemorySegment.copy(b, HostTensor.F, (long) p * ldb * 4, bp, p * np, n);
            else for (int j = 0; j < n; j++) bp[p * np + j] = b.getAtIndex(HostTensor.F, (long) j * ldb + p);
        int chunks = (m + ROWS - 1) / ROWS;
        be.forChunks(chunks, 2L * m * n * k, ci -> {
            float[] tile = ROW.get();
            if (tile.length < np) { tile = new float[np]; ROW.set(tile); }
            float a0 = 0, a1 = 0, a2 = 0, a3 = 0;
            for (int i = ci * ROWS, e = Math.min(m, i + ROWS); i < e; i++) {
                long ai = ta ? i : (long) i * lda, as = ta ? lda : 1;
                a0 = a.getAtIndex(HostTensor.F, ai);
                if (k > 1) a1 = a.getAtIndex(HostTensor.F, ai + as);
                if (k > 2) a2 = a.getAtIndex(HostTensor.F, ai + 2 * as);
                if (k > 3) a3 = a.getAtIndex(HostTensor.F, ai + 3 * as);
                if (vec) {
                    GemmNarrowVec.rowK(k, a0, a1, a2, a3, bp, np, tile);
                    GemmVec.writeRow(tile, 0, c, (long) i * n, 0, n, alpha, beta, true, true, ep);
                } else {
                    for (int j = 0; j < n; j++) {
                        float acc = Math.fma(a0, bp[j], 0f);
                        if (k > 1) acc = Math.fma(a1, bp[np + j], acc);
                        if (k > 2) acc = Math.fma(a2, bp[2 * np + j], acc);
                        if (k > 3) acc = Math.fma(a3, bp[3 * np + j], acc);
                        Gemm.writeScalar(acc, c, (long) i * n + j, j, alpha, beta, true, true, ep);
                    }
                }
            }
        });
    }

    /**
     * The narrow-output product ({@code n ≤} {@link #MAX_N_FWD}, A row-major): C's rows become vector lanes. Per task, a block
     * of A's rows is copied to the heap; per K slice of {@link Gemm#KC} and per L rows, A's columns are transposed into lane
     * vectors once and each of C's n columns is accumulated as {@code acc = fma(a_p, b_p, acc)} for p in order from zero (the
     * general kernel's chain), then written back with {@link Gemm#writeScalar}'s rule — the same bits as the general kernel,
     * which pads such a C to its NR-wide tiles (NR = 32 with 512-bit vectors: 16× the work for a 64 → 2 layer). A tail of fewer
     * than L rows takes the scalar form of the same chain.
     */
    static void narrowN(CpuBackend be, boolean tb, int m, int n, int k, float alpha,
                        MemorySegment a, MemorySegment b, float beta, MemorySegment c, Gemm.Epilogue ep) {
        int ldb = tb ? k : n;
        float[] w = new float[n * k]; // w[j·k + p] = op(B)[p, j]
        if (tb) MemorySegment.copy(b, HostTensor.F, 0, w, 0, n * k);
        else for (int p = 0; p < k; p++) for (int j = 0; j < n; j++) w[j * k + p] = b.getAtIndex(HostTensor.F, (long) p * ldb + j);
        int l = GemmVec.L;
        int rowsPer = Math.max(l, Math.min(ROWS, (1 << 16) / k) / l * l); // staged A block: at most ~64 Ki floats
        int chunks = (m + rowsPer - 1) / rowsPer;
        be.forChunks(chunks, 2L * m * Math.max(n, 8) * k, ci -> {
            int r0 = ci * rowsPer, rows = Math.min(rowsPer, m - r0);
            GemmNarrowVec.Stage st = GemmNarrowVec.stage(rowsPer * k, n);
            MemorySegment.copy(a, HostTensor.F, (long) r0 * k * 4, st.a, 0, rows * k);
            for (int pc = 0; pc < k; pc += Gemm.KC) {
                int kc = Math.min(Gemm.KC, k - pc);
                boolean first = pc == 0, last = pc + kc == k;
                int full = rows / l * l, gl = GemmNarrowVec.G * l;
                for (int q0 = 0; q0 < full; q0 += gl) {
                    int blocks = Math.min(GemmNarrowVec.G, (full - q0) / l);
                    GemmNarrowVec.blockN(st, q0 * k, k, pc, kc, w, n, blocks);
                    for (int q = 0; q < blocks * l; q++) {
                        long base = (long) (r0 + q0 + q) * n;
                        for (int j = 0; j < n; j++) Gemm.writeScalar(st.tile[j * gl + q], c, base + j, j, alpha, beta, first, last, ep);
                    }
                }
                for (int q = full; q < rows; q++) { // tail rows: the same chain, scalar
                    long base = (long) (r0 + q) * n;
                    for (int j = 0; j < n; j++) {
                        float acc = 0f;
                        for (int p = pc, ao = q * k; p < pc + kc; p++) acc = Math.fma(st.a[ao + p], w[j * k + p], acc);
                        Gemm.writeScalar(acc, c, base + j, j, alpha, beta, first, last, ep);
                    }
                }
            }
        });
    }

    /** Widest C handled here. */
    static final int MAX_N = 16;
    /** Rows of C per task (a multiple of the vector tile width). */
    static final int CHUNK = 256;

    private static final ThreadLocal<float[]> AP = ThreadLocal.withInitial(() -> new float[((MAX_N + Gemm.MR - 1) / Gemm.MR) * Gemm.MR * Gemm.KC]);
    private static final ThreadLocal<float[]> BP = ThreadLocal.withInitial(() -> new float[CHUNK * Gemm.KC]);
    private static final ThreadLocal<float[]> TILE = ThreadLocal.withInitial(() -> new float[Gemm.MR * 64]);

    /**
     * Whether a product takes this path: vector kernels, a narrow C, enough rows to fill the lanes, and A stored transposed
     * (the weight gradient {@code gpreᵀ·x} of a narrow layer), so that C's rows are contiguous in memory and op(A)ᵀ packs with
     * bulk row copies. With A stored row-major, op(A)ᵀ must be transposed element by element while packing, which costs as
     * much as the padded general kernel saves (measured: 4096×4×256 NN 1.09 ms here against 0.92 ms general), so those
     * products stay on the general kernel.
     */
    static boolean applies(boolean vec, boolean ta, int m, int n) { return vec && ta && n <= MAX_N && m >= 2 * GemmVec.NR; }

    static void gemm(CpuBackend be, boolean ta, boolean tb, int m, int n, int k, float alpha,
                     MemorySegment a, MemorySegment b, float beta, MemorySegment c, Gemm.Epilogue ep) {
        int lda = ta ? m : k, ldb = tb ? k : n, nr = GemmVec.NR, mr = Gemm.MR;
        int chunks = (m + CHUNK - 1) / CHUNK, panels = (n + mr - 1) / mr;
        be.forChunks(chunks, 2L * m * n * k / 8, ci -> {
            int r0 = ci * CHUNK, rows = Math.min(CHUNK, m - r0), strips = (rows + nr - 1) / nr;
            MemorySegment as = a.asSlice(4L * (ta ? r0 : (long) r0 * lda)); // rows r0.. of op(A)
            float[] ap = AP.get(), bp = BP.get(), tile = TILE.get();
            for (int pc = 0; pc < k; pc += Gemm.KC) {
                int kc = Math.min(Gemm.KC, k - pc);
                boolean first = pc == 0, last = pc + kc == k;
                // the tile's rows: op(B)ᵀ (C's columns); its lanes: op(A)ᵀ (C's rows r0 .. r0 + rows)
                for (int i = 0; i < panels; i++) Gemm.packA(b, !tb, ldb, n, i * mr, pc, kc, ap, i * kc * mr);
                for (int s = 0; s < strips; s++) Gemm.packB(as, !ta, lda, rows, pc, kc, s * nr, nr, bp, s * kc * nr);
                for (int s = 0; s < strips; s++) {
                    int row = r0 + s * nr, cnt = Math.min(nr, m - row);
                    for (int i = 0; i < panels; i++) {
                        GemmVec.kernel(kc, ap, i * kc * mr, bp, s * kc * nr, tile);
                        int col0 = i * mr, cols = Math.min(mr, n - col0);
                        for (int q = 0; q < cnt; q++) {
                            long base = (long) (row + q) * n + col0;
                            for (int r = 0; r < cols; r++)
                                Gemm.writeScalar(tile[r * nr + q], c, base + r, col0 + r, alpha, beta, first, last, ep);
                        }
                    }
                }
            }
        });
    }
}
