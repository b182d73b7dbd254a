package dev.fluvia.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fluvia.FluviaException.BackendUnavailableException;
import dev.fluvia.backend.cuda.CudaStatus;
import dev.fluvia.cuda.CudaLibraryException;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * {@link Backends#create} with the CUDA probe and constructor replaced: "auto" falls back to the CPU with one line whatever
 * stops CUDA at start-up (regression: only BackendUnavailableException was caught, so a driver error crashed), "cuda" throws
 * a typed BackendUnavailableException carrying the cause.
 */
class BackendsFallbackTest {
    static final CudaStatus AVAILABLE = new CudaStatus("libcuda.so.1 loaded", "13000 (CUDA 13.0)", "Fake GPU (sm_90)", "present",
            "loaded from fake", "loaded from fake", null);

    static List<RuntimeException> runtimeFailures() {
        return List.of(new jcuda.CudaException("CUDA_ERROR_NO_BINARY_FOR_GPU"),
                new CudaLibraryException("cublasCreate_v2", 1, "CUBLAS_STATUS_NOT_INITIALIZED"),
                new IllegalStateException("something odd"));
    }

    record Made(Backend backend, String notices) {}

    static Made auto(Supplier<CudaStatus> probe, Supplier<Backend> cuda) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        Backend be = Backends.create("auto", 2, new PrintStream(buf, true, StandardCharsets.UTF_8), probe, cuda);
        return new Made(be, buf.toString(StandardCharsets.UTF_8));
    }

    @Test void autoFallsBackWithOneLineOnAnyStartupError() {
        for (RuntimeException failure : runtimeFailures()) {
            Made m = auto(() -> AVAILABLE, () -> { throw failure; });
            try (Backend be = m.backend()) {
                assertEquals("cpu", be.name());
                assertEquals(2, be.threads());
            }
            assertEquals(1, m.notices().lines().count(), m.notices());
            assertTrue(m.notices().contains("CUDA backend failed to start") && m.notices().contains(failure.getClass().getSimpleName())
                    && m.notices().contains("CPU backend"), m.notices());
        }
        Made m = auto(() -> AVAILABLE, () -> { throw new UnsatisfiedLinkError("no JCudaDriver in java.library.path"); });
        try (Backend be = m.backend()) { assertEquals("cpu", be.name()); }
        assertEquals(1, m.notices().lines().count(), m.notices());
        assertTrue(m.notices().contains("UnsatisfiedLinkError: no JCudaDriver"), m.notices());
    }

    @Test void autoFallsBackWhenTheProbeThrows() {
        Made m = auto(() -> { throw new NoClassDefFoundError("jcuda/driver/JCudaDriver"); }, () -> { throw new AssertionError("not reached"); });
        try (Backend be = m.backend()) { assertEquals("cpu", be.name()); }
        assertEquals(1, m.notices().lines().count(), m.notices());
        assertTrue(m.notices().contains("NoClassDefFoundError"), m.notices());
    }

    @Test void autoNamesAnUnmetRequirement() {
        CudaStatus old = new CudaStatus("libcuda.so.1 loaded", "13000", "Tesla T4 (sm_75)", "present", "x", "y",
                CudaStatus.unmetRequirement(7, 5, 13000));
        Made m = auto(() -> old, () -> { throw new AssertionError("not reached"); });
        try (Backend be = m.backend()) { assertEquals("cpu", be.name()); }
        assertEquals(1, m.notices().lines().count(), m.notices());
        assertTrue(m.notices().contains("missing: compute capability 7.5 < 8.0"), m.notices());
    }

    @Test void cudaThrowsTypedExceptionNamingTheCause() {
        for (RuntimeException failure : runtimeFailures()) {
            BackendUnavailableException e = assertThrows(BackendUnavailableException.class,
                    () -> Backends.create("cuda", 1, System.err, () -> AVAILABLE, () -> { throw failure; }));
            assertSame(failure, e.getCause());
            assertTrue(e.getMessage().contains(failure.getMessage()), e.getMessage());
        }
        BackendUnavailableException own = new BackendUnavailableException("CUDA backend unavailable (missing: device)");
        assertSame(own, assertThrows(BackendUnavailableException.class,
                () -> Backends.create("cuda", 1, System.err, () -> AVAILABLE, () -> { throw own; })));
    }

    @Test void versionRequirements() {
        assertEquals("compute capability 7.5 < 8.0", CudaStatus.unmetRequirement(7, 5, 13000));
        assertEquals("compute capability 7.5 < 8.0", CudaStatus.unmetRequirement(7, 5, 12040));
        assertEquals("driver 12040 < 13000 (CUDA 13)", CudaStatus.unmetRequirement(9, 0, 12040));
        assertNull(CudaStatus.unmetRequirement(8, 0, 13000));
        assertNull(CudaStatus.unmetRequirement(12, 0, 13010));
        assertEquals("13020 (CUDA 13.2)", CudaStatus.describeDriverVersion(13020));
        assertTrue(AVAILABLE.report().contains("driver:  13000 (CUDA 13.0)"), AVAILABLE.report());
    }
}
