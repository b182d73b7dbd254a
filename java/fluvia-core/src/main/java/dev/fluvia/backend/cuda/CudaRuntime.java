package dev.fluvia.backend.cuda;

import static jcuda.driver.JCudaDriver.*;

import dev.fluvia.FluviaException;
import dev.fluvia.FluviaException.BackendUnavailableException;
import java.io.IOException;
import java.io.InputStream;
import java.util.HashMap;
import java.util.Map;
import jcuda.NativePointerObject;
import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUevent;
import jcuda.driver.CUfunction;
import jcuda.driver.CUfunction_attribute;
import jcuda.driver.CUmodule;
import jcuda.driver.CUstream_flags;

/**
 * The CUDA driver side of the backend, through JCuda: device 0, its <b>primary</b> context (so that cuBLAS and cuRAND,
 * which use the runtime API's primary context, share it), the kernel module loaded from the fatbin bytes, a compute stream
 * and a copy stream, and kernel launches by name (for the typed launchers of the op families, through {@link CudaContext}).
 */
final class CudaRuntime {
    /** Class-path location of the fatbin built by CMakeLists.txt (java/fluvia-core/pom.xml copies it from build/). */
    static final String FATBIN_RESOURCE = "/dev/fluvia/cuda/fluvia_kernels.fatbin";

    final CUdevice device = new CUdevice();
    final CUcontext context = new CUcontext();
    final CUmodule module = new CUmodule();
    final CudaStream compute = new CudaStream();
    final CudaStream copy = new CudaStream();
    final String deviceName;
    final int multiprocessors, ccMajor, ccMinor, sharedOptin;
    private final Map<String, CUfunction> functions = new HashMap<>();
    private final ThreadLocal<Boolean> current = ThreadLocal.withInitial(() -> false);

    /** What the constructor has created so far, released in reverse order when a later step fails. */
    private boolean contextRetained, moduleLoaded, computeCreated, copyCreated;

    CudaRuntime() {
        setExceptionsEnabled(true);
        cuInit(0);
        int[] count = {0};
        cuDeviceGetCount(count);
        if (count[0] == 0) throw new BackendUnavailableException("CUDA backend unavailable: the driver reports no CUDA device");
        cuDeviceGet(device, 0);
        byte[] name = new byte[256];
        cuDeviceGetName(name, name.length, device);
        deviceName = new String(name).trim().replace("\0", "");
        multiprocessors = attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT);
        ccMajor = attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR);
        ccMinor = attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
        sharedOptin = attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN);
        try {
            cuDevicePrimaryCtxRetain(context, device);
            contextRetained = true;
            makeCurrent();
            byte[] fatbin = fatbinBytes();
            if (fatbin == null) throw new BackendUnavailableException("CUDA backend unavailable: no kernel fatbin on the class path ("
                    + FATBIN_RESOURCE + "); build it with scripts/gpu/build-kernels.sh and rebuild the jar");
            byte[] z = java.util.Arrays.copyOf(fatbin, fatbin.length + 1);  // cuModuleLoadData reads an image; keep it NUL-terminated
            cuModuleLoadData(module, z);  // CUDA_ERROR_NO_BINARY_FOR_GPU on a device the fatbin has no code for
            moduleLoaded = true;
            cuStreamCreate(compute, CUstream_flags.CU_STREAM_NON_BLOCKING);
            computeCreated = true;
            cuStreamCreate(copy, CUstream_flags.CU_STREAM_NON_BLOCKING);
            copyCreated = true;
        } catch (RuntimeException | Error e) {
            closeAfterFailure(e);
            throw e;
        }
    }

    /**
     * Releases whatever has been created (streams, module, the primary-context reference) after a start-up step failed;
     * errors while releasing are added to {@code failure} as suppressed exceptions. Safe to call more than once.
     */
    void closeAfterFailure(Throwable failure) {
        if (copyCreated) { copyCreated = false; quietly(failure, () -> cuStreamDestroy(copy)); }
        if (computeCreated) { computeCreated = false; quietly(failure, () -> cuStreamDestroy(compute)); }
        if (moduleLoaded) { moduleLoaded = false; quietly(failure, () -> cuModuleUnload(module)); }
        if (contextRetained) { contextRetained = false; quietly(failure, () -> cuDevicePrimaryCtxRelease(device)); }
        current.remove();
    }

    private static void quietly(Throwable failure, Runnable step) {
        try { step.run(); } catch (RuntimeException | Error e) { if (failure != null && failure != e) failure.addSuppressed(e); }
    }

    /** The fatbin resource's bytes, or null when the jar was built without nvcc. */
    static byte[] fatbinBytes() {
        try (InputStream in = CudaRuntime.class.getResourceAsStream(FATBIN_RESOURCE)) {
            return in == null ? null : in.readAllBytes();
        } catch (IOException e) {
            throw new FluviaException("cannot read " + FATBIN_RESOURCE + ": " + e.getMessage(), e);
        }
    }

    int attribute(int attr) {
        int[] v = {0};
        cuDeviceGetAttribute(v, attr, device);
        return v[0];
    }

    /** Makes the primary context current on the calling thread (once per thread). */
    void makeCurrent() {
        if (!current.get()) {
            cuCtxSetCurrent(context);
            current.set(true);
        }
    }

    CUfunction function(String name) {
        return functions.computeIfAbsent(name, n -> {
            CUfunction f = new CUfunction();
            cuModuleGetFunction(f, module, n);
            return f;
        });
    }

    /** Raises a kernel's dynamic shared-memory limit when it needs more than the default 48 KiB. */
    void allowSharedMemory(String kernel, int bytes) {
        if (bytes <= 48 * 1024) return;
        if (bytes > sharedOptin)
            throw new FluviaException(kernel + " needs " + bytes + " bytes of shared memory; the device allows " + sharedOptin);
        cuFuncSetAttribute(function(kernel), CUfunction_attribute.CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, bytes);
    }

    /** Threads per block of the grid-stride element-wise kernels, and of the warp-per-row kernels (a warp per row). */
    static final int THREADS = 256, ROW_THREADS = 128;

    /** Blocks of a grid-stride kernel over {@code count} elements (at most 32 per multiprocessor). */
    int gridFor(long count) {
        long blocks = (count + THREADS - 1) / THREADS;
        return (int) Math.max(1, Math.min(blocks, (long) multiprocessors * 32));
    }

    /**
     * Launches {@code kernel} on the compute stream; called only by the typed launchers of the op families (through {@link CudaContext#go}). Arguments: a
     * {@link DeviceAddress} and null (a null pointer) become pointers; Integer → int, Long → long long, Float → float,
     * Double → double.
     */
    void launch(String kernel, int gridX, int gridY, int block, int sharedBytes, Object... args) {
        LaunchTrace.launched(kernel, gridX, gridY, block, sharedBytes, args);
        NativePointerObject[] ps = new NativePointerObject[args.length];
        for (int i = 0; i < args.length; i++) ps[i] = arg(args[i]);
        cuLaunchKernel(function(kernel), gridX, gridY, 1, block, 1, 1, sharedBytes, compute, Pointer.to(ps), null);
    }

    /** Launches {@code kernel} with geometry {@code g} ({@link Launch#NONE}: nothing); for the typed launchers only. */
    void launch(String kernel, Launch g, Object... args) {
        if (g == Launch.NONE) return;
        launch(kernel, g.gridX(), g.gridY(), g.block(), g.sharedBytes(), args);
    }

    /** A grid-stride element-wise launch over {@code count} elements ({@link Launch#NONE} when there are none). */
    Launch elementwise(long count) {
        makeCurrent();
        if (count == 0) return Launch.NONE;
        return new Launch(gridFor(count), 1, THREADS, 0);
    }

    /** A warp-per-row launch over {@code rows} rows ({@link Launch#NONE} when there are none). */
    Launch rows(long rows) {
        makeCurrent();
        if (rows == 0) return Launch.NONE;
        long blocks = (rows + (ROW_THREADS / 32) - 1) / (ROW_THREADS / 32);
        return new Launch((int) Math.max(1, Math.min(blocks, (long) multiprocessors * 64)), 1, ROW_THREADS, 0);
    }

    private static Pointer arg(Object a) {
        return switch (a) {
            case null -> Pointer.to(new long[] {0L});
            case DeviceAddress p -> Pointer.to(new long[] {p.address()});
            case Integer v -> Pointer.to(new int[] {v});
            case Long v -> Pointer.to(new long[] {v});
            case Float v -> Pointer.to(new float[] {v});
            case Double v -> Pointer.to(new double[] {v});
            default -> throw new IllegalArgumentException("unsupported kernel argument " + a.getClass());
        };
    }

    /** An event recorded on {@code stream} (caller destroys it). */
    CUevent record(CudaStream stream) {
        CUevent e = new CUevent();
        cuEventCreate(e, 0);
        cuEventRecord(e, stream);
        return e;
    }

    /** Makes {@code waiter} wait for all work queued so far on {@code on}. */
    void order(CudaStream on, CudaStream waiter) {
        CUevent e = record(on);
        cuStreamWaitEvent(waiter, e, 0);
        cuEventDestroy(e);
    }

    void close() {
        cuStreamSynchronize(compute);
        cuStreamSynchronize(copy);
        cuStreamDestroy(compute);
        computeCreated = false;
        cuStreamDestroy(copy);
        copyCreated = false;
        cuModuleUnload(module);
        moduleLoaded = false;
        cuDevicePrimaryCtxRelease(device);
        contextRetained = false;
    }
}
