package dev.fluvia.backend.cuda;

import static dev.fluvia.tensor.Shapes.rank;
import static dev.fluvia.tensor.Shapes.require;
import static jcuda.driver.JCudaDriver.*;

import dev.fluvia.FluviaException.BackendUnavailableException;
import dev.fluvia.backend.Activation;
import dev.fluvia.backend.Backend;
import dev.fluvia.backend.CouplingScale;
import dev.fluvia.backend.OpChecks;
import dev.fluvia.backend.Scope;
import dev.fluvia.backend.coupling.CouplingOps;
import dev.fluvia.backend.coupling.CudaCoupling;
import dev.fluvia.cuda.Cublas;
import dev.fluvia.cuda.Curand;
import dev.fluvia.cuda.NativeLibrary;
import dev.fluvia.tensor.Index;
import dev.fluvia.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.ref.Cleaner;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import jcuda.Pointer;
import jcuda.driver.CUevent;
import jcuda.driver.CUgraph;
import jcuda.driver.CUgraphExec;

/**
 * The CUDA backend: every op of {@link Backend} as one kernel of {@code kernels/*.cu} (or a cuBLAS call plus an epilogue
 * kernel), with the same names and semantics as {@link dev.fluvia.backend.cpu.CpuBackend} and the
 * same argument checks ({@link dev.fluvia.backend.OpChecks}, plus the few the kernels alone need).
 *
 * <ul>
 *   <li>Memory: {@link DeviceTensor}s come from a caching allocator (no cuMemAlloc per step once warm); scopes behave as
 *       on the CPU; a tensor allocated outside any scope returns its block to the pool when it is garbage collected.</li>
 *   <li>Streams: all kernels and cuBLAS/cuRAND calls run on one compute stream (so ops are ordered without events);
 *       host↔device copies run on a copy stream through a pinned staging buffer, ordered against the compute stream with events.</li>
 *   <li>Numerics: cuBLAS with {@link Cublas#CUBLAS_DEFAULT_MATH} (no TF32) unless {@code -Dfluvia.cublas.math=pedantic|tf32};
 *       reductions are deterministic (fixed-order per-block partials, no float atomics).</li>
 * </ul>
 * Create through {@link dev.fluvia.backend.Backends#create}; {@link #probe()} says what is missing without touching the driver
 * when libcuda is absent.
 */
public final class CudaBackend implements Backend {
    private static final int THREADS = CudaRuntime.THREADS, CHUNK = 64;
    private static final Cleaner CLEANER = Cleaner.create();

    private final CudaRuntime rt;
    private final DeviceAllocator pool = new DeviceAllocator();
    private final Cublas cublas;
    private final MemorySegment cublasHandle;
    private final Curand curand;
    private MemorySegment generator;
    private final ThreadLocal<ArrayDeque<CudaScope>> scopes = ThreadLocal.withInitial(ArrayDeque::new);
    private CudaTransfers transfers;
    private volatile boolean capturing;
    private boolean closed;

    // ------------------------------------------------------------------ probe and construction

    /**
     * Checks every piece the backend needs (libcuda, a driver for CUDA 13, a device of compute capability 8.0 or higher, the
     * fatbin, cuBLAS, cuRAND) without ever crashing the JVM.
     */
    public static CudaStatus probe() { return CudaProbe.probe(); }

    /**
     * Creates the backend on device 0, or throws {@link BackendUnavailableException} naming the missing piece — also when a
     * driver or library call fails while starting (the exception's cause is that error; nothing created so far is leaked).
     */
    public static CudaBackend create() {
        CudaStatus s = probe();
        if (!s.available()) throw new BackendUnavailableException("CUDA backend unavailable (missing: " + s.missing() + ")\n" + s.report());
        try {
            return new CudaBackend();
        } catch (BackendUnavailableException e) {
            throw e;
        } catch (RuntimeException | LinkageError e) {  // jcuda.CudaException, CudaLibraryException, UnsatisfiedLinkError, ...
            throw new BackendUnavailableException("CUDA backend failed to start: " + e.getClass().getSimpleName() + ": " + e.getMessage(), e);
        }
    }

    private CudaBackend() {
        CudaRuntime r = new CudaRuntime();  // releases what it created itself when it fails
        Cublas cb = null;
        MemorySegment handle = null;
        try {
            cb = Cublas.load();
            handle = cb.create();
            cb.setStream(handle, r.compute.handle());
            String math = System.getProperty("fluvia.cublas.math", "default");
            cb.setMathMode(handle, switch (math) {
                case "pedantic" -> Cublas.CUBLAS_PEDANTIC_MATH;
                case "tf32" -> Cublas.CUBLAS_TF32_TENSOR_OP_MATH;
                default -> Cublas.CUBLAS_DEFAULT_MATH;
            });
            curand = Curand.load();
        } catch (RuntimeException | Error e) {
            if (handle != null) {
                try { cb.destroy(handle); } catch (RuntimeException | Error x) { e.addSuppressed(x); }
            }
            r.closeAfterFailure(e);
            throw e;
        }
        rt = r;
        cublas = cb;
        cublasHandle = handle;
        transfers = new CudaTransfers(r);
        cx = new CudaContext(this, r);
        coupling = new CudaCoupling(cx);
        elementwise = new dev.fluvia.backend.elementwise.CudaElementwise(cx);
        conv = new dev.fluvia.backend.conv.CudaConv(cx);
        image = new dev.fluvia.backend.image.CudaImage(cx);
        reduce = new dev.fluvia.backend.reduce.CudaReduce(cx);
        dist = new dev.fluvia.backend.dist.CudaDist(cx, reduce);
        dense = new dev.fluvia.backend.dense.CudaDense(cx, reduce);
        optim = new dev.fluvia.backend.optim.CudaOptim(cx);
        maf = new dev.fluvia.backend.maf.CudaMaf(cx);
        lu = new dev.fluvia.backend.lu.CudaLu(cx);
        actnorm = new dev.fluvia.backend.actnorm.CudaActnorm(cx);
        spline = new dev.fluvia.backend.spline.CudaSpline(cx);
        residual = new dev.fluvia.backend.residual.CudaResidual(cx);
        pointwise = new dev.fluvia.backend.pointwise.CudaPointwise(cx, reduce);
    }

    @Override public String name() { return "cuda"; }

    // ------------------------------------------------------------------ the op families

    private final CudaContext cx;
    private final CudaCoupling coupling;
    @Override public CouplingOps coupling() { return coupling; }
    private final dev.fluvia.backend.elementwise.CudaElementwise elementwise;
    @Override public dev.fluvia.backend.elementwise.ElementwiseOps elementwise() { return elementwise; }
    private final dev.fluvia.backend.conv.CudaConv conv;
    @Override public dev.fluvia.backend.conv.ConvOps conv() { return conv; }
    private final dev.fluvia.backend.image.CudaImage image;
    @Override public dev.fluvia.backend.image.ImageOps image() { return image; }
    private final dev.fluvia.backend.dense.CudaDense dense;
    @Override public dev.fluvia.backend.dense.DenseOps dense() { return dense; }
    private final dev.fluvia.backend.dist.CudaDist dist;
    @Override public dev.fluvia.backend.dist.DistOps dist() { return dist; }
    private final dev.fluvia.backend.reduce.CudaReduce reduce;
    @Override public dev.fluvia.backend.reduce.ReduceOps reduce() { return reduce; }
    private final dev.fluvia.backend.optim.CudaOptim optim;
    @Override public dev.fluvia.backend.optim.OptimOps optim() { return optim; }
    private final dev.fluvia.backend.maf.CudaMaf maf;
    @Override public dev.fluvia.backend.maf.MafOps maf() { return maf; }
    private final dev.fluvia.backend.lu.CudaLu lu;
    @Override public dev.fluvia.backend.lu.LuOps lu() { return lu; }
    private final dev.fluvia.backend.actnorm.CudaActnorm actnorm;
    @Override public dev.fluvia.backend.actnorm.ActnormOps actnorm() { return actnorm; }
    private final dev.fluvia.backend.spline.CudaSpline spline;
    @Override public dev.fluvia.backend.spline.SplineOps spline() { return spline; }
    private final dev.fluvia.backend.residual.CudaResidual residual;
    @Override public dev.fluvia.backend.residual.ResidualOps residual() { return residual; }
    private final dev.fluvia.backend.pointwise.CudaPointwise pointwise;
    @Override public dev.fluvia.backend.pointwise.PointwiseOps pointwise() { return pointwise; }
    @Override public int threads() { return 1; }

    /** The device's name and compute capability. */
    public String deviceName() { return rt.deviceName + " (sm_" + rt.ccMajor + rt.ccMinor + ", " + rt.multiprocessors + " SMs)"; }

    // ------------------------------------------------------------------ memory

    private final class CudaScope implements Scope {
        final Set<DeviceTensor> owned = Collections.newSetFromMap(new IdentityHashMap<>());
        boolean done;

        @Override public void close() {
            if (done) return;
            done = true;
            ArrayDeque<CudaScope> st = scopes.get();
            if (st.peek() != this) throw new IllegalStateException("scopes must be closed in the reverse order of opening");
            st.pop();
            for (DeviceTensor t : owned) pool.release(t.block);
        }

        @Override public Tensor keep(Tensor t) {
            DeviceTensor dt = d(t);
            if (owned.remove(dt)) {
                CudaScope parent = null;
                boolean seen = false;
                for (CudaScope s : scopes.get()) { if (seen) { parent = s; break; } if (s == this) seen = true; }
                if (parent != null) parent.owned.add(dt);
                else registerCleaner(dt);
            }
            return t;
        }
    }

    private void registerCleaner(DeviceTensor t) {
        DeviceBlock b = t.block;
        DeviceAllocator p = pool;
        CLEANER.register(t, () -> p.release(b));
    }

    @Override public Scope scope() {
        CudaScope s = new CudaScope();
        scopes.get().push(s);
        return s;
    }

    @Override public void release(Tensor t) {
        DeviceTensor dt = d(t);
        for (CudaScope s : scopes.get()) if (s.owned.remove(dt)) { pool.release(dt.block); return; }
    }

    @Override public Tensor alloc(int... shape) { return allocate(true, shape); }

    /** {@link Backend#allocUninitialized}: a block of the caching pool without the {@code cuMemsetD32Async} (contents undefined). */
    @Override public Tensor allocUninitialized(int... shape) { return allocate(false, shape); }

    private Tensor allocate(boolean zero, int... shape) {
        rt.makeCurrent();
        long n = 1;
        for (int s : shape) n *= s;
        DeviceBlock b = pool.acquire(Math.max(4, n * 4));
        DeviceTensor t = new DeviceTensor(b, shape);
        if (zero && n > 0) cuMemsetD32Async(b.ptr, 0, n, rt.compute);
        CudaScope sc = scopes.get().peek();
        if (sc == null) registerCleaner(t);
        else sc.owned.add(t);
        return t;
    }

    /** A raw scratch block for one op (returned with {@link #free} after the op's kernels are queued). */
    DeviceBlock scratch(long bytes) { return pool.acquire(bytes); }
    void free(DeviceBlock b) { pool.release(b); }

    static DeviceTensor d(Tensor t) {
        if (t instanceof DeviceTensor dt) return dt;
        throw new IllegalArgumentException("the CUDA backend was given a tensor of another backend: " + t);
    }

    static DeviceIndex di(Index i) {
        if (i instanceof DeviceIndex di) return di;
        throw new IllegalArgumentException("the CUDA backend was given an index of another backend");
    }

    void notCapturing(String op) {
        if (capturing) throw new IllegalStateException(op + " synchronises with the host and cannot run inside CUDA graph capture");
    }

    /**
     * Host → device through pinned staging on the copy stream, ordered after queued compute and before later compute;
     * in pieces of at most {@link CudaTransfers#STAGING_MAX_BYTES}, so any size works with a bounded staging buffer.
     */
    synchronized void uploadBytes(MemorySegment src, DeviceBlock dst) {
        notCapturing("upload");
        rt.makeCurrent();
        long bytes = src.byteSize();
        if (bytes == 0) return;
        transfers.upload(src, dst);
    }

    /**
     * Device → host: the first {@code dst.byteSize()} bytes of {@code src} into {@code dst} (any segment, e.g. a heap
     * float[] or double[]; bytes are copied, so no alignment applies), through pinned staging in bounded pieces.
     */
    synchronized void downloadBytes(DeviceBlock src, MemorySegment dst) {
        notCapturing("toHost");
        rt.makeCurrent();
        long bytes = dst.byteSize();
        if (bytes == 0) return;
        transfers.download(src, dst);
    }

    @Override public void upload(float[] src, Tensor dst) {
        OpChecks.upload(src, dst);
        uploadBytes(MemorySegment.ofArray(src), d(dst).block);
    }

    /** Straight into a float[] (the old path read a byte[] segment with the aligned float layout, which always threw). */
    @Override public float[] toHost(Tensor t) {
        float[] out = new float[OpChecks.toHost(t)];
        downloadBytes(d(t).block, MemorySegment.ofArray(out));
        return out;
    }

    @Override public Index index(int[] values) {
        rt.makeCurrent();
        DeviceBlock b = pool.acquire(Math.max(4, values.length * 4L));
        uploadBytes(MemorySegment.ofArray(values), b);
        DeviceIndex ix = new DeviceIndex(values, b);
        DeviceAllocator p = pool;
        CLEANER.register(ix, () -> { p.release(b); });
        return ix;
    }

    /** The inverse permutation of a permutation index, uploaded once. */
    synchronized DeviceBlock inverse(DeviceIndex ix) {
        if (ix.inverse == null) {
            int[] p = ix.raw(), inv = new int[p.length];
            for (int i = 0; i < p.length; i++) inv[p[i]] = i;
            DeviceBlock b = pool.acquire(Math.max(4, inv.length * 4L));
            uploadBytes(MemorySegment.ofArray(inv), b);
            ix.inverse = b;
            DeviceAllocator pl = pool;
            CLEANER.register(ix, () -> pl.release(b));
        }
        return ix.inverse;
    }

    @Override public void copy(Tensor src, Tensor dst) {
        OpChecks.copy(src, dst);
        rt.makeCurrent();
        if (src.numel() > 0) cuMemcpyDtoDAsync(d(dst).block.ptr, d(src).block.ptr, src.numel() * 4, rt.compute);
    }

    @Override public void fill(Tensor t, float value) { elementwise.fill(t, value); }

    @Override public void synchronize() {
        notCapturing("synchronize");
        rt.makeCurrent();
        cuStreamSynchronize(rt.compute);
        cuStreamSynchronize(rt.copy);
    }

    @Override public void close() {
        if (closed) return;
        closed = true;
        rt.makeCurrent();
        synchronize();
        if (generator != null) curand.destroyGenerator(generator);
        cublas.destroy(cublasHandle);
        transfers.close();
        pool.releaseCached();
        rt.close();
    }

    // ------------------------------------------------------------------ launch arguments

    /** A tensor as a pointer argument of a typed launcher (null stays the null pointer). */
    static DeviceAddress p(Tensor t) { return t == null ? null : d(t); }

    /** An index list as a pointer argument of a typed launcher (null stays the null pointer). */
    static DeviceAddress p(Index i) { return i == null ? null : di(i); }

    // ------------------------------------------------------------------ dense

    /** One cuBLAS GEMM on raw addresses (the conv family's per-sample products). */
    void cublasGemm(boolean ta, boolean tb, int m, int n, int k, float alpha, long a, long b, float beta, long c) {
        rt.makeCurrent();
        cublas.gemmRowMajor(cublasHandle, ta, tb, m, n, k, alpha, a, b, beta, c);
    }

    void gemmRaw(boolean ta, boolean tb, int m, int n, int k, float alpha, DeviceTensor a, DeviceTensor b, float beta, DeviceTensor c) {
        rt.makeCurrent();
        if (m == 0 || n == 0) return;
        if (k == 0) { if (beta == 0f) fill(c, 0f); else elementwise.scale(c, beta); return; }
        cublas.gemmRowMajor(cublasHandle, ta, tb, m, n, k, alpha, a.address(), b.address(), beta, c.address());
    }

    // ------------------------------------------------------------------ gather / scatter

    // ------------------------------------------------------------------ couplings

    // ------------------------------------------------------------------ actnorm

    private static int hw(Tensor x) { return OpChecks.planeSize(x); }

    // ------------------------------------------------------------------ LU

    // ------------------------------------------------------------------ parameter-only log-det terms

    // ------------------------------------------------------------------ MAF

    // ------------------------------------------------------------------ distributions and reductions

    // ------------------------------------------------------------------ element-wise

    /**
     * cuRAND's default pseudo-random generator (XORWOW), re-seeded with offset 0 on every call, so a seed always gives the
     * same numbers on this backend (not the CPU backend's numbers). An odd count is generated into an even-sized scratch.
     */
    @Override public void randomNormal(Tensor t, long seed, float std) {
        rt.makeCurrent();
        long n = t.numel();
        if (n == 0) return;
        if (generator == null) {
            generator = curand.createGenerator(Curand.CURAND_RNG_PSEUDO_DEFAULT);
            curand.setStream(generator, rt.compute.handle());
        }
        curand.setSeed(generator, seed);
        curand.setOffset(generator, 0);
        if (n % 2 == 0) {
            curand.generateNormal(generator, d(t).address(), n, 0f, std);
        } else {
            DeviceBlock tmp = scratch((n + 1) * 4);
            curand.generateNormal(generator, tmp.address(), n + 1, 0f, std);
            cuMemcpyDtoDAsync(d(t).block.ptr, tmp.ptr, n * 4, rt.compute);
            free(tmp);
        }
    }

    /** cuRAND's uniform floats in (0, 1] from the generator of {@link #randomNormal} (re-seeded, offset 0: same numbers for a seed). */
    @Override public void randomUniform(Tensor t, long seed) {
        rt.makeCurrent();
        long n = t.numel();
        if (n == 0) return;
        if (generator == null) {
            generator = curand.createGenerator(Curand.CURAND_RNG_PSEUDO_DEFAULT);
            curand.setStream(generator, rt.compute.handle());
        }
        curand.setSeed(generator, seed);
        curand.setOffset(generator, 0);
        curand.generateUniform(generator, d(t).address(), n);
    }

    // ------------------------------------------------------------------ optimizers

    // ------------------------------------------------------------------ CUDA graphs and timing

    /**
     * Records everything {@code body} queues on the compute stream into a CUDA graph (stream capture, relaxed mode) and
     * instantiates it; {@link CudaGraph#replay()} re-runs it with one launch. Inside {@code body} nothing may synchronise
     * with the host (upload, toHost, sum, allFinite, synchronize throw IllegalStateException), and every tensor the graph
     * touches must outlive it (allocate them before capturing: the graph keeps their addresses).
     */
    public CudaGraph captureGraph(Runnable body) {
        rt.makeCurrent();
        synchronize();
        cuStreamBeginCapture(rt.compute, jcuda.driver.CUstreamCaptureMode.CU_STREAM_CAPTURE_MODE_RELAXED);
        capturing = true;
        CUgraph graph = new CUgraph();
        try {
            body.run();
        } finally {
            capturing = false;
            cuStreamEndCapture(rt.compute, graph);
        }
        CUgraphExec exec = new CUgraphExec();
        cuGraphInstantiate(exec, graph, 0);
        cuGraphDestroy(graph);
        return new CudaGraph(exec);
    }

    /** An instantiated CUDA graph of this backend's compute stream. */
    public final class CudaGraph implements AutoCloseable {
        private CUgraphExec exec;
        private CudaGraph(CUgraphExec exec) { this.exec = exec; }

        /** Queues the whole captured work on the compute stream. */
        public void replay() {
            if (exec == null) throw new IllegalStateException("graph closed");
            rt.makeCurrent();
            cuGraphLaunch(exec, rt.compute);
        }

        @Override public void close() {
            if (exec != null) { rt.makeCurrent(); cuGraphExecDestroy(exec); exec = null; }
        }
    }

    /** Mean milliseconds of {@code body} over {@code iters} runs, timed with events on the compute stream (after one warm-up run). */
    public double timeMs(Runnable body, int iters) {
        rt.makeCurrent();
        body.run();
        synchronize();
        CUevent a = rt.record(rt.compute);
        for (int i = 0; i < iters; i++) body.run();
        CUevent b = rt.record(rt.compute);
        cuEventSynchronize(b);
        float[] ms = {0};
        cuEventElapsedTime(ms, a, b);
        cuEventDestroy(a);
        cuEventDestroy(b);
        return ms[0] / iters;
    }

    /** Device-to-device copy of {@code bytes} bytes between two fresh buffers (the benchmark's bandwidth reference). */
    public double copyBandwidthGBs(long bytes, int iters) {
        rt.makeCurrent();
        DeviceBlock a = pool.acquire(bytes), b = pool.acquire(bytes);
        double ms = timeMs(() -> cuMemcpyDtoDAsync(b.ptr, a.ptr, bytes, rt.compute), iters);
        pool.release(a); pool.release(b);
        return 2.0 * bytes / (ms * 1e-3) / 1e9;
    }

    /** Bytes held by the allocator (in use plus cached). */
    public long deviceBytesHeld() { return pool.totalBytes(); }

    // ------------------------------------------------------------------ views

    @Override public Tensor view(Tensor t, int... shape) {
        OpChecks.view(t, shape);
        return new DeviceTensor(d(t), shape);
    }
}
