package dev.fluvia.backend.cpu;

import dev.fluvia.blas.Cblas;
import java.lang.foreign.MemorySegment;

/**
 * The GEMM of the CPU backend through a host BLAS ({@link Cblas}: OpenBLAS's {@code cblas_sgemm}), used when the backend's
 * GEMM is {@link CpuGemm#OPENBLAS} (the default where the library loads).
 *
 * <p><b>Threads.</b> The library runs single-threaded ({@link Cblas} sets it so when it loads); parallelism is Fluvia's: a
 * product worth it ({@link #SPLIT_MIN_FLOPS}) is cut into row blocks of C when {@code m ≥ n}, column blocks otherwise
 * ({@link #block}: sized by the shape alone), and each block is one {@code cblas_sgemm} call on the backend's pool. A product
 * called from inside a parallel op runs its blocks on the same pool, never on a second one, so the machine is never
 * oversubscribed and the backend's thread count is the only knob.
 *
 * <p><b>Determinism.</b> The blocks depend only on the shape, never on the thread count, so the library sees the same
 * sequence of calls at every thread count: results are bit-identical across thread counts and runs (given the same library
 * and core type; a different OpenBLAS kernel — another CPU, another {@code OPENBLAS_CORETYPE} — rounds differently).
 * {@code --blas java} is the choice for results that are also identical across machines with the same vector width.
 *
 * <p><b>Epilogue.</b> The linear layer's bias, pre-activation copy and activation ({@link Gemm.Epilogue}) are applied to
 * each block right after its product, while the block is still in cache, with exactly the operations of the Java kernel's
 * write-back ({@link Gemm#writeScalar}): {@code v = c + bias[j]; pre = v; c = act(v)}. The epilogue is vectorised per block
 * ({@link GemmVec#epilogue}: one loop per activation over the block's rows; rows narrower than a vector as one flat run,
 * {@link GemmVec#epilogueFlat}). The library's cuts were not made finer for the epilogue's sake: 128- or 256-row calls (C in
 * L1) measured no faster than the 512-row blocks here, and OpenBLAS's results depend on where M is cut.
 */
final class BlasGemm {
    private BlasGemm() {}

    /*
     * K1: a product with K = 1 and beta = 0 (a 1 → h input layer: each element one rounded product a·b) takes the Java
     * kernel's narrow-input product (GemmNarrow.narrowK), whose epilogue is fused into its write. Through the library it was
     * three passes over C (the library's beta pass, its product, then the epilogue: 1 MiB each for 4096 × 64), the largest
     * item of the RealNVP 2-D batch. The bits are the library's: alpha·round(a·b) (the library adds it to a zeroed C: the
     * same value, only a zero's sign could differ, and neither a bias nor ReLU keeps it).
     */

    /** Products below this many FLOPs run as one call (a block must outweigh a fork/join hand-off). */
    static final long SPLIT_MIN_FLOPS = 1L << 22;
    /**
     * Smallest block of a split product, in rows (or columns) of C. Blocks are {@code max(PART, extent / 8)} rounded up to 16:
     * a function of the shape only, so the calls do not depend on the thread count; at most 8 blocks, so each call still
     * amortises the library's packing of the other operand over many rows.
     */
    static final int PART = 128;

    static int block(int extent) { return Math.max(PART, ((extent + 7) / 8 + 15) / 16 * 16); }

    static void gemm(CpuBackend be, Cblas lib, boolean ta, boolean tb, int m, int n, int k, float alpha,
                     MemorySegment a, MemorySegment b, float beta, MemorySegment c, Gemm.Epilogue ep) {
        if (k == 1 && beta == 0f && GemmNarrow.appliesK(m, n, k)) { // an outer product: see K1 below
            GemmNarrow.narrowK(be, be.vectorized(), ta, tb, m, n, k, alpha, a, b, beta, c, ep);
            return;
        }
        int lda = ta ? m : k, ldb = tb ? k : n;
        long flops = 2L * m * n * k;
        boolean byRows = m >= n;
        int extent = byRows ? m : n;
        int part = block(extent), parts = flops < SPLIT_MIN_FLOPS ? 1 : (extent + part - 1) / part;
        if (parts <= 1) {
            lib.sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, n);
            if (ep != null) epilogue(be, c, n, 0, m, 0, n, ep);
            return;
        }
        be.forChunks(parts, p -> {
            int lo = p * part, hi = Math.min(extent, lo + part);
            if (byRows) { // rows lo..hi of C: op(A)'s rows lo..hi (A's columns when transposed)
                MemorySegment ap = a.asSlice(4L * (ta ? lo : (long) lo * lda));
                MemorySegment cp = c.asSlice(4L * lo * n);
                lib.sgemm(ta, tb, hi - lo, n, k, alpha, ap, lda, b, ldb, beta, cp, n);
                if (ep != null) epilogue(be, c, n, lo, hi, 0, n, ep);
            } else {      // columns lo..hi of C: op(B)'s columns lo..hi (B's rows when transposed)
                MemorySegment bp = b.asSlice(4L * (tb ? (long) lo * ldb : lo));
                MemorySegment cp = c.asSlice(4L * lo);
                lib.sgemm(ta, tb, m, hi - lo, k, alpha, a, lda, bp, ldb, beta, cp, n);
                if (ep != null) epilogue(be, c, n, 0, m, lo, hi, ep);
            }
        });
    }

    /**
     * The prefix-sparse {@code C = A·Wᵀ} ({@link Gemm#gemmPrefix}) through the library: one call per run of rows of W with
     * the same extent (a MADE degree group), on the leading {@code extent} columns of A and W (strided, no copies), each
     * split into row blocks of C like {@link #gemm}. More than {@link #MAX_RUNS} runs (an unsorted layout) is one dense
     * call: the entries past the extents are zero, so the result is the same product.
     */
    static void gemmPrefix(CpuBackend be, Cblas lib, int m, int n, int k, MemorySegment a, MemorySegment b, int[] extent,
                           MemorySegment c, Gemm.Epilogue ep) {
        int[] start = new int[n + 1], ext = new int[n];
        int runs = 0;
        for (int j = 0; j < n; j++) {
            int e = Math.min(k, Math.max(0, extent[j]));
            if (runs == 0 || ext[runs - 1] != e) { start[runs] = j; ext[runs++] = e; }
        }
        start[runs] = n;
        if (runs > MAX_RUNS) { gemm(be, lib, false, true, m, n, k, 1f, a, b, 0f, c, ep); return; }
        int part = block(m);
        int rowParts = 2L * m * n * k < SPLIT_MIN_FLOPS ? 1 : (m + part - 1) / part;
        int rp = rowParts, nRuns = runs;
        be.forChunks(nRuns * rp, 2L * m * n * k, t -> {
            int r = t / rp, lo = rp == 1 ? 0 : (t % rp) * part, hi = rp == 1 ? m : Math.min(m, lo + part);
            int j0 = start[r], j1 = start[r + 1], e = ext[r];
            MemorySegment cp = c.asSlice(4L * ((long) lo * n + j0));
            if (e == 0) { // no terms: C = 0
                for (int i = lo; i < hi; i++) c.asSlice(4L * ((long) i * n + j0), 4L * (j1 - j0)).fill((byte) 0);
            } else {
                lib.sgemm(false, true, hi - lo, j1 - j0, e, 1f, a.asSlice(4L * lo * k), k, b.asSlice(4L * j0 * k), k, 0f, cp, n);
            }
            if (ep != null) epilogue(be, c, n, lo, hi, j0, j1, ep);
        });
    }

    /** Most runs of equal extent {@link #gemmPrefix} calls the library for, per row block. */
    static final int MAX_RUNS = 32;

    /** Applies the epilogue to C[r0..r1, j0..j1] (row stride ldc), vectorised where the backend is. */
    static void epilogue(CpuBackend be, MemorySegment c, int ldc, int r0, int r1, int j0, int j1, Gemm.Epilogue ep) {
        if (be.vectorized()) {
            int n = j1 - j0;
            if (j0 == 0 && n == ldc && GemmVec.flat(n)) { // rows narrower than a vector, contiguous: one flat run
                long f = GemmVec.epilogueFlat(c, n, r0, r1, ep), end = (long) r1 * n;
                for (; f < end; f++) scalar(c, f, (int) (f % n), ep);
                return;
            }
            int j = GemmVec.epilogue(c, ldc, r0, r1, j0, j1, ep);
            if (j < j1) scalar(c, ldc, r0, r1, j, j1, ep);
            return;
        }
        scalar(c, ldc, r0, r1, j0, j1, ep);
    }

    private static void scalar(MemorySegment c, int ldc, int r0, int r1, int j0, int j1, Gemm.Epilogue ep) {
        for (int r = r0; r < r1; r++) {
            long row = (long) r * ldc;
            for (int j = j0; j < j1; j++) scalar(c, row + j, j, ep);
        }
    }

    /** The epilogue of one element: exactly {@link Gemm#writeScalar}'s last step. */
    private static void scalar(MemorySegment c, long idx, int col, Gemm.Epilogue ep) {
        float v = c.getAtIndex(HostTensor.F, idx);
        if (ep.bias() != null) v = v + ep.bias().getAtIndex(HostTensor.F, col);
        if (ep.pre() != null) ep.pre().setAtIndex(HostTensor.F, idx, v);
        c.setAtIndex(HostTensor.F, idx, ep.act().apply(v));
    }
}
