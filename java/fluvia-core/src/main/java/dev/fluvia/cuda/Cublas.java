package dev.fluvia.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.util.List;

/**
 * Hand-written FFM bindings for the cuBLAS functions Fluvia uses, in jextract's generated style (one nested holder
 * per function with its {@link FunctionDescriptor} and {@link MethodHandle}). Signatures and constants follow
 * CUDA 13.0 {@code cublas_api.h} (the {@code _v2} entry points are the ABI names behind the {@code cublas_v2.h} macros;
 * they are unchanged since CUDA 12, so {@code libcublas.so.12} works too).
 *
 * <p><b>Row-major GEMM.</b> cuBLAS is column-major. A row-major {@code [r, c]} matrix is, byte for byte, the column-major
 * {@code [c, r]} matrix (its transpose) with leading dimension {@code c}. So row-major {@code C = op(A)·op(B)} is computed
 * as column-major {@code Cᵀ = op(B)ᵀ·op(A)ᵀ}: call {@code sgemm(opB, opA, n, m, k, B, ldb, A, lda, C, n)} with
 * {@code lda}, {@code ldb} the row lengths of A and B as stored — see {@link #gemmRowMajor}.
 *
 * <p>Library lookup: {@code -Dfluvia.cublas.path}, then {@code libcublas.so.13}, {@code libcublas.so.12}, then pip wheels
 * (see {@link NativeLibrary}). All handles live in the process's current CUDA context (the device's primary context).
 */
public final class Cublas {
    /** cublasOperation_t */
    public static final int CUBLAS_OP_N = 0, CUBLAS_OP_T = 1;
    /** cublasMath_t */
    public static final int CUBLAS_DEFAULT_MATH = 0, CUBLAS_PEDANTIC_MATH = 2, CUBLAS_TF32_TENSOR_OP_MATH = 3;
    /** cublasComputeType_t */
    public static final int CUBLAS_COMPUTE_32F = 68, CUBLAS_COMPUTE_32F_PEDANTIC = 69, CUBLAS_COMPUTE_32F_FAST_TF32 = 77;
    /** cudaDataType_t CUDA_R_32F */
    public static final int CUDA_R_32F = 0;
    /** cublasGemmAlgo_t CUBLAS_GEMM_DEFAULT */
    public static final int CUBLAS_GEMM_DEFAULT = -1;

    public static final String PATH_PROPERTY = "fluvia.cublas.path";
    public static final List<String> SONAMES = List.of("libcublas.so.13", "libcublas.so.12");

    private static final Linker LINKER = Linker.nativeLinker();

    // ------------------------------------------------------------------ jextract-style holders

    /** {@code cublasStatus_t cublasCreate_v2(cublasHandle_t *handle)} */
    static final class cublasCreate_v2 {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, ADDRESS);
    }
    /** {@code cublasStatus_t cublasDestroy_v2(cublasHandle_t handle)} */
    static final class cublasDestroy_v2 {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, ADDRESS);
    }
    /** {@code cublasStatus_t cublasSetStream_v2(cublasHandle_t handle, cudaStream_t streamId)} */
    static final class cublasSetStream_v2 {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS);
    }
    /** {@code cublasStatus_t cublasSetMathMode(cublasHandle_t handle, cublasMath_t mode)} */
    static final class cublasSetMathMode {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT);
    }
    /**
     * {@code cublasStatus_t cublasSgemm_v2(cublasHandle_t, cublasOperation_t transa, cublasOperation_t transb, int m, int n, int k,
     * const float *alpha, const float *A, int lda, const float *B, int ldb, const float *beta, float *C, int ldc)}
     */
    static final class cublasSgemm_v2 {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT,
                ADDRESS, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT);
    }
    /**
     * {@code cublasStatus_t cublasSgemmStridedBatched(cublasHandle_t, cublasOperation_t, cublasOperation_t, int m, int n, int k,
     * const float *alpha, const float *A, int lda, long long strideA, const float *B, int ldb, long long strideB,
     * const float *beta, float *C, int ldc, long long strideC, int batchCount)}
     */
    static final class cublasSgemmStridedBatched {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT,
                ADDRESS, ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS, ADDRESS, JAVA_INT, JAVA_LONG, JAVA_INT);
    }
    /**
     * {@code cublasStatus_t cublasGemmEx(cublasHandle_t, cublasOperation_t, cublasOperation_t, int m, int n, int k, const void *alpha,
     * const void *A, cudaDataType Atype, int lda, const void *B, cudaDataType Btype, int ldb, const void *beta, void *C,
     * cudaDataType Ctype, int ldc, cublasComputeType_t computeType, cublasGemmAlgo_t algo)}
     */
    static final class cublasGemmEx {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT,
                ADDRESS, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT);
    }

    private final String source;
    private final MethodHandle create, destroy, setStream, setMathMode, sgemm, sgemmStridedBatched, gemmEx;

    private Cublas(NativeLibrary.Loaded lib) {
        this.source = lib.source();
        SymbolLookup l = lib.lookup();
        create = bind(l, "cublasCreate_v2", cublasCreate_v2.DESC);
        destroy = bind(l, "cublasDestroy_v2", cublasDestroy_v2.DESC);
        setStream = bind(l, "cublasSetStream_v2", cublasSetStream_v2.DESC);
        setMathMode = bind(l, "cublasSetMathMode", cublasSetMathMode.DESC);
        sgemm = bind(l, "cublasSgemm_v2", cublasSgemm_v2.DESC);
        sgemmStridedBatched = bind(l, "cublasSgemmStridedBatched", cublasSgemmStridedBatched.DESC);
        gemmEx = bind(l, "cublasGemmEx", cublasGemmEx.DESC);
    }

    /** Loads libcublas (see the class comment for the search order); throws BackendUnavailableException naming every place tried. */
    public static Cublas load() {
        return new Cublas(NativeLibrary.load("cuBLAS", PATH_PROPERTY, SONAMES, "cublas"));
    }

    /** Where the library was loaded from. */
    public String source() { return source; }

    private static MethodHandle bind(SymbolLookup l, String name, FunctionDescriptor d) {
        MemorySegment sym = l.find(name).orElseThrow(() ->
                new dev.fluvia.FluviaException.BackendUnavailableException("cuBLAS library lacks the symbol " + name));
        return LINKER.downcallHandle(sym, d);
    }

    // ------------------------------------------------------------------ calls

    /** Creates a handle in the current context; returns its address. */
    public MemorySegment create() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ADDRESS);
            check((int) create.invokeExact(out), "cublasCreate_v2");
            return out.get(ADDRESS, 0);
        } catch (RuntimeException | Error e) { throw e; } catch (Throwable t) { throw new IllegalStateException(t); }
    }

    public void destroy(MemorySegment handle) {
        try { check((int) destroy.invokeExact(handle), "cublasDestroy_v2"); }
        catch (RuntimeException | Error e) { throw e; } catch (Throwable t) { throw new IllegalStateException(t); }
    }

    /** Binds the handle to a CUDA stream (raw CUstream address). */
    public void setStream(MemorySegment handle, long stream) {
        try { check((int) setStream.invokeExact(handle, MemorySegment.ofAddress(stream)), "cublasSetStream_v2"); }
        catch (RuntimeException | Error e) { throw e; } catch (Throwable t) { throw new IllegalStateException(t); }
    }

    /** {@link #CUBLAS_DEFAULT_MATH} (no TF32: full float32 products), {@link #CUBLAS_PEDANTIC_MATH} or {@link #CUBLAS_TF32_TENSOR_OP_MATH}. */
    public void setMathMode(MemorySegment handle, int mode) {
        try { check((int) setMathMode.invokeExact(handle, mode), "cublasSetMathMode"); }
        catch (RuntimeException | Error e) { throw e; } catch (Throwable t) { throw new IllegalStateException(t); }
    }

    /** Column-major SGEMM on device pointers; alpha/beta are host scalars (the default pointer mode). */
    public void sgemm(MemorySegment handle, int opA, int opB, int m, int n, int k, float alpha, long a, int lda, long b, int ldb,
                      float beta, long c, int ldc) {
        try (Arena ar = Arena.ofConfined()) {
            MemorySegment al = ar.allocateFrom(JAVA_FLOAT, alpha), be = ar.allocateFrom(JAVA_FLOAT, beta);
            check((int) sgemm.invokeExact(handle, opA, opB, m, n, k, al, MemorySegment.ofAddress(a), lda, MemorySegment.ofAddress(b), ldb,
                    be, MemorySegment.ofAddress(c), ldc), "cublasSgemm_v2");
        } catch (RuntimeException | Error e) { throw e; } catch (Throwable t) { throw new IllegalStateException(t); }
    }

    /** Column-major strided batched SGEMM on device pointers. */
    public void sgemmStridedBatched(MemorySegment handle, int opA, int opB, int m, int n, int k, float alpha, long a, int lda, long strideA,
                                    long b, int ldb, long strideB, float beta, long c, int ldc, long strideC, int batch) {
        try (Arena ar = Arena.ofConfined()) {
            MemorySegment al = ar.allocateFrom(JAVA_FLOAT, alpha), be = ar.allocateFrom(JAVA_FLOAT, beta);
            check((int) sgemmStridedBatched.invokeExact(handle, opA, opB, m, n, k, al, MemorySegment.ofAddress(a), lda, strideA,
                    MemorySegment.ofAddress(b), ldb, strideB, be, MemorySegment.ofAddress(c), ldc, strideC, batch), "cublasSgemmStridedBatched");
        } catch (RuntimeException | Error e) { throw e; } catch (Throwable t) { throw new IllegalStateException(t); }
    }

    /** Column-major float32 GEMM through cublasGemmEx with an explicit compute type (e.g. {@link #CUBLAS_COMPUTE_32F_PEDANTIC}). */
    public void gemmEx(MemorySegment handle, int opA, int opB, int m, int n, int k, float alpha, long a, int lda, long b, int ldb,
                       float beta, long c, int ldc, int computeType) {
        try (Arena ar = Arena.ofConfined()) {
            MemorySegment al = ar.allocateFrom(JAVA_FLOAT, alpha), be = ar.allocateFrom(JAVA_FLOAT, beta);
            check((int) gemmEx.invokeExact(handle, opA, opB, m, n, k, al, MemorySegment.ofAddress(a), CUDA_R_32F, lda,
                    MemorySegment.ofAddress(b), CUDA_R_32F, ldb, be, MemorySegment.ofAddress(c), CUDA_R_32F, ldc, computeType,
                    CUBLAS_GEMM_DEFAULT), "cublasGemmEx");
        } catch (RuntimeException | Error e) { throw e; } catch (Throwable t) { throw new IllegalStateException(t); }
    }

    /**
     * Row-major {@code C[m, n] = alpha·op(A)·op(B) + beta·C} with A, B, C stored row-major (see the class comment):
     * A is {@code [m, k]} ({@code [k, m]} when transA), B is {@code [k, n]} ({@code [n, k]} when transB).
     */
    public void gemmRowMajor(MemorySegment handle, boolean transA, boolean transB, int m, int n, int k, float alpha,
                             long a, long b, float beta, long c) {
        int lda = transA ? m : k, ldb = transB ? k : n;
        sgemm(handle, transB ? CUBLAS_OP_T : CUBLAS_OP_N, transA ? CUBLAS_OP_T : CUBLAS_OP_N, n, m, k,
                alpha, b, Math.max(1, ldb), a, Math.max(1, lda), beta, c, Math.max(1, n));
    }

    // ------------------------------------------------------------------ status codes

    /** Throws {@link CudaLibraryException} with the status's name unless it is CUBLAS_STATUS_SUCCESS. */
    public static void check(int status, String call) {
        if (status != 0) throw new CudaLibraryException(call, status, statusName(status));
    }

    /** cublasStatus_t names (cublas_api.h). */
    public static String statusName(int s) {
        return switch (s) {
            case 0 -> "CUBLAS_STATUS_SUCCESS";
            case 1 -> "CUBLAS_STATUS_NOT_INITIALIZED (no CUDA context, or the driver failed to initialise cuBLAS)";
            case 3 -> "CUBLAS_STATUS_ALLOC_FAILED (device memory for cuBLAS's workspace)";
            case 7 -> "CUBLAS_STATUS_INVALID_VALUE (a dimension, leading dimension or enum is out of range)";
            case 8 -> "CUBLAS_STATUS_ARCH_MISMATCH (the GPU lacks a feature the call needs)";
            case 11 -> "CUBLAS_STATUS_MAPPING_ERROR";
            case 13 -> "CUBLAS_STATUS_EXECUTION_FAILED (the kernel failed to launch)";
            case 14 -> "CUBLAS_STATUS_INTERNAL_ERROR";
            case 15 -> "CUBLAS_STATUS_NOT_SUPPORTED";
            case 16 -> "CUBLAS_STATUS_LICENSE_ERROR";
            default -> "unknown cublasStatus_t";
        };
    }
}
