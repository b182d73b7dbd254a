package dev.fluvia.blas;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.fluvia.FluviaException.BackendUnavailableException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Hand-written FFM binding of a host CBLAS, in the style of {@link dev.fluvia.cuda.Cublas}: {@code cblas_sgemm} plus the
 * library's thread-count setter. Debian's OpenBLAS ({@code libopenblas0-pthread}, soname {@code libopenblas.so.0}) first,
 * then BLIS ({@code libblis.so.4}); {@code -Dfluvia.blas.path=/path/to/lib.so} names a library explicitly (any library
 * exporting {@code cblas_sgemm}).
 *
 * <p><b>Threads.</b> Fluvia runs its own worker pool and splits large products between its workers itself (see
 * {@code dev.fluvia.backend.cpu.BlasGemm}), so the library is set to one thread when it loads
 * ({@code openblas_set_num_threads(1)} or {@code bli_thread_set_num_threads(1)}): no second pool competes with Fluvia's for
 * the cores, and a product called from inside one of Fluvia's parallel loops (e.g. {@code mafInverse}'s per-chunk GEMMs)
 * runs on its caller's thread. {@code OPENBLAS_CORETYPE}, {@code OPENBLAS_L2_SIZE} and the like are read by the library
 * from the environment as usual; Fluvia does not set them.
 *
 * <p>Signatures follow {@code cblas.h}: {@code CBLAS_ORDER}/{@code CBLAS_TRANSPOSE} are C enums (ints),
 * {@code blasint} is a 32-bit int in Debian's OpenBLAS (the non-ILP64 build) and BLIS's CBLAS layer.
 */
public final class Cblas {
    /** System property with an explicit library path. */
    public static final String PATH_PROPERTY = "fluvia.blas.path";
    /** Sonames tried through the dynamic linker, in order. */
    public static final List<String> SONAMES = List.of("libopenblas.so.0", "libopenblas.so", "libblis.so.4", "libblis.so");

    /** CBLAS_ORDER / CBLAS_TRANSPOSE values of cblas.h. */
    static final int CBLAS_ROW_MAJOR = 101, CBLAS_NO_TRANS = 111, CBLAS_TRANS = 112;

    /** Products below this many multiply-adds use the critical (no thread-state transition) downcall: they end within microseconds. */
    static final long CRITICAL_MAX_FMAS = 1L << 18;

    private static final Linker LINKER = Linker.nativeLinker();

    /**
     * {@code void cblas_sgemm(CBLAS_ORDER, CBLAS_TRANSPOSE TransA, CBLAS_TRANSPOSE TransB, blasint M, blasint N, blasint K,
     * float alpha, const float *A, blasint lda, const float *B, blasint ldb, float beta, float *C, blasint ldc)}
     */
    static final FunctionDescriptor SGEMM = FunctionDescriptor.ofVoid(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT,
            JAVA_FLOAT, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, JAVA_FLOAT, ADDRESS, JAVA_INT);
    /** {@code void openblas_set_num_threads(int)} */
    static final FunctionDescriptor OPENBLAS_SET_THREADS = FunctionDescriptor.ofVoid(JAVA_INT);
    /** {@code char *openblas_get_config(void)}, {@code char *openblas_get_corename(void)} */
    static final FunctionDescriptor OPENBLAS_STRING = FunctionDescriptor.of(ADDRESS);
    /** {@code void bli_thread_set_num_threads(dim_t)} (dim_t: int64) */
    static final FunctionDescriptor BLI_SET_THREADS = FunctionDescriptor.ofVoid(JAVA_LONG);

    private final MethodHandle sgemm, sgemmCritical;
    private final String description;

    private Cblas(SymbolLookup lib, String source) {
        MemorySegment sym = lib.find("cblas_sgemm").orElseThrow(() ->
                new BackendUnavailableException(source + " has no cblas_sgemm (not a CBLAS library)"));
        sgemm = LINKER.downcallHandle(sym, SGEMM);
        sgemmCritical = LINKER.downcallHandle(sym, SGEMM, Linker.Option.critical(false));
        String what;
        try {
            Optional<MemorySegment> setThreads = lib.find("openblas_set_num_threads");
            if (setThreads.isPresent()) {
                var h = LINKER.downcallHandle(setThreads.get(), OPENBLAS_SET_THREADS);
                h.invokeExact(1);
                what = string(lib, "openblas_get_config").trim() + ", core " + string(lib, "openblas_get_corename");
            } else {
                Optional<MemorySegment> bli = lib.find("bli_thread_set_num_threads");
                if (bli.isPresent()) {
                    var h = LINKER.downcallHandle(bli.get(), BLI_SET_THREADS);
                    h.invokeExact(1L);
                    what = "BLIS";
                } else {
                    what = "CBLAS (thread count not settable: no openblas_set_num_threads / bli_thread_set_num_threads)";
                }
            }
        } catch (Throwable t) {
            throw new BackendUnavailableException("setting up " + source + " failed: " + t, t);
        }
        description = what + " (" + source + ")";
    }

    private static String string(SymbolLookup lib, String fn) throws Throwable {
        Optional<MemorySegment> s = lib.find(fn);
        if (s.isEmpty()) return "?";
        MemorySegment p = (MemorySegment) LINKER.downcallHandle(s.get(), OPENBLAS_STRING).invokeExact();
        return p.equals(MemorySegment.NULL) ? "?" : p.reinterpret(4096).getString(0);
    }

    /**
     * Loads the library: {@code -Dfluvia.blas.path} when set (and only that), else each of {@link #SONAMES} through the dynamic
     * linker.
     *
     * @throws BackendUnavailableException listing every place tried and why it failed
     */
    public static Cblas load() {
        List<String> tried = new ArrayList<>();
        Arena arena = Arena.global();
        String explicit = System.getProperty(PATH_PROPERTY);
        if (explicit != null && !explicit.isBlank()) {
            try { return new Cblas(SymbolLookup.libraryLookup(Path.of(explicit.trim()), arena), explicit.trim()); }
            catch (RuntimeException e) {
                throw new BackendUnavailableException("BLAS library -D" + PATH_PROPERTY + "=" + explicit + " cannot be used: " + brief(e), e);
            }
        }
        for (String name : SONAMES) {
            SymbolLookup l;
            try { l = SymbolLookup.libraryLookup(name, arena); }
            catch (RuntimeException e) { tried.add(name + " (" + brief(e) + ")"); continue; }
            try { return new Cblas(l, name); }
            catch (RuntimeException e) { tried.add(name + " (" + brief(e) + ")"); }
        }
        throw new BackendUnavailableException("no BLAS library found (install Debian's libopenblas0-pthread); tried: "
                + String.join(", ", tried));
    }

    /** Library, version, build and core as the library reports them, and where it was loaded from. */
    public String description() { return description; }

    /**
     * Row-major {@code C = alpha·op(A)·op(B) + beta·C}, C being {@code m × n} with row stride {@code ldc}; {@code lda}, {@code ldb}
     * are the row strides of A and B as stored. The segments must be native (off-heap) and hold the operands; the caller
     * checks the shapes (the library's own argument check prints to stderr rather than failing).
     */
    public void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha, MemorySegment a, int lda,
                      MemorySegment b, int ldb, float beta, MemorySegment c, int ldc) {
        int ta = transA ? CBLAS_TRANS : CBLAS_NO_TRANS, tb = transB ? CBLAS_TRANS : CBLAS_NO_TRANS;
        try {
            if ((long) m * n * k <= CRITICAL_MAX_FMAS)
                sgemmCritical.invokeExact(CBLAS_ROW_MAJOR, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
            else
                sgemm.invokeExact(CBLAS_ROW_MAJOR, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("cblas_sgemm failed", t);
        }
    }

    private static String brief(Throwable e) {
        String m = e.getMessage();
        return m == null ? e.getClass().getSimpleName() : m;
    }
}
