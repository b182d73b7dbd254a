package dev.fluvia.backend.cuda;

import static jcuda.driver.JCudaDriver.*;

import dev.fluvia.cuda.Cublas;
import dev.fluvia.cuda.Curand;
import dev.fluvia.cuda.NativeLibrary;

/** The CUDA backend's probe ({@link CudaBackend#probe}): what is there and what is missing, without crashing the JVM. */
final class CudaProbe {
    private CudaProbe() {}

    /**
     * Checks every piece the backend needs (libcuda, a driver for CUDA 13, a device of compute capability 8.0 or higher, the
     * fatbin, cuBLAS, cuRAND) without ever crashing the JVM.
     */
    static CudaStatus probe() {
        String missing = null;
        String fatbin = CudaRuntime.class.getResource(CudaRuntime.FATBIN_RESOURCE) != null
                ? "present (" + CudaRuntime.FATBIN_RESOURCE + ")"
                : "absent: the jar was built without nvcc (run scripts/gpu/build-kernels.sh, then rebuild)";
        String libcuda, device, driver;
        if (NativeLibrary.loadable("libcuda.so.1")) {
            libcuda = "libcuda.so.1 loaded";
            DeviceInfo info = describeDevice();
            device = info.description();
            driver = info.driverVersion() > 0
                    ? CudaStatus.describeDriverVersion(info.driverVersion()) + ", needs >= " + CudaStatus.MIN_DRIVER_VERSION
                    : "unknown";
            if (info.ccMajor() < 0) missing = "device";
            else missing = CudaStatus.unmetRequirement(info.ccMajor(), info.ccMinor(), info.driverVersion());
        } else {
            libcuda = "libcuda.so.1 not found (no NVIDIA driver on this machine)";
            driver = "unknown (needs libcuda)";
            device = "unknown (needs libcuda)";
            missing = "libcuda";
        }
        if (missing == null && fatbin.startsWith("absent")) missing = "fatbin";
        String cublas, curand;
        try { cublas = "loaded from " + Cublas.load().source(); }
        catch (RuntimeException | LinkageError e) { cublas = String.valueOf(e.getMessage()); if (missing == null) missing = "cuBLAS"; }
        try { curand = "loaded from " + Curand.load().source(); }
        catch (RuntimeException | LinkageError e) { curand = String.valueOf(e.getMessage()); if (missing == null) missing = "cuRAND"; }
        return new CudaStatus(libcuda, driver, device, fatbin, cublas, curand, missing);
    }

    /** Device 0 as the probe sees it: ccMajor &lt; 0 when there is none (the description says why); driverVersion 0 when unknown. */
    private record DeviceInfo(String description, int ccMajor, int ccMinor, int driverVersion) {}

    private static DeviceInfo describeDevice() {
        int driverVersion = 0;
        try {
            setExceptionsEnabled(true);
            cuInit(0);
            int[] v = {0};
            cuDriverGetVersion(v);
            driverVersion = v[0];
            int[] n = {0};
            cuDeviceGetCount(n);
            if (n[0] == 0) return new DeviceInfo("none: the driver reports no CUDA device", -1, 0, driverVersion);
            jcuda.driver.CUdevice d = new jcuda.driver.CUdevice();
            cuDeviceGet(d, 0);
            byte[] name = new byte[256];
            cuDeviceGetName(name, name.length, d);
            int[] maj = {0}, min = {0};
            cuDeviceGetAttribute(maj, jcuda.driver.CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, d);
            cuDeviceGetAttribute(min, jcuda.driver.CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, d);
            long[] mem = {0};
            cuDeviceTotalMem(mem, d);
            return new DeviceInfo(new String(name).trim().replace("\0", "") + " (sm_" + maj[0] + min[0] + ", compute capability "
                    + maj[0] + "." + min[0] + ", " + (mem[0] >> 20) + " MiB), " + n[0] + " device(s)", maj[0], min[0], driverVersion);
        } catch (Throwable e) {  // UnsatisfiedLinkError (JCuda natives), CudaException (driver): report, never crash
            return new DeviceInfo("none: " + e.getClass().getSimpleName() + ": " + e.getMessage(), -1, 0, driverVersion);
        }
    }
}
