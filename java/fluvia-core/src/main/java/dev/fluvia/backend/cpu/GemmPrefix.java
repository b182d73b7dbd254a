package dev.fluvia.backend.cpu;

import dev.fluvia.blas.Cblas;
import java.lang.foreign.MemorySegment;

/**
 * The two backward products of a prefix-sparse linear layer (the dense family's {@code prefixLinearBackward}), whose weight
 * {@code W [out, in]} has row {@code o} zero past column {@code extent[o]} (MADE with its hidden units sorted by degree,
 * {@code dense.PrefixLayout}):
 * <ul>
 *   <li>{@link #gemmPrefixNN}, the input gradient {@code C = A·W} ({@code gx = gpre·W}): column {@code c} of C sums only the
 *       rows {@code o} with {@code extent[o] > c} — for sorted extents a suffix of W's rows, so each NR-wide strip of C starts
 *       its K range at the first row that reaches the strip;</li>
 *   <li>{@link #gemmPrefixTN}, the weight gradient {@code C += Aᵀ·B} ({@code gW += gpreᵀ·x}) on the entries {@code C[o, c]}
 *       with {@code c < extent[o]} only: output tiles past every extent of their rows are not computed, and the entries past
 *       a row's extent are never written.</li>
 * </ul>
 * <b>Java kernel.</b> The same blocking, packing and micro-kernel as {@link Gemm}'s blocked path; every element computed is
 * the same fma chain per K slice with the same write-back, so the input gradient is bit-identical to the dense product of the
 * zero-padded W (the skipped leading terms are exact zeros) and the weight gradient to the dense {@code gpreᵀ·x} on the
 * entries it writes — for finite inputs, at every thread count, vector or scalar. W's entries past the extents are not used
 * (zeroed in the packing). <b>BLAS provider.</b> One library call per band of columns with the same contributing rows
 * (input gradient; one per run of equal extents when the extents are not sorted) and one per run of equal extents (weight
 * gradient), on strided views without copies; the calls depend on the shape and extents only, so the results are
 * bit-identical across thread counts.
 */
public final class GemmPrefix {
    private GemmPrefix() {}

    /** {@code gx [n, in] = gpre [n, out]·w [out, in]} with w's row o taken as zero past {@code extent[o]} (overwrites gx). */
    public static void inputGradient(CpuBackend be, int n, int in, int out, MemorySegment gpre, MemorySegment w, int[] extent, MemorySegment gx) {
        gemmPrefixNN(be, n, in, out, gpre, w, extent, gx);
    }

    /** {@code gw[o, k] += Σ_r gpre[r, o]·x[r, k]} for {@code k < extent[o]}; gw's other entries are not written. */
    public static void weightGradient(CpuBackend be, int n, int in, int out, MemorySegment gpre, MemorySegment x, int[] extent, MemorySegment gw) {
        gemmPrefixTN(be, out, in, n, gpre, x, extent, gw);
    }

    private static final int KC = Gemm.KC, NC = Gemm.NC, MR = Gemm.MR;

    /** Clamps every extent to [0, n]. */
    private static int[] clamp(int[] extent, int n) {
        int[] e = new int[extent.length];
        for (int i = 0; i < e.length; i++) e[i] = Math.min(n, Math.max(0, extent[i]));
        return e;
    }

    /**
     * {@code C [m, n] = A [m, k]·B [k, n]} (C overwritten) where row {@code p} of B is taken as zero past column
     * {@code extent[p]} ({@code extent} has k entries).
     */
    static void gemmPrefixNN(CpuBackend be, int m, int n, int k, MemorySegment a, MemorySegment b, int[] extent, MemorySegment c) {
        if (m == 0 || n == 0) return;
        int[] ext = clamp(extent, n);
        if (k == 0) { c.asSlice(0, 4L * m * n).fill((byte) 0); return; }
        if (be.blas() != null) { blasNN(be, be.blas(), m, n, k, a, b, ext, c); return; }
        boolean vec = be.vectorized();
        int nr = vec ? GemmVec.NR : Gemm.SCALAR_NR;
        int strips = (n + nr - 1) / nr;
        int[] lo = new int[strips]; // first row of B reaching strip s (k when none does)
        for (int s = 0; s < strips; s++) {
            int col = s * nr, p = 0;
            while (p < k && ext[p] <= col) p++;
            lo[s] = p;
        }
        int mc = Gemm.rowBlock(m, be.threads()), rowBlocks = (m + mc - 1) / mc;
        long work = 2L * m * n * k;
        float[] bp = Gemm.BPack.take();
        try {
            for (int jc = 0; jc < n; jc += NC) {
                int nc = Math.min(NC, n - jc), js = (nc + nr - 1) / nr, s0 = jc / nr;
                for (int pc = 0; pc < k; pc += KC) {
                    int kc = Math.min(KC, k - pc);
                    boolean first = pc == 0, last = pc + kc == k;
                    int j0 = jc, p0 = pc;
                    int groups = Math.min(js, 4 * be.threads());
                    be.forChunks(groups, work / 8, g -> {
                        for (int s = g * js / groups, se = (g + 1) * js / groups; s < se; s++) {
                            if (lo[s0 + s] >= p0 + kc) continue; // not read
                            int col0 = j0 + s * nr, off = s * kc * nr;
                            Gemm.packB(b, false, n, n, p0, kc, col0, nr, bp, off);
                            for (int p = 0; p < kc; p++) { // W's entries past the row's extent count as zero
                                int from = Math.max(0, ext[p0 + p] - col0);
                                for (int q = from, dst = off + p * nr; q < nr; q++) bp[dst + q] = 0f;
                            }
                        }
                    });
                    be.forChunks(rowBlocks, work / 8, blk -> {
                        int ic = blk * mc, mcur = Math.min(mc, m - ic);
                        float[] ap = Gemm.A_PACK.get(), tile = Gemm.TILE.get();
                        int panels = (mcur + MR - 1) / MR;
                        for (int i = 0; i < panels; i++) Gemm.packA(a, false, k, m, ic + i * MR, p0, kc, ap, i * kc * MR);
                        for (int s = 0; s < js; s++) {
                            int col = j0 + s * nr, cols = Math.min(nr, n - col);
                            int start = Math.min(p0 + kc, Math.max(p0, lo[s0 + s])), kcs = p0 + kc - start, skip = start - p0;
                            // the leading rows not reaching the strip add exact zeros: skipped; a slice with none left
                            // is skipped too unless it initialises C (first) or finishes it (last)
                            if (kcs == 0 && !first && !last) continue;
                            for (int i = 0; i < panels; i++) {
                                int row = ic + i * MR, rows = Math.min(MR, m - row);
                                long cOff = (long) row * n + col;
                                if (vec) {
                                    GemmVec.kernel(kcs, ap, i * kc * MR + skip * MR, bp, s * kc * nr + skip * nr, tile);
                                    if (rows == MR && cols == nr) GemmVec.writeTile(tile, c, cOff, n, col, 1f, 0f, first, last, null);
                                    else GemmVec.writePartial(tile, c, cOff, n, col, rows, cols, 1f, 0f, first, last, null);
                                } else {
                                    Gemm.scalarKernel(kcs, ap, i * kc * MR + skip * MR, bp, s * kc * nr + skip * nr, nr, tile);
                                    for (int r = 0; r < rows; r++)
                                        for (int q = 0; q < cols; q++)
                                            Gemm.writeScalar(tile[r * nr + q], c, cOff + (long) r * n + q, col + q, 1f, 0f, first, last, null);
                                }
                            }
                        }
                    });
                }
            }
        } finally {
            Gemm.BPack.give(bp);
        }
    }

    /**
     * {@code C [m, n] += Aᵀ·B} with A stored {@code [k, m]} and B {@code [k, n]}, on the entries {@code C[i, j]} with
     * {@code j < extent[i]} only ({@code extent} has m entries); the others are not written.
     */
    static void gemmPrefixTN(CpuBackend be, int m, int n, int k, MemorySegment a, MemorySegment b, int[] extent, MemorySegment c) {
        if (m == 0 || n == 0 || k == 0) return; // no terms: C += 0
        int[] ext = clamp(extent, n);
        if (be.blas() != null) { blasTN(be, be.blas(), m, n, k, a, b, ext, c); return; }
        boolean vec = be.vectorized();
        int nr = vec ? GemmVec.NR : Gemm.SCALAR_NR;
        int maxExt = 0;
        for (int e : ext) maxExt = Math.max(maxExt, e);
        if (maxExt == 0) return;
        int nUsed = maxExt; // columns past every extent: nothing to compute
        int mc = Gemm.rowBlock(m, be.threads()), rowBlocks = (m + mc - 1) / mc;
        long work = 2L * m * nUsed * k;
        float[] bp = Gemm.BPack.take();
        try {
            for (int jc = 0; jc < nUsed; jc += NC) {
                int nc = Math.min(NC, nUsed - jc), js = (nc + nr - 1) / nr;
                for (int pc = 0; pc < k; pc += KC) {
                    int kc = Math.min(KC, k - pc);
                    boolean first = pc == 0, last = pc + kc == k;
                    int j0 = jc, p0 = pc;
                    int groups = Math.min(js, 4 * be.threads());
                    be.forChunks(groups, work / 8, g -> {
                        for (int s = g * js / groups, se = (g + 1) * js / groups; s < se; s++)
                            Gemm.packB(b, false, n, nUsed, p0, kc, j0 + s * nr, nr, bp, s * kc * nr);
                    });
                    be.forChunks(rowBlocks, work / 8, blk -> {
                        int ic = blk * mc, mcur = Math.min(mc, m - ic);
                        float[] ap = Gemm.A_PACK.get(), tile = Gemm.TILE.get();
                        int panels = (mcur + MR - 1) / MR;
                        for (int i = 0; i < panels; i++) Gemm.packA(vec, a, true, m, m, ic + i * MR, p0, kc, ap, i * kc * MR);
                        for (int i = 0; i < panels; i++) {
                            int row = ic + i * MR, rows = Math.min(MR, m - row);
                            int hi = 0, lo = n;
                            for (int r = 0; r < rows; r++) { hi = Math.max(hi, ext[row + r]); lo = Math.min(lo, ext[row + r]); }
                            for (int s = 0; s < js; s++) {
                                int col = j0 + s * nr, cols = Math.min(nr, nUsed - col);
                                if (col >= hi) break; // this and every later tile of the panel: structurally zero
                                long cOff = (long) row * n + col;
                                boolean whole = col + cols <= lo; // every entry of the tile within its row's extent
                                if (vec) {
                                    GemmVec.kernel(kc, ap, i * kc * MR, bp, s * kc * nr, tile);
                                    if (whole && rows == MR && cols == nr) GemmVec.writeTile(tile, c, cOff, n, col, 1f, 1f, first, last, null);
                                    else if (whole) GemmVec.writePartial(tile, c, cOff, n, col, rows, cols, 1f, 1f, first, last, null);
                                    else for (int r = 0; r < rows; r++) {
                                        int w = Math.min(cols, ext[row + r] - col);
                                        if (w > 0) GemmVec.writeRow(tile, r * nr, c, cOff + (long) r * n, col, w, 1f, 1f, first, last, null);
                                    }
                                } else {
                                    Gemm.scalarKernel(kc, ap, i * kc * MR, bp, s * kc * nr, nr, tile);
                                    for (int r = 0; r < rows; r++)
                                        for (int q = 0, w = Math.min(cols, ext[row + r] - col); q < w; q++)
                                            Gemm.writeScalar(tile[r * nr + q], c, cOff + (long) r * n + q, col + q, 1f, 1f, first, last, null);
                                }
                            }
                        }
                    });
                }
            }
        } finally {
            Gemm.BPack.give(bp);
        }
    }

    // ------------------------------------------------------------------ BLAS provider

    /** Runs of equal extent: {@code {start[0..runs], ext[0..runs)}}, start[runs] = the row count. */
    private static int[][] runs(int[] ext) {
        int rows = ext.length;
        int[] start = new int[rows + 1], e = new int[rows];
        int runs = 0;
        for (int j = 0; j < rows; j++) if (runs == 0 || e[runs - 1] != ext[j]) { start[runs] = j; e[runs++] = ext[j]; }
        start[runs] = rows;
        return new int[][] {java.util.Arrays.copyOf(start, runs + 1), java.util.Arrays.copyOf(e, runs)};
    }

    /**
     * {@link #gemmPrefixNN} through the library. Sorted extents (runs e₁ &lt; e₂ &lt; …, as a MADE layer has them): the band of
     * columns {@code [e_{j-1}, e_j)} is {@code A[:, start_j..]·B[start_j.., band]} (the rows that reach it, a suffix), one call
     * per band and row block of C, the columns past the last extent zero. Unsorted: C = 0, then per row block of C the runs
     * accumulated in order ({@code C[:, :e] += A[:, run]·B[run, :e]}).
     */
    static void blasNN(CpuBackend be, Cblas lib, int m, int n, int k, MemorySegment a, MemorySegment b, int[] ext, MemorySegment c) {
        int[][] rs = runs(ext);
        int[] start = rs[0], e = rs[1];
        int runs = e.length;
        boolean sorted = true;
        for (int r = 1; r < runs; r++) sorted &= e[r] > e[r - 1];
        int part = BlasGemm.block(m);
        int rowParts = 2L * m * n * k < BlasGemm.SPLIT_MIN_FLOPS ? 1 : (m + part - 1) / part;
        int rp = rowParts;
        if (sorted) {
            int bands = runs + 1; // band r < runs: columns [e[r-1], e[r]); band runs: [e[runs-1], n), zero
            be.forChunks(bands * rp, 2L * m * n * k, t -> {
                int band = t / rp, lo = rp == 1 ? 0 : (t % rp) * part, hi = rp == 1 ? m : Math.min(m, lo + part);
                int c0 = band == 0 ? 0 : e[band - 1], c1 = band == runs ? n : e[band];
                if (c1 <= c0 || hi <= lo) return;
                if (band == runs) {
                    for (int i = lo; i < hi; i++) c.asSlice(4L * ((long) i * n + c0), 4L * (c1 - c0)).fill((byte) 0);
                    return;
                }
                int p0 = start[band];
                lib.sgemm(false, false, hi - lo, c1 - c0, k - p0, 1f, a.asSlice(4L * ((long) lo * k + p0)), k,
                        b.asSlice(4L * ((long) p0 * n + c0)), n, 0f, c.asSlice(4L * ((long) lo * n + c0)), n);
            });
            return;
        }
        be.forChunks(rp, 2L * m * n * k, t -> {
            int lo = rp == 1 ? 0 : t * part, hi = rp == 1 ? m : Math.min(m, lo + part);
            for (int i = lo; i < hi; i++) c.asSlice(4L * i * n, 4L * n).fill((byte) 0);
            for (int r = 0; r < runs; r++) {
                if (e[r] == 0) continue;
                lib.sgemm(false, false, hi - lo, e[r], start[r + 1] - start[r], 1f, a.asSlice(4L * ((long) lo * k + start[r])), k,
                        b.asSlice(4L * start[r] * n), n, 1f, c.asSlice(4L * lo * n), n);
            }
        });
    }

    /** {@link #gemmPrefixTN} through the library: per run of equal extents e, {@code C[run, :e] += A[:, run]ᵀ·B[:, :e]}. */
    static void blasTN(CpuBackend be, Cblas lib, int m, int n, int k, MemorySegment a, MemorySegment b, int[] ext, MemorySegment c) {
        int[][] rs = runs(ext);
        int[] start = rs[0], e = rs[1];
        be.forChunks(e.length, 2L * m * n * k, r -> {
            if (e[r] == 0) return;
            lib.sgemm(true, false, start[r + 1] - start[r], e[r], k, 1f, a.asSlice(4L * start[r]), m, b, n, 1f,
                    c.asSlice(4L * start[r] * n), n);
        });
    }
}
