package dev.fluvia.backend.cpu;

import dev.fluvia.backend.Activation;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;

/**
 * The CPU body of {@code DenseOps.mlpForward}: every layer of an MLP run on one block of rows before the next block, so the
 * {@code [N, hidden]} activations never leave the cache.
 *
 * <p><b>Feature-major blocks.</b> A block's activations are held transposed, element (unit k, row r) at {@code k·rb + r}
 * ({@code rb} = the block's width: {@link #RB} = four vectors, or two for a tail of at most two vectors' rows): one unit's
 * values for the block's rows fill {@code rb / L} vectors. Layer {@code out = act(W·in + b)} is then a GEMM whose A operand is
 * the weight ({@link PackedWeights#rowPanels}: six units per panel, packed once per weight version) and whose B operand is the
 * block itself, already in the layout of a packed B panel ({@code kc × rb}). {@link #kernel} computes six units × 64 rows
 * per call ({@link GemmVec#kernel} six units × 32 rows for a narrow tail block). A narrow layer costs its width rounded up to
 * six units, not to a 32-wide strip, so a conditioner's {@code 64 → 2} output layer wastes four units; a layer of at most four
 * inputs ({@code 1 → 64}) skips the micro-kernel ({@link #narrowLayer}). With extents (a MADE's prefix-sparse layers) each
 * panel's K range stops at its six units' largest extent.
 *
 * <p><b>Bits.</b> Each element is the chain {@code Σ_p fma(x[p], w[p])} over the K slices of {@link Gemm#KC} in order from
 * zero, slices added as {@code c + acc}, then {@code + bias}, then the activation: the operations of the Java GEMM's
 * {@code linearForward}, so the output equals the chain of {@code linearForward} calls under the Java kernel bit for bit,
 * and does not depend on the thread count or on how rows are cut into blocks.
 */
public final class MlpForward {
    private MlpForward() {}

    /** Rows per block: {@link #kernel}'s width, four vectors. A tail block of at most {@link #RB_TAIL} rows is that wide. */
    static final int RB = 4 * GemmVec.L, RB_TAIL = GemmVec.NR;
    private static final int MR = Gemm.MR, L = GemmVec.L;
    /** Blocks per parallel chunk: 256 rows with 16 lanes. */
    private static final int BLOCKS_PER_CHUNK = Math.max(1, 256 / RB);

    /**
     * Whether the fused path runs: the Vector API on, a lane-wise hidden activation (identity, ReLU, tanh), no zero width, and
     * more rows than the GEMM's few-row path takes ({@link Gemm#SMALL_M}): up to that, the per-layer products (which do not pad
     * the rows to a block) run that path, with the same bits for fixed weights under either GEMM choice.
     */
    public static boolean applies(CpuBackend be, int n, int[] dims, Activation act) {
        if (!be.vectorized() || n <= Gemm.SMALL_M || !ActivationVec.vectorizes(act)) return false;
        for (int d : dims) if (d <= 0) return false;
        return true;
    }

    private static final class Scratch {
        float[] a = new float[0], b = new float[0], rowMajor = new float[0];
        final float[] tile = new float[MR * RB];
        void ensure(int floats, int io) {
            if (a.length < floats) { a = new float[floats]; b = new float[floats]; }
            if (rowMajor.length < io) rowMajor = new float[io];
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /**
     * y = MLP(x) for {@link #applies} arguments, arguments already checked. {@code dims} = widths, inputs first; {@code w[i]}
     * {@code [dims[i+1], dims[i]]}, {@code b[i]} {@code [dims[i+1]]} or null; hidden layers {@code act}, the last identity.
     */
    public static void run(CpuBackend be, int n, int[] dims, MemorySegment x, MemorySegment[] w, MemorySegment[] b,
                           int[][] extent, Activation act, MemorySegment y) {
        int layers = dims.length - 1, widest = 0;
        float[][] panels = new float[layers][], bias = new float[layers][];
        int[][] groupExt = new int[layers][];
        long flopsPerRow = 0;
        for (int i = 0; i < layers; i++) {
            int out = dims[i + 1], in = dims[i];
            panels[i] = be.packedWeights().rowPanels(w[i], out, in, extent[i]);
            if (panels[i] == null) { // cache off or too large: this call's own packing
                float[] raw = new float[out * in];
                MemorySegment.copy(w[i], HostTensor.F, 0, raw, 0, raw.length);
                panels[i] = new float[PackedWeights.panelFloats(out, in)];
                PackedWeights.packRowPanels(raw, out, in, extent[i], panels[i]);
            }
            if (extent[i] != null) { // a panel's K range: its six units' largest extent (past it the panel holds zeros)
                int groups = (out + MR - 1) / MR;
                groupExt[i] = new int[groups];
                for (int o = 0; o < out; o++) groupExt[i][o / MR] = Math.max(groupExt[i][o / MR], extent[i][o]);
            }
            if (b[i] != null) {
                bias[i] = new float[out];
                MemorySegment.copy(b[i], HostTensor.F, 0, bias[i], 0, out);
            }
            widest = Math.max(widest, Math.max(in, out));
            flopsPerRow += 2L * in * out;
        }
        int blocks = (n + RB - 1) / RB, chunks = (blocks + BLOCKS_PER_CHUNK - 1) / BLOCKS_PER_CHUNK;
        int floats = (((widest + MR - 1) / MR) * MR) * RB, io = RB * Math.max(dims[0], dims[layers]);
        be.forChunks(chunks, flopsPerRow * n, c -> {
            Scratch s = SCRATCH.get();
            s.ensure(floats, io);
            int end = Math.min(blocks, (c + 1) * BLOCKS_PER_CHUNK);
            for (int blk = c * BLOCKS_PER_CHUNK; blk < end; blk++) {
                int lo = blk * RB;
                int rows = Math.min(RB, n - lo);
                block(s, lo, rows, rows <= RB_TAIL ? RB_TAIL : RB, dims, x, panels, bias, groupExt, act, y);
            }
        });
    }

    /** Rows {@code [lo, lo + rows)} through every layer. */
    private static void block(Scratch s, int lo, int rows, int rb, int[] dims, MemorySegment x, float[][] panels, float[][] bias,
                              int[][] groupExt, Activation act, MemorySegment y) {
        float[] in = s.a, out = s.b, tile = s.tile;
        int d0 = dims[0];
        float[] rm = s.rowMajor; // the block's rows as stored (one bulk copy each way), transposed on the heap
        if (d0 == 1) MemorySegment.copy(x, HostTensor.F, 4L * lo, in, 0, rows);
        else {
            MemorySegment.copy(x, HostTensor.F, 4L * lo * d0, rm, 0, rows * d0);
            for (int r = 0; r < rows; r++) for (int k = 0; k < d0; k++) in[k * rb + r] = rm[r * d0 + k];
        }
        if (rows < rb) for (int k = 0; k < d0; k++) java.util.Arrays.fill(in, k * rb + rows, (k + 1) * rb, 0f);
        int layers = dims.length - 1;
        for (int i = 0; i < layers; i++) {
            int kin = dims[i], kout = dims[i + 1], groups = (kout + MR - 1) / MR;
            Activation a = i + 1 == layers ? Activation.IDENTITY : act;
            float[] p = panels[i], bi = bias[i];
            int[] ge = groupExt[i];
            if (kin <= NARROW_K && ge == null) { narrowLayer(kin, kout, p, in, out, rb, bi, a); float[] t = in; in = out; out = t; continue; }
            for (int g = 0; g < groups; g++) {
                int units = Math.min(MR, kout - g * MR), ao = g * MR * kin, k = ge == null ? kin : ge[g];
                if (k == 0) { // every unit of the panel has extent 0: act(bias)
                    java.util.Arrays.fill(tile, 0f);
                    writeBack(tile, out, g * MR, units, rb, true, true, bi, a);
                    continue;
                }
                for (int p0 = 0; p0 < k; p0 += Gemm.KC) {
                    int kc = Math.min(Gemm.KC, k - p0);
                    if (rb == RB) kernel(kc, p, ao + p0 * MR, in, p0 * rb, tile);
                    else GemmVec.kernel(kc, p, ao + p0 * MR, in, p0 * rb, tile);
                    writeBack(tile, out, g * MR, units, rb, p0 == 0, p0 + kc >= k, bi, a);
                }
            }
            float[] t = in; in = out; out = t;
        }
        int dl = dims[layers];
        if (dl == 1) { MemorySegment.copy(in, 0, y, HostTensor.F, 4L * lo, rows); return; }
        for (int u = 0; u < dl; u++) for (int r = 0, src = u * rb; r < rows; r++) rm[r * dl + u] = in[src + r];
        MemorySegment.copy(rm, 0, y, HostTensor.F, 4L * lo * dl, rows * dl);
    }

    /** Inputs up to which a layer skips the micro-kernel ({@link #narrowLayer}): a coupling's first layer has 1–4. */
    static final int NARROW_K = 4;

    /**
     * A layer of at most {@link #NARROW_K} inputs, unit by unit straight from the packed panels: {@code acc = Σ_p fma(w[u, p],
     * in[p])} from a zero accumulator, then bias and activation — the micro-kernel's chain and write-back for one slice, without
     * its register tile (for K = 1 the kernel's setup, tile store and reload cost more than its FMAs).
     */
    private static void narrowLayer(int kin, int kout, float[] p, float[] in, float[] out, int rb, float[] bias, Activation act) {
        FloatVector zero = FloatVector.zero(GemmVec.S);
        for (int u = 0; u < kout; u++) {
            int g = u / MR, r = u - g * MR, ao = g * MR * kin + r;
            float bb = bias == null ? 0f : bias[u];
            for (int h = 0; h < rb; h += L) {
                FloatVector v = FloatVector.broadcast(GemmVec.S, p[ao]).fma(FloatVector.fromArray(GemmVec.S, in, h), zero);
                for (int q = 1; q < kin; q++)
                    v = FloatVector.broadcast(GemmVec.S, p[ao + q * MR]).fma(FloatVector.fromArray(GemmVec.S, in, q * rb + h), v);
                if (bias != null) v = v.add(bb);
                ActivationVec.apply(act, v).intoArray(out, u * rb + h);
            }
        }
    }

    /**
     * {@code tile[r·RB + q] = Σ_p fma(a(r, p), b[p, q])} for p in order from zero: one A panel (six units, interleaved as
     * {@link PackedWeights#rowPanels} packs it) against a block of activations ({@code kc × RB}, row stride RB), in a
     * {@code 6 × 4L} register tile (24 accumulators; one broadcast of A and four loads of B per four FMAs). The chain of each
     * element is {@link GemmVec#kernel}'s, so the bits are the same; the wider tile halves the calls and loop overhead per row.
     */
    static void kernel(int kc, float[] ap, int ao, float[] bp, int bo, float[] tile) {
        var S = GemmVec.S;
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S), c02 = FloatVector.zero(S), c03 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S), c12 = FloatVector.zero(S), c13 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S), c22 = FloatVector.zero(S), c23 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S), c32 = FloatVector.zero(S), c33 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S), c42 = FloatVector.zero(S), c43 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S), c52 = FloatVector.zero(S), c53 = FloatVector.zero(S);
        for (int p = 0; p < kc; p++) {
            int bi = bo + p * RB, a = ao + p * MR;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi), b1 = FloatVector.fromArray(S, bp, bi + L);
            FloatVector b2 = FloatVector.fromArray(S, bp, bi + 2 * L), b3 = FloatVector.fromArray(S, bp, bi + 3 * L);
            FloatVector w = FloatVector.broadcast(S, ap[a]);
            c00 = w.fma(b0, c00); c01 = w.fma(b1, c01); c02 = w.fma(b2, c02); c03 = w.fma(b3, c03);
            w = FloatVector.broadcast(S, ap[a + 1]);
            c10 = w.fma(b0, c10); c11 = w.fma(b1, c11); c12 = w.fma(b2, c12); c13 = w.fma(b3, c13);
            w = FloatVector.broadcast(S, ap[a + 2]);
            c20 = w.fma(b0, c20); c21 = w.fma(b1, c21); c22 = w.fma(b2, c22); c23 = w.fma(b3, c23);
            w = FloatVector.broadcast(S, ap[a + 3]);
            c30 = w.fma(b0, c30); c31 = w.fma(b1, c31); c32 = w.fma(b2, c32); c33 = w.fma(b3, c33);
            w = FloatVector.broadcast(S, ap[a + 4]);
            c40 = w.fma(b0, c40); c41 = w.fma(b1, c41); c42 = w.fma(b2, c42); c43 = w.fma(b3, c43);
            w = FloatVector.broadcast(S, ap[a + 5]);
            c50 = w.fma(b0, c50); c51 = w.fma(b1, c51); c52 = w.fma(b2, c52); c53 = w.fma(b3, c53);
        }
        c00.intoArray(tile, 0); c01.intoArray(tile, L); c02.intoArray(tile, 2 * L); c03.intoArray(tile, 3 * L);
        c10.intoArray(tile, RB); c11.intoArray(tile, RB + L); c12.intoArray(tile, RB + 2 * L); c13.intoArray(tile, RB + 3 * L);
        c20.intoArray(tile, 2 * RB); c21.intoArray(tile, 2 * RB + L); c22.intoArray(tile, 2 * RB + 2 * L); c23.intoArray(tile, 2 * RB + 3 * L);
        c30.intoArray(tile, 3 * RB); c31.intoArray(tile, 3 * RB + L); c32.intoArray(tile, 3 * RB + 2 * L); c33.intoArray(tile, 3 * RB + 3 * L);
        c40.intoArray(tile, 4 * RB); c41.intoArray(tile, 4 * RB + L); c42.intoArray(tile, 4 * RB + 2 * L); c43.intoArray(tile, 4 * RB + 3 * L);
        c50.intoArray(tile, 5 * RB); c51.intoArray(tile, 5 * RB + L); c52.intoArray(tile, 5 * RB + 2 * L); c53.intoArray(tile, 5 * RB + 3 * L);
    }

    /**
     * Units {@code [u0, u0 + units)} of one K slice's raw sums ({@code tile}, unit-major, rb wide) into {@code out}:
     * {@code v = acc} on the first slice, {@code v = out + acc} on later ones, and on the last {@code v = act(v + bias)} —
     * {@link GemmVec}'s write-back rule with alpha = 1, beta = 0.
     */
    private static void writeBack(float[] tile, float[] out, int u0, int units, int rb, boolean first, boolean last, float[] bias,
                                  Activation act) {
        for (int u = 0; u < units; u++)
            for (int h = 0; h < rb; h += L) {
                int t = u * rb + h, o = (u0 + u) * rb + h;
                FloatVector v = FloatVector.fromArray(GemmVec.S, tile, t);
                if (!first) v = FloatVector.fromArray(GemmVec.S, out, o).add(v);
                if (last) {
                    if (bias != null) v = v.add(bias[u0 + u]);
                    v = ActivationVec.apply(act, v);
                }
                v.intoArray(out, o);
            }
    }
}
