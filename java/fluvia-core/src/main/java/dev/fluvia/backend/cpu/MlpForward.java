package dev.fluvia.backend.cpu;

import dev.fluvia.backend.Activation;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;

/**
 * The CPU body of {@code DenseOps.mlpForward}: every layer of an MLP run on one block of {@link #RB} rows before the next
 * block, so the {@code [N, hidden]} activations never leave the cache.
 *
 * <p><b>Feature-major blocks.</b> A block's activations are held transposed, element (unit k, row r) at {@code k·RB + r}:
 * one unit's values for the block's rows fill two vectors. Layer {@code out = act(W·in + b)} is then a GEMM whose A operand
 * is the weight ({@link PackedWeights#rowPanels}: six units per panel, packed once per weight version) and whose B operand is
 * the block itself, already in the layout of a packed B panel ({@code kc × NR}, NR = RB). {@link GemmVec#kernel} computes
 * six units × RB rows per call. A narrow layer costs its width rounded up to six units, not to a 32-wide strip, so a
 * conditioner's {@code 64 → 2} output layer wastes four units, and a {@code 1 → 64} input layer is 11 one-step kernels.
 *
 * <p><b>Bits.</b> Each element is the chain {@code Σ_p fma(x[p], w[p])} over the K slices of {@link Gemm#KC} in order from
 * zero, slices added as {@code c + acc}, then {@code + bias}, then the activation: the operations of the Java GEMM's
 * {@code linearForward}, so the output equals the chain of {@code linearForward} calls under the Java kernel bit for bit,
 * and does not depend on the thread count or on how rows are cut into blocks.
 */
public final class MlpForward {
    private MlpForward() {}

    /** Rows per block: the micro-tile's width ({@link GemmVec#NR}, two vectors). */
    static final int RB = GemmVec.NR;
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
                block(s, lo, Math.min(RB, n - lo), dims, x, panels, bias, groupExt, act, y);
            }
        });
    }

    /** Rows {@code [lo, lo + rows)} through every layer. */
    private static void block(Scratch s, int lo, int rows, int[] dims, MemorySegment x, float[][] panels, float[][] bias,
                              int[][] groupExt, Activation act, MemorySegment y) {
        float[] in = s.a, out = s.b, tile = s.tile;
        int d0 = dims[0];
        float[] rm = s.rowMajor; // the block's rows as stored (one bulk copy each way), transposed on the heap
        if (d0 == 1) MemorySegment.copy(x, HostTensor.F, 4L * lo, in, 0, rows);
        else {
            MemorySegment.copy(x, HostTensor.F, 4L * lo * d0, rm, 0, rows * d0);
            for (int r = 0; r < rows; r++) for (int k = 0; k < d0; k++) in[k * RB + r] = rm[r * d0 + k];
        }
        if (rows < RB) for (int k = 0; k < d0; k++) java.util.Arrays.fill(in, k * RB + rows, (k + 1) * RB, 0f);
        int layers = dims.length - 1;
        for (int i = 0; i < layers; i++) {
            int kin = dims[i], kout = dims[i + 1], groups = (kout + MR - 1) / MR;
            Activation a = i + 1 == layers ? Activation.IDENTITY : act;
            float[] p = panels[i], bi = bias[i];
            int[] ge = groupExt[i];
            if (kin <= NARROW_K && ge == null) { narrowLayer(kin, kout, p, in, out, bi, a); float[] t = in; in = out; out = t; continue; }
            for (int g = 0; g < groups; g++) {
                int units = Math.min(MR, kout - g * MR), ao = g * MR * kin, k = ge == null ? kin : ge[g];
                if (k == 0) { // every unit of the panel has extent 0: act(bias)
                    java.util.Arrays.fill(tile, 0f);
                    writeBack(tile, out, g * MR, units, true, true, bi, a);
                    continue;
                }
                for (int p0 = 0; p0 < k; p0 += Gemm.KC) {
                    int kc = Math.min(Gemm.KC, k - p0);
                    GemmVec.kernel(kc, p, ao + p0 * MR, in, p0 * RB, tile);
                    writeBack(tile, out, g * MR, units, p0 == 0, p0 + kc >= k, bi, a);
                }
            }
            float[] t = in; in = out; out = t;
        }
        int dl = dims[layers];
        if (dl == 1) { MemorySegment.copy(in, 0, y, HostTensor.F, 4L * lo, rows); return; }
        for (int u = 0; u < dl; u++) for (int r = 0, src = u * RB; r < rows; r++) rm[r * dl + u] = in[src + r];
        MemorySegment.copy(rm, 0, y, HostTensor.F, 4L * lo * dl, rows * dl);
    }

    /** Inputs up to which a layer skips the micro-kernel ({@link #narrowLayer}): a coupling's first layer has 1–4. */
    static final int NARROW_K = 4;

    /**
     * A layer of at most {@link #NARROW_K} inputs, unit by unit straight from the packed panels: {@code acc = Σ_p fma(w[u, p],
     * in[p])} from a zero accumulator, then bias and activation — the micro-kernel's chain and write-back for one slice, without
     * its register tile (for K = 1 the kernel's setup, tile store and reload cost more than its FMAs).
     */
    private static void narrowLayer(int kin, int kout, float[] p, float[] in, float[] out, float[] bias, Activation act) {
        FloatVector zero = FloatVector.zero(GemmVec.S);
        FloatVector x00 = FloatVector.fromArray(GemmVec.S, in, 0), x01 = FloatVector.fromArray(GemmVec.S, in, L);
        for (int u = 0; u < kout; u++) {
            int g = u / MR, r = u - g * MR, ao = g * MR * kin + r;
            FloatVector w = FloatVector.broadcast(GemmVec.S, p[ao]);
            FloatVector v0 = w.fma(x00, zero), v1 = w.fma(x01, zero);
            for (int q = 1; q < kin; q++) {
                w = FloatVector.broadcast(GemmVec.S, p[ao + q * MR]);
                v0 = w.fma(FloatVector.fromArray(GemmVec.S, in, q * RB), v0);
                v1 = w.fma(FloatVector.fromArray(GemmVec.S, in, q * RB + L), v1);
            }
            if (bias != null) { float bb = bias[u]; v0 = v0.add(bb); v1 = v1.add(bb); }
            switch (act) {
                case RELU -> { v0 = GemmVec.relu(v0); v1 = GemmVec.relu(v1); }
                case TANH -> { v0 = ActivationVec.tanh(v0); v1 = ActivationVec.tanh(v1); }
                default -> { }
            }
            v0.intoArray(out, u * RB);
            v1.intoArray(out, u * RB + L);
        }
    }

    /**
     * Units {@code [u0, u0 + units)} of one K slice's raw sums ({@code tile}, unit-major, RB wide) into {@code out}:
     * {@code v = acc} on the first slice, {@code v = out + acc} on later ones, and on the last {@code v = act(v + bias)} —
     * {@link GemmVec}'s write-back rule with alpha = 1, beta = 0.
     */
    private static void writeBack(float[] tile, float[] out, int u0, int units, boolean first, boolean last, float[] bias,
                                  Activation act) {
        for (int u = 0; u < units; u++) {
            int t = u * RB, o = (u0 + u) * RB;
            FloatVector v0 = FloatVector.fromArray(GemmVec.S, tile, t), v1 = FloatVector.fromArray(GemmVec.S, tile, t + L);
            if (!first) {
                v0 = FloatVector.fromArray(GemmVec.S, out, o).add(v0);
                v1 = FloatVector.fromArray(GemmVec.S, out, o + L).add(v1);
            }
            if (last) {
                if (bias != null) { float bb = bias[u0 + u]; v0 = v0.add(bb); v1 = v1.add(bb); }
                switch (act) {
                    case RELU -> { v0 = GemmVec.relu(v0); v1 = GemmVec.relu(v1); }
                    case TANH -> { v0 = ActivationVec.tanh(v0); v1 = ActivationVec.tanh(v1); }
                    default -> { }
                }
            }
            v0.intoArray(out, o);
            v1.intoArray(out, o + L);
        }
    }
}
