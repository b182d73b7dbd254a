package dev.fluvia.backend.cuda;

import static jcuda.driver.JCudaDriver.cuMemcpyDtoDAsync;

import dev.fluvia.tensor.Index;
import dev.fluvia.tensor.Tensor;
import java.lang.foreign.MemorySegment;

/**
 * What an op family's CUDA body (e.g. {@code dev.fluvia.backend.coupling.CudaCoupling}) may use of the CUDA backend: launch
 * geometry, launches by kernel name (for its typed launchers only: one method per {@code extern "C"} kernel of
 * {@code kernels/<family>.cu}, named like the kernel, parameters mirroring the C signature after a leading {@link Launch}),
 * scratch memory, small uploads, cuBLAS GEMM and the deterministic chunking of the two-stage reductions. One per backend.
 */
public final class CudaContext {
    /** Threads per block of the grid-stride kernels. */
    public static final int THREADS = CudaRuntime.THREADS;
    /** Rows per chunk of the two-stage (per-chunk partials, then chunk order) reductions. */
    public static final int CHUNK = 64;
    /** gridDim.y limit: the two-stage reductions launch one block row per {@link #CHUNK}-row chunk, at most this many per launch. */
    public static final int MAX_GRID_Y = 65_535;

    private final CudaBackend be;
    final CudaRuntime rt;

    CudaContext(CudaBackend be, CudaRuntime rt) {
        this.be = be;
        this.rt = rt;
    }

    // ------------------------------------------------------------------ launches

    /** Launches {@code kernel} (nothing for {@link Launch#NONE}); called only by a family's typed launcher named like the kernel. */
    public void go(String kernel, Launch g, Object... args) { rt.launch(kernel, g, args); }

    /** A grid-stride element-wise launch over {@code count} elements ({@link Launch#NONE} when there are none). */
    public Launch elementwise(long count) { return rt.elementwise(count); }

    /** A warp-per-row launch over {@code rows} rows ({@link Launch#NONE} when there are none). */
    public Launch rows(long rows) { return rt.rows(rows); }

    /** An explicit grid. */
    public static Launch grid(int gridX, int gridY, int block, int sharedBytes) { return new Launch(gridX, gridY, block, sharedBytes); }

    /** Blocks of a grid-stride kernel over {@code count} elements. */
    public int gridFor(long count) { return rt.gridFor(count); }

    /** Makes the backend's context current on the calling thread. */
    public void makeCurrent() { rt.makeCurrent(); }

    /** Multiprocessors of the device. */
    public int multiprocessors() { return rt.multiprocessors; }

    /** Raises {@code kernel}'s dynamic shared-memory limit when it needs more than 48 KiB. */
    public void allowSharedMemory(String kernel, int bytes) { rt.allowSharedMemory(kernel, bytes); }

    // ------------------------------------------------------------------ memory

    /** A raw scratch block for one op (give it back with {@link #free} after the op's kernels are queued). */
    public DeviceAddress scratch(long bytes) { return be.scratch(bytes); }

    /** A device tensor for an op's intermediate (contents undefined; give it back with {@link #release}). */
    public dev.fluvia.tensor.Tensor temporary(int... shape) { return be.allocUninitialized(shape); }

    /** Returns an op's intermediate tensor to the pool (after the kernels that read it are queued: stream order). */
    public void release(dev.fluvia.tensor.Tensor t) { be.release(t); }

    /** Returns a scratch block to the pool. */
    public void free(DeviceAddress block) { be.free((DeviceBlock) block); }

    /** A scratch block holding {@code values} (uploaded in stream order). */
    public DeviceAddress upload(long[] values) { return uploaded(MemorySegment.ofArray(values), values.length * 8L); }

    /** A scratch block holding {@code values} (uploaded in stream order). */
    public DeviceAddress upload(int[] values) { return uploaded(MemorySegment.ofArray(values), values.length * 4L); }

    private DeviceAddress uploaded(MemorySegment src, long bytes) {
        DeviceBlock b = be.scratch(Math.max(4, bytes));
        be.uploadBytes(src, b);
        return b;
    }

    /** Throws when {@code op}, which reads back to the host, is called inside CUDA graph capture. */
    public void notCapturing(String op) { be.notCapturing(op); }

    /** Device → host: the first {@code dst.length} doubles of a scratch block (a synchronising read). */
    public void download(DeviceAddress block, double[] dst) { be.downloadBytes((DeviceBlock) block, MemorySegment.ofArray(dst)); }

    /** Device-to-device copy of {@code bytes} on the compute stream: {@code dst + dstOffset ← src + srcOffset} (scratch blocks or tensors). */
    public void copy(DeviceAddress dst, long dstOffset, DeviceAddress src, long srcOffset, long bytes) {
        rt.makeCurrent();
        cuMemcpyDtoDAsync(ptr(dst).withByteOffset(dstOffset), ptr(src).withByteOffset(srcOffset), bytes, rt.compute);
    }

    private static DevicePtr ptr(DeviceAddress a) {
        return switch (a) {
            case DeviceBlock b -> b.ptr;
            case DeviceTensor t -> t.block.ptr;
            default -> throw new IllegalArgumentException("not a scratch block or tensor: " + a);
        };
    }

    /** The inverse permutation of a permutation index, uploaded once and kept with the index. */
    public DeviceAddress inversePermutation(Index perm) { return be.inverse(CudaBackend.di(perm)); }

    /** Whether no value of the index repeats (then a kernel may write through it in parallel). */
    public static boolean distinct(Index i) { return CudaBackend.di(i).distinct; }

    /** C = alpha·op(A)·op(B) + beta·C (row-major, cuBLAS; k = 0 scales C). */
    public void gemm(boolean ta, boolean tb, int m, int n, int k, float alpha, Tensor a, Tensor b, float beta, Tensor c) {
        be.gemmRaw(ta, tb, m, n, k, alpha, CudaBackend.d(a), CudaBackend.d(b), beta, CudaBackend.d(c));
    }

    /** C = alpha·op(A)·op(B) + beta·C on raw device addresses (row-major, cuBLAS), e.g. one sample of a batch. */
    public void gemmAt(boolean ta, boolean tb, int m, int n, int k, float alpha, long a, long b, float beta, long c) {
        be.cublasGemm(ta, tb, m, n, k, alpha, a, b, beta, c);
    }

    // ------------------------------------------------------------------ arguments

    /** A tensor as a pointer argument of a typed launcher (null stays the null pointer). */
    public static DeviceAddress p(Tensor t) { return CudaBackend.p(t); }

    /** An index list as a pointer argument of a typed launcher (null stays the null pointer). */
    public static DeviceAddress p(Index i) { return CudaBackend.p(i); }

    /** A tensor's device address plus {@code bytes} (null stays null). */
    public static DeviceAddress at(Tensor t, long bytes) { return t == null ? null : CudaBackend.d(t).offset(bytes); }

    // ------------------------------------------------------------------ chunked reductions

    /** Chunks of {@link #CHUNK} rows of an n-row batch (at least 1). */
    public static int chunks(int n) { return Math.max(1, (n + CHUNK - 1) / CHUNK); }

    /** One launch of a chunked reduction: chunks [firstChunk, firstChunk + count). */
    @FunctionalInterface public interface ChunkGroup { void launch(int firstChunk, int count); }

    /**
     * Calls {@code group} for consecutive groups of at most {@code maxPerGroup} chunks covering [0, chunks), in order. A
     * batch of up to {@code maxPerGroup·64} rows is one group starting at chunk 0; a larger one is cut into launches over
     * row ranges (offset pointers, smaller n) whose partials land at their chunk's place, so the second stage sums the
     * same partials in the same order.
     */
    public static void inChunkGroups(int chunks, int maxPerGroup, ChunkGroup group) {
        for (int c0 = 0; c0 < chunks; c0 += maxPerGroup) group.launch(c0, Math.min(maxPerGroup, chunks - c0));
    }

    /** Rows [first row of chunk c0, ...) covered by a group of {@code count} chunks of an n-row batch. */
    public static int groupRows(int n, int c0, int count) { return Math.max(0, Math.min(n - c0 * CHUNK, count * CHUNK)); }
}
