package dev.fluvia.backend.cpu;

import java.lang.foreign.MemorySegment;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The Java GEMM's packed copies of transposed right-hand operands — the weights of {@code linearForward} ({@code x·wᵀ}) and
 * of {@code mafInverse}'s per-chunk products — kept between calls, so a weight is packed once per parameter version instead
 * of once per call (per 64-row chunk in {@code mafInverse}, per request when scoring). One per backend, emptied by its close.
 *
 * <p><b>Versions by content.</b> An entry holds a snapshot of the values it was packed from; a call reuses it only when the
 * operand's bytes still equal the snapshot ({@link MemorySegment#mismatch}, a vectorised compare that stops at the first
 * difference). So every write — an optimizer step, a checkpoint load, an upload, a copy, a write through any op or
 * directly into the segment — makes the next call repack, with no invalidation protocol for writers to forget, and a cached
 * product is bit-identical to an uncached one (the panels are the same floats). During training, where a weight changes
 * between uses, the check fails at the first element and the entry's arrays are refilled in place.
 *
 * <p>A read-only operand ({@link CpuBackend#readOnly}: memory its owner never writes again) skips the compare once packed.
 *
 * <p>Bounded: at most {@link #MAX_OPERAND_BYTES} per operand, {@link #MAX_TOTAL_BYTES} in all (least recently used first
 * out) per backend. {@code -Dfluvia.gemm.packCache=false} or {@link CpuGemm#setPackCache} turns it off in every backend
 * (the tests compare both).
 */
final class PackedWeights {
    static final long MAX_OPERAND_BYTES = 4L << 20, MAX_TOTAL_BYTES = 64L << 20;
    static volatile boolean enabled = !"false".equalsIgnoreCase(System.getProperty("fluvia.gemm.packCache", "true").trim());

    /** {@code extent}: the row extents a {@link #rowPanels} packing zeroed past (compared by identity), else null. */
    private record Key(long address, int k, int n, int nr, int[] extent) {}

    private static final class Entry {
        final float[] snapshot;
        final float[][] slices;
        boolean valid; // guarded by this
        Entry(float[] snapshot, float[][] slices) { this.snapshot = snapshot; this.slices = slices; }
        Entry(float[] snapshot, int k, int n, int nr) {
            this.snapshot = snapshot;
            this.slices = new float[slices(k, n)][];
            int i = 0;
            for (int jc = 0; jc < n; jc += Gemm.NC) {
                int strips = (Math.min(Gemm.NC, n - jc) + nr - 1) / nr;
                for (int pc = 0; pc < k; pc += Gemm.KC) slices[i++] = new float[strips * Math.min(Gemm.KC, k - pc) * nr];
            }
        }
        long bytes() { long b = 4L * snapshot.length; for (float[] s : slices) b += 4L * s.length; return b; }
    }

    private final LinkedHashMap<Key, Entry> map = new LinkedHashMap<>(16, 0.75f, true); // guarded by itself
    private long total;
    /** Products that found their operand packed / that packed it (for tests and benchmarks). */
    final java.util.concurrent.atomic.LongAdder hits = new java.util.concurrent.atomic.LongAdder(), packs = new java.util.concurrent.atomic.LongAdder();

    /**
     * The packed slices of op(B) = Bᵀ for B stored {@code [n, k]} (row stride k), one per (N slice, K slice) in
     * {@link Gemm}'s visiting order ({@code (jc / NC) · kSlices + pc / KC}), each laid out as {@link Gemm#packB} writes it;
     * or null when the cache is off or the operand too large.
     */
    float[][] transposed(MemorySegment b, int k, int n, int nr) {
        return packed(b, new Key(b.address(), k, n, nr, null), k * n, () -> new Entry(new float[k * n], k, n, nr), (snapshot, slices) -> {
            MemorySegment snap = MemorySegment.ofArray(snapshot);
            int i = 0;
            for (int jc = 0; jc < n; jc += Gemm.NC) {
                int nc = Math.min(Gemm.NC, n - jc), strips = (nc + nr - 1) / nr;
                for (int pc = 0; pc < k; pc += Gemm.KC, i++) {
                    int kc = Math.min(Gemm.KC, k - pc);
                    for (int s = 0; s < strips; s++) Gemm.packB(snap, true, k, n, pc, kc, jc + s * nr, nr, slices[i], s * kc * nr);
                }
            }
        });
    }

    /**
     * The entry of {@code key} for the operand {@code b} ({@code floats} values), created by {@code fresh} (least recently
     * used entries out past {@link #MAX_TOTAL_BYTES}), and its slices, repacked by {@code pack} from a new snapshot unless
     * the entry is valid and b still equals its snapshot (or is read-only); null when the cache is off or b too large.
     */
    private float[][] packed(MemorySegment b, Key key, int floats, java.util.function.Supplier<Entry> fresh,
                             java.util.function.BiConsumer<float[], float[][]> pack) {
        long bytes = 4L * floats;
        if (!enabled || bytes > MAX_OPERAND_BYTES) return null;
        MemorySegment src = b.asSlice(0, bytes);
        Entry e;
        synchronized (map) {
            e = map.get(key);
            if (e == null) {
                e = fresh.get();
                map.put(key, e);
                total += e.bytes();
                for (Iterator<Map.Entry<Key, Entry>> it = map.entrySet().iterator(); total > MAX_TOTAL_BYTES && it.hasNext(); ) {
                    Map.Entry<Key, Entry> x = it.next();
                    if (x.getValue() == e) continue;
                    total -= x.getValue().bytes();
                    it.remove();
                }
            }
        }
        // validate and (re)pack under the entry's lock: parallel callers with the same operand (mafInverse's chunks) wait
        // for one packing instead of reading panels half rewritten
        synchronized (e) {
            // a read-only operand ({@link CpuBackend#readOnly}) is trusted not to change: no content check
            if (e.valid && (b.isReadOnly() || src.mismatch(MemorySegment.ofArray(e.snapshot)) == -1)) { hits.increment(); return e.slices; }
            packs.increment();
            MemorySegment.copy(src, HostTensor.F, 0, e.snapshot, 0, floats);
            pack.accept(e.snapshot, e.slices);
            e.valid = true;
            return e.slices;
        }
    }

    /** Key marker ({@code nr}) of the row-panel layout of {@link #rowPanels}. */
    private static final int ROW_PANELS = -1;

    /**
     * The weight {@code w} stored {@code [out, in]} as the A operand of {@link GemmVec#kernel}: groups of {@link Gemm#MR}
     * rows, group g's element (r, p) at {@code [g·MR·in + p·MR + r]}, rows past {@code out} zero — what
     * {@link MlpForward} multiplies its feature-major activations by. With {@code extent} (a prefix-sparse weight: row o is
     * used up to column {@code extent[o]} only) the entries past each row's extent are packed as zeros, whatever w holds
     * there; the packing is then cached for that extent array (by identity: a MADE layer passes the same one every call).
     * Cached and validated like {@link #transposed}; null when the cache is off or the operand too large (the caller packs
     * its own copy).
     */
    float[] rowPanels(MemorySegment w, int out, int in, int[] extent) {
        float[][] p = packed(w, new Key(w.address(), in, out, ROW_PANELS, extent), out * in,
                () -> new Entry(new float[out * in], new float[][] {new float[panelFloats(out, in)]}),
                (snapshot, slices) -> packRowPanels(snapshot, out, in, extent, slices[0]));
        return p == null ? null : p[0];
    }

    /** Floats of {@link #rowPanels}' layout for an {@code [out, in]} weight. */
    static int panelFloats(int out, int in) { return ((out + Gemm.MR - 1) / Gemm.MR) * Gemm.MR * in; }

    /** Writes {@link #rowPanels}' layout of {@code w} ({@code [out, in]}, row-major; zeros past {@code extent}, if any) into {@code dst}. */
    static void packRowPanels(float[] w, int out, int in, int[] extent, float[] dst) {
        int groups = (out + Gemm.MR - 1) / Gemm.MR;
        for (int g = 0; g < groups; g++) {
            int base = g * Gemm.MR * in;
            for (int r = 0; r < Gemm.MR; r++) {
                int row = g * Gemm.MR + r;
                int e = row >= out ? 0 : extent == null ? in : extent[row];
                for (int p = 0, src = row * in; p < e; p++) dst[base + p * Gemm.MR + r] = w[src + p];
                for (int p = e; p < in; p++) dst[base + p * Gemm.MR + r] = 0f;
            }
        }
    }

    private static int slices(int k, int n) { return ((k + Gemm.KC - 1) / Gemm.KC) * ((n + Gemm.NC - 1) / Gemm.NC); }

    /** Marks every packing of the operand at {@code b}'s address stale (its owner rewrote a read-only operand). */
    void invalidate(MemorySegment b) {
        java.util.List<Entry> es = new java.util.ArrayList<>();
        synchronized (map) { for (Map.Entry<Key, Entry> x : map.entrySet()) if (x.getKey().address() == b.address()) es.add(x.getValue()); }
        for (Entry e : es) synchronized (e) { e.valid = false; }
    }

    /** Drops every entry (the backend's close). */
    void clear() { synchronized (map) { map.clear(); total = 0; } }
}
