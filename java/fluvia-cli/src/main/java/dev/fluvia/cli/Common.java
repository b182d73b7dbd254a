package dev.fluvia.cli;

import dev.fluvia.backend.Backend;
import dev.fluvia.backend.Backends;
import dev.fluvia.backend.cpu.CpuGemm;
import picocli.CommandLine.Option;

/** Options shared by the commands that compute: backend and threads, quiet mode. */
final class Common {
    @Option(names = "--backend", defaultValue = "cpu", description = "cpu, cuda or auto (cuda when a usable GPU is found, else cpu). Default: ${DEFAULT-VALUE}.")
    String backend;

    @Option(names = "--threads", defaultValue = "0", description = "CPU worker threads (0 = all cores).")
    int threads;

    @Option(names = "--blas", paramLabel = "GEMM", description = "The CPU backend's matrix products: openblas (the host BLAS, "
            + "libopenblas0-pthread), java (Fluvia's own kernel: the same bits on every machine) or auto (openblas when it "
            + "loads, else java; the default, also settable with -D" + CpuGemm.PROPERTY + ").")
    String blas;

    @Option(names = "--allow-unverified", description = "Read a model file that has no header or data checksum (written by an older "
            + "Fluvia or another tool). Checksums that are present are always verified.")
    boolean allowUnverified;

    @Option(names = {"-q", "--quiet"}, description = "No progress bar or chatter; only errors and the final paths.")
    boolean quiet;

    Backend open() {
        Checks.range("--threads", threads, 0, 4096);
        if (blas != null) System.setProperty(CpuGemm.PROPERTY, CpuGemm.parse(blas));
        int t = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        return Backends.create(backend, t);
    }
}
