package dev.fluvia.backend.cuda;

import static jcuda.driver.JCudaDriver.*;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jcuda.Pointer;

/**
 * Host ↔ device copies of the CUDA backend: through one pinned staging buffer on the copy stream, in pieces of at most
 * {@link #STAGING_MAX_BYTES}, ordered against the compute stream with events. The caller holds the backend's monitor.
 */
final class CudaTransfers {
    private final CudaRuntime rt;
    private Pointer staging;
    private long stagingBytes;

    CudaTransfers(CudaRuntime rt) { this.rt = rt; }

    /** The largest pinned staging buffer: host↔device copies larger than this run in pieces of at most this many bytes. */
    static final long STAGING_MAX_BYTES = 64L << 20;

    /** A pinned host buffer of at least {@code bytes} (at most {@link #STAGING_MAX_BYTES}), reused between copies (callers hold the backend's monitor). */
    private ByteBuffer staging(long bytes) {
        if (bytes > STAGING_MAX_BYTES) throw new IllegalArgumentException("staging request of " + bytes + " bytes over the cap");
        if (staging == null || stagingBytes < bytes) {
            if (staging != null) cuMemFreeHost(staging);
            staging = null;
            stagingBytes = stagingSize(bytes);
            Pointer p = new Pointer();
            cuMemHostAlloc(p, stagingBytes, 0);
            staging = p;
        }
        return staging.getByteBuffer(0, bytes).order(ByteOrder.nativeOrder());
    }

    /** Size of the staging buffer for a copy piece of {@code bytes}: the next power of two, at least 1 MiB, at most the cap. */
    static long stagingSize(long bytes) {
        return Math.min(STAGING_MAX_BYTES, Math.max(1L << 20, Long.highestOneBit(Math.max(1, bytes - 1)) << 1));
    }

    /** One piece of a chunked copy: bytes [offset, offset + length). */
    @FunctionalInterface interface CopyPiece { void copy(long offset, long length); }

    /** Calls {@code piece} for consecutive pieces of at most {@code max} bytes covering [0, total), in order (long arithmetic). */
    static void inPieces(long total, long max, CopyPiece piece) {
        if (max <= 0) throw new IllegalArgumentException("piece size must be positive, got " + max);
        for (long off = 0; off < total; off += max) piece.copy(off, Math.min(max, total - off));
    }

    /** Host → device, ordered after queued compute and before later compute. */
    void upload(MemorySegment src, DeviceBlock dst) {
        long bytes = src.byteSize();
        if (bytes == 0) return;
        rt.order(rt.compute, rt.copy);
        inPieces(bytes, STAGING_MAX_BYTES, (off, len) -> {
            ByteBuffer buf = staging(len);
            MemorySegment.copy(src, off, MemorySegment.ofBuffer(buf), 0, len);
            cuMemcpyHtoDAsync(dst.ptr.withByteOffset(off), staging, len, rt.copy);
            cuStreamSynchronize(rt.copy);  // the staging buffer is reused by the next piece and the next copy
        });
        rt.order(rt.copy, rt.compute);
    }

    /** Device → host: the first {@code dst.byteSize()} bytes of {@code src}. */
    void download(DeviceBlock src, MemorySegment dst) {
        long bytes = dst.byteSize();
        if (bytes == 0) return;
        rt.order(rt.compute, rt.copy);
        inPieces(bytes, STAGING_MAX_BYTES, (off, len) -> {
            ByteBuffer buf = staging(len);
            cuMemcpyDtoHAsync(staging, src.ptr.withByteOffset(off), len, rt.copy);
            cuStreamSynchronize(rt.copy);
            MemorySegment.copy(MemorySegment.ofBuffer(buf), 0, dst, off, len);
        });
    }

    /** Frees the staging buffer. */
    void close() {
        if (staging != null) cuMemFreeHost(staging);
        staging = null;
    }
}
