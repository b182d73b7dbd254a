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
 */
final class GemmNarrow {
    private GemmNarrow() {}

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
