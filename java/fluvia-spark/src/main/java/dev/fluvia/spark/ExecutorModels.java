package dev.fluvia.spark;

import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.serve.FlowModel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * The models loaded in this JVM (an executor, or the driver in local mode), one per checkpoint and thread count, keyed by the
 * SHA-256 of the checkpoint's bytes. The first task that needs a model loads it (the others on the executor wait for it);
 * every later task reuses it. {@link FlowModel} is immutable and thread-safe, so concurrent tasks share one instance.
 */
final class ExecutorModels {
    private record Entry(FlowModel model, CpuBackend backend) {}

    private static final ConcurrentHashMap<String, Entry> MODELS = new ConcurrentHashMap<>();
    private static final AtomicInteger LOADS = new AtomicInteger();

    private ExecutorModels() {}

    static String key(byte[] checkpoint, int threads) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(checkpoint)) + "/" + threads;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("no SHA-256 in this JVM", e);
        }
    }

    /**
     * The cached model for {@code key}; if absent, loaded from {@code checkpoint} (read only then: on an executor, the
     * broadcast's bytes) on a CPU backend of {@code threads} threads.
     */
    static FlowModel get(String key, Supplier<byte[]> checkpoint, int threads) {
        Entry e = MODELS.get(key);
        if (e == null) e = MODELS.computeIfAbsent(key, k -> load(checkpoint.get(), threads));
        return e.model();
    }

    private static Entry load(byte[] checkpoint, int threads) {
        Path tmp = null;
        CpuBackend be = new CpuBackend(threads);
        try {
            tmp = Files.createTempFile("fluvia-model-", ".safetensors");
            Files.write(tmp, checkpoint);
            FlowModel m = FlowModel.load(tmp, be);
            LOADS.incrementAndGet();
            return new Entry(m, be);
        } catch (IOException e) {
            be.close();
            throw new UncheckedIOException("cannot stage the broadcast model in a temporary file: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            be.close();
            throw e;
        } finally {
            if (tmp != null) try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // the loader has read the file; a leftover temporary file is harmless
            }
        }
    }

    /** Closes and forgets the model for {@code key} (a no-op when absent). */
    static void evict(String key) {
        Entry e = MODELS.remove(key);
        if (e != null) {
            e.model().close();
            e.backend().close();
        }
    }

    /** Models loaded in this JVM so far (for tests: a model is loaded once per JVM, not once per task or row). */
    static int loads() { return LOADS.get(); }
}
