package dev.fluvia.backend.cpu;

import dev.fluvia.backend.Activation;
import dev.fluvia.backend.Backend;
import dev.fluvia.backend.CouplingScale;
import dev.fluvia.backend.OpChecks;
import dev.fluvia.backend.Scope;
import dev.fluvia.backend.coupling.CouplingOps;
import dev.fluvia.backend.coupling.CpuCoupling;
import dev.fluvia.tensor.Index;
import dev.fluvia.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.RecursiveAction;
import java.util.function.IntConsumer;

/**
 * The CPU backend: the reference every kernel is tested against. Work is split over the batch in fixed-size
 * row chunks (independent of the thread count), and every reduction over the batch sums per-chunk partials in
 * chunk order, so results are bit-identical between runs and between thread counts.
 *
 * <p>Hot paths (GEMM, the linear layer's bias/activation epilogue, activation backward, the bias-gradient reduction,
 * Adam, axpy, scale, fill) have Vector API kernels ({@link GemmVec}, {@link VecOps}) next to scalar ones that perform the
 * same float operations in the same order: the two paths agree bit for bit. The vector path is used when the
 * {@code jdk.incubator.vector} module is present and not switched off with {@code -Dfluvia.vector=false}.
 *
 * <p>Memory accounting: {@link #pooledBytesInUse()} is the number of bytes held by tensors of open scopes, and
 * {@link #peakPooledBytes()} its maximum since construction or the last {@link #resetPeak()}.
 */
public final class CpuBackend implements Backend {
    /** Rows per work item. Fixed, so that reductions do not depend on the thread count. */
    public static final int CHUNK = 64;
    private static final double LOG_2PI = Math.log(2 * Math.PI);

    /** Elements per work item of the flat element-wise ops (fixed, like {@link #CHUNK}). */
    static final int FLAT_BLOCK = 1 << 15;

    private final int threads;
    private final boolean vector;
    private final dev.fluvia.blas.Cblas blas; // null: the Java GEMM kernel
    private final ForkJoinPool pool;
    private long bytesInUse, peakBytes; // guarded by free
    private final Map<Long, ArrayDeque<MemorySegment>> free = new HashMap<>();
    private final Arena poolArena = Arena.ofShared();
    private final ThreadLocal<ArrayDeque<CpuScope>> scopes = ThreadLocal.withInitial(ArrayDeque::new);

    /** One worker per available processor; vector kernels unless switched off (see the class comment). */
    public CpuBackend() { this(Runtime.getRuntime().availableProcessors()); }

    /** {@code threads} workers; vector kernels unless switched off (see the class comment). */
    public CpuBackend(int threads) { this(threads, Simd.enabledByDefault()); }

    /**
     * @param threads worker threads (1 = run on the calling thread)
     * @param vector  use the Vector API kernels; ignored (scalar) when the {@code jdk.incubator.vector} module is absent
     */
    public CpuBackend(int threads, boolean vector) { this(threads, vector, CpuGemm.defaultChoice()); }

    /** As {@link #CpuBackend(int, boolean)} with the GEMM chosen: {@code auto}, {@code openblas} or {@code java} (see {@link CpuGemm}). */
    public CpuBackend(int threads, boolean vector, String gemm) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        this.threads = threads;
        this.vector = vector && Simd.AVAILABLE;
        this.blas = CpuGemm.resolve(gemm);
        this.pool = threads == 1 ? null : new ForkJoinPool(threads);
    }

    private final PackedWeights packedWeights = new PackedWeights();
    /** The Java GEMM's packed-weight cache of this backend. */
    PackedWeights packedWeights() { return packedWeights; }

    /** The host BLAS this backend's GEMM runs on, or null for the Java kernel. */
    dev.fluvia.blas.Cblas blas() { return blas; }

    /** Which GEMM this backend runs, in words (the CLI's {@code info} prints it). */
    public String gemm() { return Gemm.describe(this); }

    @Override public String name() { return "cpu"; }

    // ------------------------------------------------------------------ the op families

    private final CpuCoupling coupling = new CpuCoupling(this);
    @Override public CouplingOps coupling() { return coupling; }
    private final dev.fluvia.backend.elementwise.CpuElementwise elementwise = new dev.fluvia.backend.elementwise.CpuElementwise(this);
    @Override public dev.fluvia.backend.elementwise.ElementwiseOps elementwise() { return elementwise; }
    private final dev.fluvia.backend.conv.CpuConv conv = new dev.fluvia.backend.conv.CpuConv(this);
    @Override public dev.fluvia.backend.conv.ConvOps conv() { return conv; }
    private final dev.fluvia.backend.image.CpuImage image = new dev.fluvia.backend.image.CpuImage(this);
    @Override public dev.fluvia.backend.image.ImageOps image() { return image; }
    private final dev.fluvia.backend.dense.CpuDense dense = new dev.fluvia.backend.dense.CpuDense(this);
    @Override public dev.fluvia.backend.dense.DenseOps dense() { return dense; }
    private final dev.fluvia.backend.dist.CpuDist dist = new dev.fluvia.backend.dist.CpuDist(this);
    @Override public dev.fluvia.backend.dist.DistOps dist() { return dist; }
    private final dev.fluvia.backend.reduce.CpuReduce reduce = new dev.fluvia.backend.reduce.CpuReduce(this);
    @Override public dev.fluvia.backend.reduce.ReduceOps reduce() { return reduce; }
    private final dev.fluvia.backend.optim.CpuOptim optim = new dev.fluvia.backend.optim.CpuOptim(this);
    @Override public dev.fluvia.backend.optim.OptimOps optim() { return optim; }
    private final dev.fluvia.backend.maf.CpuMaf maf = new dev.fluvia.backend.maf.CpuMaf(this);
    @Override public dev.fluvia.backend.maf.MafOps maf() { return maf; }
    private final dev.fluvia.backend.lu.CpuLu lu = new dev.fluvia.backend.lu.CpuLu(this);
    @Override public dev.fluvia.backend.lu.LuOps lu() { return lu; }
    private final dev.fluvia.backend.actnorm.CpuActnorm actnorm = new dev.fluvia.backend.actnorm.CpuActnorm(this);
    @Override public dev.fluvia.backend.actnorm.ActnormOps actnorm() { return actnorm; }
    private final dev.fluvia.backend.spline.CpuSpline spline = new dev.fluvia.backend.spline.CpuSpline(this);
    @Override public dev.fluvia.backend.spline.SplineOps spline() { return spline; }
    private final dev.fluvia.backend.residual.CpuResidual residual = new dev.fluvia.backend.residual.CpuResidual(this);
    @Override public dev.fluvia.backend.residual.ResidualOps residual() { return residual; }
    private final dev.fluvia.backend.pointwise.CpuPointwise pointwise = new dev.fluvia.backend.pointwise.CpuPointwise(this);
    @Override public dev.fluvia.backend.pointwise.PointwiseOps pointwise() { return pointwise; }
    @Override public int threads() { return threads; }

    /** True when this backend runs its Vector API kernels, false on the scalar path. */
    public boolean vectorized() { return vector; }

    /** True when the Vector API module is present in this JVM (the vector path can be used). */
    public static boolean vectorApiAvailable() { return Simd.AVAILABLE; }

    // ------------------------------------------------------------------ memory accounting

    /** Bytes currently held by tensors allocated in open scopes (pooled allocations not yet returned to the pool). */
    public long pooledBytesInUse() { synchronized (free) { return bytesInUse; } }

    /** The largest value {@link #pooledBytesInUse()} has reached since construction or the last {@link #resetPeak()}. */
    public long peakPooledBytes() { synchronized (free) { return peakBytes; } }

    /** Restarts peak tracking from the current in-use figure. */
    public void resetPeak() { synchronized (free) { peakBytes = bytesInUse; } }

    /** Returns a segment to the free list; caller holds the lock on {@code free}. */
    private void giveBack(MemorySegment seg) {
        free.computeIfAbsent(seg.byteSize(), k -> new ArrayDeque<>()).push(seg);
        bytesInUse -= seg.byteSize();
    }

    /**
     * Scratch memory for one work item of an op, taken from the pool's free lists (or the backend's shared arena), so any
     * worker thread may touch it; return it with {@link #returnScratch}. Contents are undefined. Not counted in
     * {@link #pooledBytesInUse()} (that figure is about tensors).
     */
    public MemorySegment takeScratch(long bytes) {
        long b = Math.max(4, bytes);
        synchronized (free) {
            ArrayDeque<MemorySegment> q = free.get(b);
            MemorySegment seg = q == null ? null : q.poll();
            if (seg != null) return seg;
        }
        return poolArena.allocate(b, 64);
    }

    /** Gives back a segment from {@link #takeScratch}; it is reused by later scratch and tensor allocations. */
    public void returnScratch(MemorySegment seg) {
        synchronized (free) { free.computeIfAbsent(seg.byteSize(), k -> new ArrayDeque<>()).push(seg); }
    }

    // ------------------------------------------------------------------ memory

    private final class CpuScope implements Scope {
        final java.util.Set<HostTensor> owned = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        boolean closed;
        @Override public void close() {
            if (closed) return;
            closed = true;
            ArrayDeque<CpuScope> st = scopes.get();
            if (st.peek() != this) throw new IllegalStateException("scopes must be closed in the reverse order of opening");
            st.pop();
            synchronized (free) {
                for (HostTensor t : owned) giveBack(t.seg);
            }
        }

        @Override public Tensor keep(Tensor t) {
            HostTensor ht = h(t);
            if (owned.remove(ht)) {
                ArrayDeque<CpuScope> st = scopes.get();
                CpuScope parent = null;
                boolean seen = false;
                for (CpuScope s : st) { if (seen) { parent = s; break; } if (s == this) seen = true; }
                if (parent != null) parent.owned.add(ht);
                else { MemorySegment own = Arena.ofAuto().allocate(ht.seg.byteSize(), 64); MemorySegment.copy(ht.seg, 0, own, 0, own.byteSize());
                       synchronized (free) { giveBack(ht.seg); }
                       return new HostTensor(own, t.shape()); }
            }
            return t;
        }
    }

    @Override public void release(Tensor t) {
        HostTensor ht = h(t);
        for (CpuScope s : scopes.get()) {
            if (s.owned.remove(ht)) {
                synchronized (free) { giveBack(ht.seg); }
                return;
            }
        }
    }

    @Override public Scope scope() {
        CpuScope s = new CpuScope();
        scopes.get().push(s);
        return s;
    }

    @Override public Tensor alloc(int... shape) { return allocate(true, shape); }

    /**
     * A tensor with undefined contents ({@link Backend#allocUninitialized}): inside a scope a reused pooled segment is
     * handed out without the zero fill (a fresh one comes zeroed from the arena); with {@link #poisonUninitialized} set
     * it is filled with NaN instead, so a reader of an element the op did not write shows up.
     */
    @Override public Tensor allocUninitialized(int... shape) { return allocate(false, shape); }

    private volatile boolean poison;

    /**
     * Test hook: when on, every {@link #allocUninitialized} tensor is filled with NaN (bits {@code 0xffffffff}),
     * so a test can check that whatever follows such an allocation overwrites every element (its results must equal
     * those of the zero-filled run bit for bit). Off by default; costs a fill per allocation when on.
     */
    public void poisonUninitialized(boolean on) { poison = on; }

    private Tensor allocate(boolean zero, int... shape) {
        long n = 1;
        for (int s : shape) n *= s;
        long bytes = Math.max(4, n * 4);
        CpuScope sc = scopes.get().peek();
        if (sc == null) {
            MemorySegment own = Arena.ofAuto().allocate(bytes, 64);
            if (!zero && poison) own.fill((byte) 0xff); // 0xffffffff: a float NaN
            return new HostTensor(own, shape);
        }
        MemorySegment seg;
        synchronized (free) {
            ArrayDeque<MemorySegment> q = free.get(bytes);
            seg = q == null ? null : q.poll();
            bytesInUse += bytes;
            peakBytes = Math.max(peakBytes, bytesInUse);
        }
        if (seg == null) seg = poolArena.allocate(bytes, 64);
        else if (zero) seg.fill((byte) 0);
        if (!zero && poison) seg.fill((byte) 0xff); // 0xffffffff: a float NaN
        HostTensor t = new HostTensor(seg, shape);
        sc.owned.add(t);
        return t;
    }

    /**
     * A tensor over the caller's memory, no copy: {@code seg} must hold at least numel·4 bytes, be 4-byte aligned, and be
     * readable from any thread (a global, automatic or shared arena, or a heap segment): the backend's worker threads read it.
     * The tensor is valid as long as the segment is; the backend never frees it.
     */
    public Tensor wrap(MemorySegment seg, int... shape) {
        long n = 1;
        for (int d : shape) {
            if (d < 0) throw new dev.fluvia.FluviaException.ShapeException("wrap: negative extent in " + java.util.Arrays.toString(shape));
            n = Math.multiplyExact(n, (long) d);
        }
        if (seg.byteSize() < n * 4)
            throw new dev.fluvia.FluviaException.ShapeException("wrap: the segment holds " + seg.byteSize() + " bytes, shape "
                    + java.util.Arrays.toString(shape) + " needs " + n * 4);
        String why = whyNotWrappable(seg);
        if (why != null) throw new IllegalArgumentException("wrap: " + why);
        return new HostTensor(seg.asSlice(0, n * 4), shape);
    }

    /** Whether {@link #wrap} accepts the segment (float-aligned, readable from the backend's worker threads). */
    public static boolean wrappable(MemorySegment seg) { return whyNotWrappable(seg) == null; }

    private static String whyNotWrappable(MemorySegment seg) {
        if (!seg.isNative()) return seg.heapBase().orElse(null) instanceof float[] ? null : "a heap segment must be backed by a float[]";
        if (seg.address() % 4 != 0) return "the segment's address is not 4-byte aligned";
        if (!seg.isAccessibleBy(OTHER_THREAD)) return "the segment is confined to one thread (Arena.ofConfined); the backend's worker "
                + "threads must read it: use Arena.ofShared(), ofAuto() or global()";
        return null;
    }

    /** A thread other than the caller's, for confinement checks (never started). */
    private static final Thread OTHER_THREAD = Thread.ofPlatform().unstarted(() -> {});

    /** The host tensor behind {@code t} (an op family's CPU body reads and writes its segment). */
    public static HostTensor h(Tensor t) {
        if (t instanceof HostTensor ht) return ht;
        throw new IllegalArgumentException("the CPU backend was given a tensor of another backend: " + t);
    }

    public static int[] ix(Index i) { return i.raw(); }

    @Override public void upload(float[] src, Tensor dst) {
        OpChecks.upload(src, dst);
        MemorySegment.copy(src, 0, h(dst).seg, HostTensor.F, 0, src.length);
    }

    @Override public float[] toHost(Tensor t) {
        float[] out = new float[OpChecks.toHost(t)];
        MemorySegment.copy(h(t).seg, HostTensor.F, 0, out, 0, out.length);
        return out;
    }

    @Override public Index index(int[] values) { return new HostIndex(values); }

    @Override public void copy(Tensor src, Tensor dst) {
        OpChecks.copy(src, dst);
        MemorySegment.copy(h(src).seg, 0, h(dst).seg, 0, src.numel() * 4);
    }

    @Override public void fill(Tensor t, float value) { elementwise.fill(t, value); }

    @Override public void synchronize() {}

    private volatile boolean closed;

    /**
     * Stops the worker threads and frees the backend's pooled memory (every tensor allocated inside a scope, every scratch
     * block): tensors of this backend must not be used afterwards. Tensors allocated outside any scope live in automatic
     * arenas and are freed when unreachable. Idempotent.
     */
    @Override public void close() {
        if (closed) return;
        closed = true;
        packedWeights.clear();
        if (pool != null) {
            pool.shutdown();
            try {
                pool.awaitTermination(30, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        synchronized (free) { free.clear(); }
        poolArena.close();
    }

    // ------------------------------------------------------------------ parallel helpers

    /**
     * Work (element operations) below which a chunked loop runs on the calling thread: forking costs microseconds, and
     * the small ops of small flows would spend more time handing out chunks than computing them. Results do not depend on
     * it — the chunks and their order are the same either way.
     */
    static final long PAR_MIN_WORK = 1 << 16;
    /** Cost of a transcendental element op (tanh, exp) relative to a multiply-add, for {@link #PAR_MIN_WORK}. */
    public static final long TRANSCENDENTAL = 16;

    /** Runs body(chunk) for chunks 0..nChunks-1, on the pool when {@code work} (element operations) is worth it. */
    public void forChunks(int nChunks, long work, IntConsumer body) {
        if (work < PAR_MIN_WORK) {
            for (int c = 0; c < nChunks; c++) body.accept(c);
            return;
        }
        forChunks(nChunks, body);
    }

    /**
     * Runs body(chunk) for chunks 0..nChunks-1 on {@link #threads()} threads. A caller outside the pool takes chunks itself,
     * beside {@code threads − 1} pool workers, from one shared counter: it starts at once instead of waking the pool and
     * sleeping until the work is done (measured: with the caller idle, a 4096-row RealNVP batch ran slower on 2 threads than
     * on 1 — each of its ~40 ops paid two thread hand-offs). A pool worker (a nested call) splits the range by work stealing.
     * Which thread runs a chunk does not change any result: chunks are independent and reductions are combined in chunk
     * order.
     */
    public void forChunks(int nChunks, IntConsumer body) {
        if (pool == null || nChunks <= 1) {
            for (int c = 0; c < nChunks; c++) body.accept(c);
            return;
        }
        if (!java.util.concurrent.ForkJoinTask.inForkJoinPool()) { callerRuns(nChunks, body); return; }
        pool.invoke(new RecursiveAction() {
            @Override protected void compute() { split(0, nChunks); }
            void split(int lo, int hi) {
                if (hi - lo <= 1) { body.accept(lo); return; }
                int mid = (lo + hi) >>> 1;
                invokeAll(new RecursiveAction() { @Override protected void compute() { split(lo, mid); } },
                          new RecursiveAction() { @Override protected void compute() { split(mid, hi); } });
            }
        });
    }

    /** {@link #forChunks} from outside the pool: the caller and up to {@code threads − 1} workers take chunks in turn. */
    private void callerRuns(int nChunks, IntConsumer body) {
        java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();
        Runnable loop = () -> { for (int c; (c = next.getAndIncrement()) < nChunks; ) body.accept(c); };
        int helpers = Math.min(threads - 1, nChunks - 1);
        java.util.concurrent.ForkJoinTask<?>[] hs = new java.util.concurrent.ForkJoinTask<?>[helpers];
        for (int i = 0; i < helpers; i++) hs[i] = pool.submit(loop);
        Throwable err = null;
        try {
            loop.run();
        } catch (Throwable t) {
            err = t;
            next.set(nChunks); // the helpers take no further chunk
        }
        for (java.util.concurrent.ForkJoinTask<?> h : hs) {
            try {
                h.join();
            } catch (Throwable t) {
                if (err == null) err = t;
                else if (err != t) err.addSuppressed(t);
            }
        }
        if (err instanceof RuntimeException re) throw re;
        if (err instanceof Error e) throw e;
        if (err != null) throw new IllegalStateException(err);
    }

    /** Runs body(rowStart, rowEnd) over [0, n) in CHUNK-row pieces; {@code work} = element operations in all. */
    public void forRows(int n, long work, RowBody body) {
        int chunks = (n + CHUNK - 1) / CHUNK;
        forChunks(chunks, work, c -> body.run(c * CHUNK, Math.min(n, (c + 1) * CHUNK)));
    }

    @FunctionalInterface public interface RowBody { void run(int lo, int hi); }

    /** Runs body(lo, hi) over [0, n) in {@link #FLAT_BLOCK}-element pieces (parallel when there are several). */
    public void forFlat(long n, FlatBody body) {
        int chunks = (int) ((n + FLAT_BLOCK - 1) / FLAT_BLOCK);
        forChunks(chunks, n, c -> body.run((long) c * FLAT_BLOCK, Math.min(n, (long) (c + 1) * FLAT_BLOCK)));
    }

    @FunctionalInterface public interface FlatBody { void run(long lo, long hi); }

    /** Reduces over rows into a float64 accumulator of length len: per-chunk partials, summed in chunk order ({@code work} as in {@link #forRows}). */
    public double[] reduceRows(int n, int len, long work, ChunkReducer r) {
        int chunks = (n + CHUNK - 1) / CHUNK;
        double[][] parts = new double[chunks][len];
        forChunks(chunks, work, c -> r.run(c * CHUNK, Math.min(n, (c + 1) * CHUNK), parts[c]));
        double[] acc = new double[len];
        for (double[] p : parts) for (int i = 0; i < len; i++) acc[i] += p[i];
        return acc;
    }

    @FunctionalInterface public interface ChunkReducer { void run(int lo, int hi, double[] acc); }

    private static float get(MemorySegment s, long i) { return s.getAtIndex(HostTensor.F, i); }
    private static void set(MemorySegment s, long i, float v) { s.setAtIndex(HostTensor.F, i, v); }

    // ------------------------------------------------------------------ GEMM for the op families

    /**
     * C = alpha·op(A)·op(B) + beta·C on raw row-major segments (the blocked, vectorised GEMM of this backend), with an optional
     * fused epilogue {@code pre = C + bias}, {@code C = act(pre)} ({@code bias}, {@code act} and {@code pre} null for none).
     */
    public void gemmSegments(boolean ta, boolean tb, int m, int n, int k, float alpha, MemorySegment a, MemorySegment b, float beta, MemorySegment c,
                     MemorySegment bias, Activation act, MemorySegment pre) {
        Gemm.Epilogue ep = act == null && bias == null && pre == null ? null : new Gemm.Epilogue(bias, act == null ? Activation.IDENTITY : act, pre);
        Gemm.gemm(this, ta, tb, m, n, k, alpha, a, b, beta, c, ep);
    }

    // ------------------------------------------------------------------ dense

    // ------------------------------------------------------------------ gather / scatter

    // ------------------------------------------------------------------ couplings

    // ------------------------------------------------------------------ actnorm

    private static int hw(Tensor x) { return OpChecks.planeSize(x); }

    // ------------------------------------------------------------------ LU

    // ------------------------------------------------------------------ parameter-only log-det terms

    // ------------------------------------------------------------------ MAF

    // ------------------------------------------------------------------ distributions and reductions

    // ------------------------------------------------------------------ element-wise

    @Override public void randomNormal(Tensor t, long seed, float std) {
        SplittableRandom rng = new SplittableRandom(seed);
        MemorySegment m = h(t).seg;
        for (long i = 0, n = t.numel(); i < n; i++) set(m, i, (float) (gaussian(rng) * std));
    }

    /** 1 − SplittableRandom.nextDouble() in float32: (0, 1], the same numbers on every JVM for a seed. */
    @Override public void randomUniform(Tensor t, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        MemorySegment m = h(t).seg;
        for (long i = 0, n = t.numel(); i < n; i++) set(m, i, (float) (1 - rng.nextDouble()));
    }

    /** Standard normal by Box–Muller on SplittableRandom: same numbers on every JVM for a seed. */
    public static double gaussian(SplittableRandom r) {
        double u1 = r.nextDouble(), u2 = r.nextDouble();
        if (u1 < 1e-300) u1 = 1e-300;
        return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }

    // ------------------------------------------------------------------ optimizers

    // ------------------------------------------------------------------ views

    /**
     * A read-only view of a tensor (writes through it throw). The Java GEMM trusts such an operand not to change: its
     * packed-weight cache ({@link PackedWeights}) skips the content check for it, and few-row products against it take the
     * Java few-row path under either GEMM choice. For weights whose memory the caller never writes again through any other
     * view (a scoring-only model's folded MADE weights).
     */
    public Tensor readOnly(Tensor t) {
        return new HostTensor(h(t).seg.asReadOnly(), t.shape());
    }

    @Override public Tensor view(Tensor t, int... shape) {
        OpChecks.view(t, shape);
        return new HostTensor(h(t).seg, shape);
    }
}
