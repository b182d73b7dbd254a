package dev.fluvia.backend;

import dev.fluvia.FluviaException.BackendUnavailableException;
import dev.fluvia.FluviaException.UnknownNameException;
import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.backend.cuda.CudaBackend;
import dev.fluvia.backend.cuda.CudaStatus;
import java.io.PrintStream;
import java.util.Locale;
import java.util.function.Supplier;

/** Creates a backend by name: {@code cpu}, {@code cuda} or {@code auto} (CUDA when available, else CPU). */
public final class Backends {
    private Backends() {}

    /**
     * Creates the named backend; "auto" writes a one-line notice to {@code System.err} when it falls back to the CPU.
     *
     * @param name    "cpu", "cuda" or "auto"
     * @param threads CPU worker threads (ignored by CUDA); {@code <= 0} means all processors
     * @return the new backend; the caller closes it
     * @throws BackendUnavailableException for "cuda" when a piece is missing (the message names it)
     * @throws UnknownNameException for any other name
     */
    public static Backend create(String name, int threads) {
        return create(name, threads, System.err);
    }

    /**
     * As {@link #create(String, int)}, writing the auto fallback notice to {@code notices}.
     *
     * @param name    "cpu", "cuda" (or "gpu") or "auto", case-insensitive, surrounding blanks ignored
     * @param threads CPU worker threads (ignored by CUDA); {@code <= 0} means all processors
     * @param notices where "auto" writes why it chose the CPU backend
     * @return the new backend; the caller closes it
     * @throws BackendUnavailableException for "cuda" when a piece is missing or CUDA fails to start (the message names it)
     * @throws UnknownNameException for any other name
     */
    public static Backend create(String name, int threads, PrintStream notices) {
        return create(name, threads, notices, CudaBackend::probe, CudaBackend::create);
    }

    /**
     * The factory with the CUDA probe and constructor passed in (tests replace them). "auto" never fails because of CUDA:
     * whatever stops the CUDA backend (a missing piece, a driver error at start-up such as CUDA_ERROR_NO_BINARY_FOR_GPU, a
     * cuBLAS error, a linkage error) becomes one line on {@code notices} and the CPU backend.
     */
    static Backend create(String name, int threads, PrintStream notices, Supplier<CudaStatus> probe, Supplier<? extends Backend> cuda) {
        int t = threads <= 0 ? Runtime.getRuntime().availableProcessors() : threads;
        return switch (name.trim().toLowerCase(Locale.ROOT)) {
            case "cpu" -> new CpuBackend(t);
            case "cuda", "gpu" -> {
                try { yield cuda.get(); }
                catch (BackendUnavailableException e) { throw e; }
                catch (RuntimeException | LinkageError e) {
                    throw new BackendUnavailableException("CUDA backend failed to start: " + describe(e), e);
                }
            }
            case "auto" -> {
                CudaStatus s;
                try { s = probe.get(); }
                catch (RuntimeException | LinkageError e) {
                    notices.println("fluvia: CUDA probe failed (" + describe(e) + "); using the CPU backend with " + t + " threads");
                    yield new CpuBackend(t);
                }
                if (s.available()) {
                    try { yield cuda.get(); }
                    catch (RuntimeException | LinkageError e) {
                        String why = e instanceof BackendUnavailableException ? firstLine(e.getMessage()) : describe(e);
                        notices.println("fluvia: CUDA backend failed to start (" + why + "); using the CPU backend with " + t + " threads");
                        yield new CpuBackend(t);
                    }
                }
                notices.println("fluvia: CUDA unavailable (missing: " + s.missing() + "); using the CPU backend with " + t + " threads");
                yield new CpuBackend(t);
            }
            default -> throw new UnknownNameException("unknown backend '" + name + "' (known: cpu, cuda, auto)");
        };
    }

    /** "ClassName: first line of the message". */
    private static String describe(Throwable e) {
        return e.getClass().getSimpleName() + ": " + firstLine(e.getMessage());
    }

    private static String firstLine(String s) {
        int i = s == null ? -1 : s.indexOf('\n');
        return i < 0 ? String.valueOf(s) : s.substring(0, i);
    }
}
