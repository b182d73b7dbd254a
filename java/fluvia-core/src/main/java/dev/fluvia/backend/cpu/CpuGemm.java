package dev.fluvia.backend.cpu;

import dev.fluvia.FluviaException.BackendUnavailableException;
import dev.fluvia.FluviaException.UnknownNameException;
import dev.fluvia.blas.Cblas;
import java.lang.foreign.MemorySegment;
import java.util.Locale;

/**
 * Which GEMM a {@link CpuBackend} runs:
 * <ul>
 *   <li>{@value #OPENBLAS}: the host BLAS through {@link Cblas} (OpenBLAS's {@code cblas_sgemm}); an error when it does not load.
 *       Bit-identical across thread counts and runs on one machine ({@link BlasGemm}), not across CPUs;</li>
 *   <li>{@value #JAVA}: Fluvia's own kernel ({@link Gemm}) — portable, and bit-identical across thread counts, runs, vector
 *       widths and machines;</li>
 *   <li>{@value #AUTO} (the default): the BLAS library when it loads, the Java kernel otherwise.</li>
 * </ul>
 * The default of new backends comes from the system property {@value #PROPERTY} (the CLI's {@code --blas} sets it).
 * The library is loaded once per process, on first use.
 */
public final class CpuGemm {
    private CpuGemm() {}

    /** System property with the default choice for new backends. */
    public static final String PROPERTY = "fluvia.blas";
    public static final String AUTO = "auto", OPENBLAS = "openblas", JAVA = "java";

    private static Cblas library;
    private static BackendUnavailableException failure;

    /** The choice new backends get: {@value #PROPERTY} when set, else {@value #AUTO}. */
    public static String defaultChoice() {
        String p = System.getProperty(PROPERTY);
        return p == null || p.isBlank() ? AUTO : p;
    }

    /** Checks a choice's spelling (CLI option parsing) and returns it normalised. */
    public static String parse(String choice) {
        String c = choice.trim().toLowerCase(Locale.ROOT);
        return switch (c) {
            case AUTO, OPENBLAS, JAVA -> c;
            case "blas" -> OPENBLAS;
            default -> throw new UnknownNameException("unknown GEMM '" + choice + "' (known: auto, openblas, java)");
        };
    }

    /** The library for a choice, or null for the Java kernel. */
    static Cblas resolve(String choice) {
        return switch (parse(choice)) {
            case JAVA -> null;
            case OPENBLAS -> library();
            default -> { try { yield library(); } catch (BackendUnavailableException e) { yield null; } }
        };
    }

    /** Loads the library once per process; later calls return it or rethrow the first failure. */
    static synchronized Cblas library() {
        if (library == null && failure == null) {
            try { library = Cblas.load(); }
            catch (BackendUnavailableException e) { failure = e; }
            catch (RuntimeException | LinkageError e) { failure = new BackendUnavailableException("BLAS library failed to load: " + e, e); }
        }
        if (failure != null) throw failure;
        return library;
    }

    /**
     * Turns the Java kernel's packed-weight cache ({@link PackedWeights}) on or off for the whole process (default on;
     * {@code -Dfluvia.gemm.packCache=false} starts with it off). Results are bit-identical either way; this is for tests and
     * benchmarks.
     */
    public static void setPackCache(boolean on) {
        PackedWeights.enabled = on;
    }

    /**
     * Turns the Java kernel's forward narrow-layer kernels (K ≤ 4, or C ≤ 8 columns wide with A row-major, {@code GemmNarrow}) on or off for the
     * whole process (default on; {@code -Dfluvia.gemm.narrow=false} starts with them off). Results are bit-identical either
     * way; this is for tests and benchmarks.
     */
    public static void setNarrowKernels(boolean on) {
        GemmNarrow.enabled = on;
    }

    /** {hits, packs} of a backend's packed-weight cache so far: products that reused a packing / that packed. */
    public static long[] packCacheCounts(CpuBackend be) {
        return new long[] {be.packedWeights().hits.sum(), be.packedWeights().packs.sum()};
    }

    /**
     * The prefix-sparse linear layer {@code y = act(x·wᵀ + bias)} (pre = the pre-activation, may be null) where row {@code j}
     * of {@code w [n, k]} is zero past column {@code extent[j]} (the dense family's {@code prefixLinearForward}): the Java
     * kernel skips the zero part strip by strip, bit-identical to the dense product of the same w for finite inputs; the BLAS
     * provider calls the library per run of equal extents.
     */
    public static void linearPrefix(CpuBackend be, int m, int n, int k, MemorySegment x, MemorySegment w, int[] extent,
                                    MemorySegment bias, dev.fluvia.backend.Activation act, MemorySegment pre, MemorySegment y) {
        Gemm.Epilogue ep = act == null && bias == null && pre == null ? null
                : new Gemm.Epilogue(bias, act == null ? dev.fluvia.backend.Activation.IDENTITY : act, pre);
        Gemm.gemmPrefix(be, m, n, k, x, w, extent, y, ep);
    }

    /** Whether the backend's products run the Java kernel (no BLAS library: {@code --blas java}, or none loaded). */
    public static boolean javaKernel(CpuBackend be) { return be.blas() == null; }

    /**
     * Forgets the packed copy of {@code w} (a read-only operand whose owner has just rewritten its memory, e.g. a MADE's
     * refolded weights): the next product repacks it.
     */
    public static void invalidatePacked(CpuBackend be, MemorySegment w) { be.packedWeights().invalidate(w); }

    /** True when the BLAS library loads in this process. */
    public static boolean blasAvailable() {
        try { library(); return true; } catch (BackendUnavailableException e) { return false; }
    }

    /** One line on the BLAS library: what loaded, or why nothing did. */
    public static String blasStatus() {
        try { return library().description(); } catch (BackendUnavailableException e) { return "not available: " + e.getMessage(); }
    }
}
