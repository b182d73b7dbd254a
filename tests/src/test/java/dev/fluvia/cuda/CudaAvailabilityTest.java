package dev.fluvia.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.fluvia.FluviaException.BackendUnavailableException;
import dev.fluvia.FluviaException.UnknownNameException;
import dev.fluvia.backend.Backend;
import dev.fluvia.backend.Backends;
import dev.fluvia.backend.cuda.CudaBackend;
import dev.fluvia.backend.cuda.CudaStatus;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** CPU-runnable checks of the CUDA backend's discovery: probe, factory fallback, library lookup errors, the fatbin resource. */
class CudaAvailabilityTest {

    @Test void probeNeverThrowsAndNamesEveryPiece() {
        CudaStatus s = CudaBackend.probe();
        assertNotNull(s.libcuda());
        assertNotNull(s.device());
        assertNotNull(s.fatbin());
        assertNotNull(s.cublas());
        assertNotNull(s.curand());
        String r = s.report();
        assertNotNull(s.driver());
        for (String piece : List.of("libcuda", "driver", "device", "fatbin", "cuBLAS", "cuRAND")) assertTrue(r.contains(piece), r);
        assertEquals(s.missing() == null, s.available());
        if (!s.available())
            assertTrue(List.of("libcuda", "device", "fatbin", "cuBLAS", "cuRAND").contains(s.missing())
                    || s.missing().matches("compute capability \\d+\\.\\d+ < 8\\.0|driver \\d+ < 13000 \\(CUDA 13\\)"), s.missing());
    }

    @Test void probeOnAMachineWithoutDriverReportsLibcudaMissing() {
        assumeFalse(NativeLibrary.loadable("libcuda.so.1"), "this machine has libcuda");
        CudaStatus s = CudaBackend.probe();
        assertFalse(s.available());
        assertEquals("libcuda", s.missing());
        assertTrue(s.libcuda().contains("libcuda.so.1 not found"), s.libcuda());
    }

    @Test void autoFallsBackToCpuWithOneLine() {
        CudaStatus s = CudaBackend.probe();
        assumeFalse(s.available(), "CUDA is available here; auto picks it");
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try (Backend be = Backends.create("auto", 2, new PrintStream(buf, true, StandardCharsets.UTF_8))) {
            assertEquals("cpu", be.name());
            assertEquals(2, be.threads());
        }
        String out = buf.toString(StandardCharsets.UTF_8);
        assertEquals(1, out.lines().count(), out);
        assertTrue(out.contains("missing: " + s.missing()) && out.contains("CPU backend"), out);
    }

    @Test void cudaThrowsNamingTheMissingPiece() {
        CudaStatus s = CudaBackend.probe();
        assumeFalse(s.available(), "CUDA is available here");
        BackendUnavailableException e = assertThrows(BackendUnavailableException.class, () -> Backends.create("cuda", 1));
        assertTrue(e.getMessage().contains("missing: " + s.missing()), e.getMessage());
    }

    @Test void cpuAndUnknownNames() {
        try (Backend be = Backends.create("cpu", 1)) { assertEquals("cpu", be.name()); }
        UnknownNameException e = assertThrows(UnknownNameException.class, () -> Backends.create("tpu", 1));
        assertTrue(e.getMessage().contains("tpu") && e.getMessage().contains("cuda"), e.getMessage());
    }

    @Test void libraryLookupErrorListsEverythingTried() {
        String prop = "fluvia.test.nolib.path";
        System.setProperty(prop, "/nonexistent/libnothing.so");
        try {
            BackendUnavailableException e = assertThrows(BackendUnavailableException.class,
                    () -> NativeLibrary.load("Nothing", prop, List.of("libfluvia_nothing.so.13", "libfluvia_nothing.so.12"), "nothing"));
            String m = e.getMessage();
            for (String s : List.of("Nothing library not found", "/nonexistent/libnothing.so", "libfluvia_nothing.so.13", "libfluvia_nothing.so.12"))
                assertTrue(m.contains(s), m);
        } finally {
            System.clearProperty(prop);
        }
    }

    @Test void cublasAndCurandLookupErrorsNameTheirSonames() {
        assumeFalse(NativeLibrary.loadable("libcublas.so.13") || NativeLibrary.loadable("libcublas.so.12"), "cuBLAS is installed");
        String m = assertThrows(BackendUnavailableException.class, Cublas::load).getMessage();
        assertTrue(m.contains("libcublas.so.13") && m.contains("libcublas.so.12") && m.contains(Cublas.PATH_PROPERTY), m);
        assumeFalse(NativeLibrary.loadable("libcurand.so.10"), "cuRAND is installed");
        String r = assertThrows(BackendUnavailableException.class, Curand::load).getMessage();
        assertTrue(r.contains("libcurand.so.10") && r.contains(Curand.PATH_PROPERTY), r);
    }

    @Test void statusNamesAreReadable() {
        assertTrue(Cublas.statusName(7).startsWith("CUBLAS_STATUS_INVALID_VALUE"));
        assertTrue(Curand.statusName(105).startsWith("CURAND_STATUS_LENGTH_NOT_MULTIPLE"));
        CudaLibraryException e = assertThrows(CudaLibraryException.class, () -> Cublas.check(13, "cublasSgemm_v2"));
        assertEquals(13, e.status());
        assertTrue(e.getMessage().contains("cublasSgemm_v2") && e.getMessage().contains("EXECUTION_FAILED"), e.getMessage());
    }

    /** When the fatbin was built (build/fluvia_kernels.fatbin), the jar must carry exactly those bytes as a resource. */
    @Test void builtFatbinIsPackagedAsResource() throws Exception {
        Path built = null;
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path c = p.resolve("build/fluvia_kernels.fatbin");
            if (Files.isRegularFile(c) && Files.isRegularFile(p.resolve("CMakeLists.txt"))) { built = c; break; }
        }
        assumeTrue(built != null, "no build/fluvia_kernels.fatbin (nvcc build not run): nothing to check");
        try (InputStream in = CudaBackend.class.getResourceAsStream("/dev/fluvia/cuda/fluvia_kernels.fatbin")) {
            assertNotNull(in, "fatbin built at " + built + " but missing from the class path: rebuild the fluvia jar");
            assertArrayEquals(Files.readAllBytes(built), in.readAllBytes(), "packaged fatbin differs from " + built + ": rebuild the jar");
        }
        assertTrue(CudaBackend.probe().fatbin().startsWith("present"));
    }
}
