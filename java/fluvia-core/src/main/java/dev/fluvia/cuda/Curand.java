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
 * Hand-written FFM bindings for the cuRAND host API functions Fluvia uses, in jextract's generated style.
 * Signatures and constants follow CUDA 13.0 {@code curand.h} (libcurand.so.10, the same soname since CUDA 11).
 * Lookup: {@code -Dfluvia.curand.path}, then {@code libcurand.so.10}, then pip wheels (see {@link NativeLibrary}).
 */
public final class Curand {
    /** curandRngType_t */
    public static final int CURAND_RNG_PSEUDO_DEFAULT = 100, CURAND_RNG_PSEUDO_XORWOW = 101, CURAND_RNG_PSEUDO_PHILOX4_32_10 = 161;

    public static final String PATH_PROPERTY = "fluvia.curand.path";
    public static final List<String> SONAMES = List.of("libcurand.so.10");

    private static final Linker LINKER = Linker.nativeLinker();

    /** {@code curandStatus_t curandCreateGenerator(curandGenerator_t *generator, curandRngType_t rng_type)} */
    static final class curandCreateGenerator { static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT); }
    /** {@code curandStatus_t curandSetPseudoRandomGeneratorSeed(curandGenerator_t generator, unsigned long long seed)} */
    static final class curandSetPseudoRandomGeneratorSeed { static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG); }
    /** {@code curandStatus_t curandSetGeneratorOffset(curandGenerator_t generator, unsigned long long offset)} */
    static final class curandSetGeneratorOffset { static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG); }
    /** {@code curandStatus_t curandSetStream(curandGenerator_t generator, cudaStream_t stream)} */
    static final class curandSetStream { static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS); }
    /** {@code curandStatus_t curandGenerateNormal(curandGenerator_t generator, float *outputPtr, size_t n, float mean, float stddev)} */
    static final class curandGenerateNormal { static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG, JAVA_FLOAT, JAVA_FLOAT); }
    /** {@code curandStatus_t curandGenerateUniform(curandGenerator_t generator, float *outputPtr, size_t num)} */
    static final class curandGenerateUniform { static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG); }
    /** {@code curandStatus_t curandDestroyGenerator(curandGenerator_t generator)} */
    static final class curandDestroyGenerator { static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, ADDRESS); }

    private final String source;
    private final MethodHandle create, setSeed, setOffset, setStream, normal, uniform, destroy;

    private Curand(NativeLibrary.Loaded lib) {
        source = lib.source();
        SymbolLookup l = lib.lookup();
        create = bind(l, "curandCreateGenerator", curandCreateGenerator.DESC);
        setSeed = bind(l, "curandSetPseudoRandomGeneratorSeed", curandSetPseudoRandomGeneratorSeed.DESC);
        setOffset = bind(l, "curandSetGeneratorOffset", curandSetGeneratorOffset.DESC);
        setStream = bind(l, "curandSetStream", curandSetStream.DESC);
        normal = bind(l, "curandGenerateNormal", curandGenerateNormal.DESC);
        uniform = bind(l, "curandGenerateUniform", curandGenerateUniform.DESC);
        destroy = bind(l, "curandDestroyGenerator", curandDestroyGenerator.DESC);
    }

    /** Loads libcurand; throws BackendUnavailableException naming every place tried. */
    public static Curand load() { return new Curand(NativeLibrary.load("cuRAND", PATH_PROPERTY, SONAMES, "curand")); }

    public String source() { return source; }

    private static MethodHandle bind(SymbolLookup l, String name, FunctionDescriptor d) {
        MemorySegment sym = l.find(name).orElseThrow(() ->
                new dev.fluvia.FluviaException.BackendUnavailableException("cuRAND library lacks the symbol " + name));
        return LINKER.downcallHandle(sym, d);
    }

    public MemorySegment createGenerator(int type) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ADDRESS);
            check((int) create.invokeExact(out, type), "curandCreateGenerator");
            return out.get(ADDRESS, 0);
        } catch (RuntimeException | Error e) { throw e; } catch (Throwable t) { throw new IllegalStateException(t); }
    }

    public void setSeed(MemorySegment gen, long seed) {
        try { check((int) setSeed.invokeExact(gen, seed), "curandSetPseudoRandomGeneratorSeed"); }
        catch (RuntimeException | Error e) { throw e; } catch (Throwable t) { throw new IllegalStateException(t); }
    }

    public void setOffset(MemorySegment gen, long offset) {
        try { check((int) setOffset.invokeExact(gen, offset), "curandSetGeneratorOffset"); }
        catch (RuntimeException | Error e) { throw e; } catch (Throwable t) { throw new IllegalStateException(t); }
    }

    public void setStream(MemorySegment gen, long stream) {
        try { check((int) setStream.invokeExact(gen, MemorySegment.ofAddress(stream)), "curandSetStream"); }
        catch (RuntimeException | Error e) { throw e; } catch (Throwable t) { throw new IllegalStateException(t); }
    }

    /** n normal floats into device memory at {@code ptr}; n must be even for the pseudo-random generators (curand.h). */
    public void generateNormal(MemorySegment gen, long ptr, long n, float mean, float std) {
        try { check((int) normal.invokeExact(gen, MemorySegment.ofAddress(ptr), n, mean, std), "curandGenerateNormal"); }
        catch (RuntimeException | Error e) { throw e; } catch (Throwable t) { throw new IllegalStateException(t); }
    }

    /** n uniform floats in (0, 1] into device memory at {@code ptr}. */
    public void generateUniform(MemorySegment gen, long ptr, long n) {
        try { check((int) uniform.invokeExact(gen, MemorySegment.ofAddress(ptr), n), "curandGenerateUniform"); }
        catch (RuntimeException | Error e) { throw e; } catch (Throwable t) { throw new IllegalStateException(t); }
    }

    public void destroyGenerator(MemorySegment gen) {
        try { check((int) destroy.invokeExact(gen), "curandDestroyGenerator"); }
        catch (RuntimeException | Error e) { throw e; } catch (Throwable t) { throw new IllegalStateException(t); }
    }

    public static void check(int status, String call) {
        if (status != 0) throw new CudaLibraryException(call, status, statusName(status));
    }

    /** curandStatus_t names (curand.h). */
    public static String statusName(int s) {
        return switch (s) {
            case 0 -> "CURAND_STATUS_SUCCESS";
            case 100 -> "CURAND_STATUS_VERSION_MISMATCH (header and library versions differ)";
            case 101 -> "CURAND_STATUS_NOT_INITIALIZED";
            case 102 -> "CURAND_STATUS_ALLOCATION_FAILED";
            case 103 -> "CURAND_STATUS_TYPE_ERROR (wrong generator type)";
            case 104 -> "CURAND_STATUS_OUT_OF_RANGE";
            case 105 -> "CURAND_STATUS_LENGTH_NOT_MULTIPLE (normal generation needs an even count)";
            case 106 -> "CURAND_STATUS_DOUBLE_PRECISION_REQUIRED";
            case 201 -> "CURAND_STATUS_LAUNCH_FAILURE";
            case 202 -> "CURAND_STATUS_PREEXISTING_FAILURE";
            case 203 -> "CURAND_STATUS_INITIALIZATION_FAILED";
            case 204 -> "CURAND_STATUS_ARCH_MISMATCH";
            case 999 -> "CURAND_STATUS_INTERNAL_ERROR";
            default -> "unknown curandStatus_t";
        };
    }
}
