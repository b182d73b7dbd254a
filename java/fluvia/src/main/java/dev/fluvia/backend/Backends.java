package dev.fluvia.backend;

import dev.fluvia.FluviaException.BackendUnavailableException;
import dev.fluvia.FluviaException.UnknownNameException;
import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.backend.cuda.CudaBackend;
import dev.fluvia.backend.cuda.CudaStatus;
import java.io.PrintStream;
import java.util.Locale;

/** Creates a backend by name: {@code cpu}, {@code cuda} or {@code auto} (CUDA when available, else CPU). */
public final class Backends {
    private Backends() {}

    /**
     * @param name    "cpu", "cuda" or "auto"
     * @param threads CPU worker threads (ignored by CUDA); {@code <= 0} means all processors
     * @throws BackendUnavailableException for "cuda" when a piece is missing (the message names it)
     * @throws UnknownNameException for any other name
     */
    public static Backend create(String name, int threads) {
        return create(name, threads, System.err);
    }

    /** As {@link #create(String, int)}, writing the auto fallback notice to {@code notices}. */
    public static Backend create(String name, int threads, PrintStream notices) {
        int t = threads <= 0 ? Runtime.getRuntime().availableProcessors() : threads;
        return switch (name.trim().toLowerCase(Locale.ROOT)) {
            case "cpu" -> new CpuBackend(t);
            case "cuda", "gpu" -> CudaBackend.create();
            case "auto" -> {
                CudaStatus s = CudaBackend.probe();
                if (s.available()) {
                    try { yield CudaBackend.create(); }
                    catch (BackendUnavailableException e) {
                        notices.println("fluvia: CUDA backend failed to start (" + firstLine(e.getMessage()) + "); using the CPU backend with " + t + " threads");
                        yield new CpuBackend(t);
                    }
                }
                notices.println("fluvia: CUDA unavailable (missing: " + s.missing() + "); using the CPU backend with " + t + " threads");
                yield new CpuBackend(t);
            }
            default -> throw new UnknownNameException("unknown backend '" + name + "' (known: cpu, cuda, auto)");
        };
    }

    private static String firstLine(String s) {
        int i = s == null ? -1 : s.indexOf('\n');
        return i < 0 ? String.valueOf(s) : s.substring(0, i);
    }
}
