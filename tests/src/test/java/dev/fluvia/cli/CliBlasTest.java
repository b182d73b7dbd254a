package dev.fluvia.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fluvia.backend.cpu.CpuGemm;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --blas}: the CPU GEMM chosen on the command line, reported by {@code info}, and a misspelt name refused. */
class CliBlasTest {
    @TempDir Path dir;

    /** --blas sets the process-wide default (a system property): leave it as it was for the other tests of this JVM. */
    @AfterEach void clear() { System.clearProperty(CpuGemm.PROPERTY); }

    @Test void trainWithJavaKernelAndInfoSaysWhichGemm() {
        Path out = dir.resolve("run");
        CliTest.Out t = CliTest.run("train", "--data", "moons", "--samples", "500", "--steps", "5", "--batch", "32",
                "--threads", "2", "--blas", "java", "--out", out.toString(), "-q", "--no-plots");
        assertEquals(0, t.code(), t.err());
        String model = out.resolve("model.safetensors").toString();
        CliTest.Out java = CliTest.run("info", "--model", model, "--blas", "java");
        assertEquals(0, java.code(), java.err());
        assertTrue(java.out().contains("cpu GEMM: Java kernel"), java.out());
        CliTest.Out auto = CliTest.run("info", "--model", model, "--blas", "auto");
        assertEquals(0, auto.code(), auto.err());
        String expect = CpuGemm.blasAvailable() ? "cpu GEMM: " + CpuGemm.blasStatus() : "cpu GEMM: Java kernel";
        assertTrue(auto.out().contains(expect), auto.out());
    }

    @Test void unknownGemmIsABadOption() {
        CliTest.Out r = CliTest.run("info", "--model", dir.resolve("none.safetensors").toString(), "--blas", "mkl");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("unknown GEMM 'mkl'"), r.err());
    }
}
