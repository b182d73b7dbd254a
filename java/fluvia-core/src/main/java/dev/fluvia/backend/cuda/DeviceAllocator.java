package dev.fluvia.backend.cuda;

import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemFree;
import static jcuda.driver.JCudaDriver.cuMemGetInfo;

import dev.fluvia.FluviaException.OutOfMemoryException;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import jcuda.CudaException;

/**
 * Caching device allocator: blocks are rounded up to {@link #ALIGN} bytes and kept in free lists keyed by size, so a
 * training loop that allocates the same shapes every step calls cuMemAlloc only in its first step. All kernels run on one
 * compute stream, so a block handed out again is only touched by work queued after the work that used it before.
 * When cuMemAlloc fails the cached blocks are freed and the allocation retried once; then {@link OutOfMemoryException}
 * reports the requested and the free bytes.
 */
final class DeviceAllocator {
    static final long ALIGN = 256;

    private final Map<Long, ArrayDeque<DeviceBlock>> free = new HashMap<>();
    private long cachedBytes, totalBytes;

    static long rounded(long bytes) { return Math.max(ALIGN, (bytes + ALIGN - 1) / ALIGN * ALIGN); }

    synchronized DeviceBlock acquire(long bytes) {
        long size = rounded(bytes);
        ArrayDeque<DeviceBlock> q = free.get(size);
        DeviceBlock b = q == null ? null : q.poll();
        if (b != null) { cachedBytes -= size; return b; }
        DevicePtr p = new DevicePtr();
        try {
            cuMemAlloc(p, size);
        } catch (CudaException first) {
            releaseCached();
            try {
                cuMemAlloc(p, size);
            } catch (CudaException second) {
                long[] fr = {0}, tot = {0};
                try { cuMemGetInfo(fr, tot); } catch (CudaException ignored) { /* report 0 */ }
                throw new OutOfMemoryException("device allocation of " + size + " bytes failed: " + fr[0] + " bytes free of " + tot[0]
                        + " (this backend holds " + totalBytes + " bytes)");
            }
        }
        totalBytes += size;
        return new DeviceBlock(p, size);
    }

    synchronized void release(DeviceBlock b) {
        free.computeIfAbsent(b.bytes, k -> new ArrayDeque<>()).push(b);
        cachedBytes += b.bytes;
    }

    /** Frees every cached (unused) block back to the driver. */
    synchronized void releaseCached() {
        for (ArrayDeque<DeviceBlock> q : free.values()) for (DeviceBlock b : q) { cuMemFree(b.ptr); totalBytes -= b.bytes; }
        free.clear();
        cachedBytes = 0;
    }

    synchronized long cachedBytes() { return cachedBytes; }
    synchronized long totalBytes() { return totalBytes; }
}
