package dev.fluvia.backend.cuda;

/**
 * What {@link CudaBackend#probe()} found, piece by piece. Each field is a one-line description; {@link #missing()} names
 * the first piece that stops the CUDA backend (null when everything is there).
 *
 * @param libcuda the NVIDIA driver library (libcuda.so.1)
 * @param driver  the driver's CUDA version (cuDriverGetVersion) against the required {@value #MIN_DRIVER_VERSION}
 * @param device  the first CUDA device (name, compute capability, memory) or why there is none
 * @param fatbin  the kernel fatbin resource
 * @param cublas  where libcublas was loaded from, or every place tried
 * @param curand  where libcurand was loaded from, or every place tried
 * @param missing the first missing piece ("libcuda", "device", "compute capability 7.5 &lt; 8.0",
 *                "driver 12040 &lt; 13000 (CUDA 13)", "fatbin", "cuBLAS", "cuRAND") or null
 */
public record CudaStatus(String libcuda, String driver, String device, String fatbin, String cublas, String curand, String missing) {
    /** The oldest driver the kernels run on: the fatbin is built with CUDA 13 (cuDriverGetVersion's 1000·major + 10·minor). */
    public static final int MIN_DRIVER_VERSION = 13000;
    /** The lowest compute capability (major·10 + minor) the fatbin carries code for: sm_80. */
    public static final int MIN_COMPUTE_CAPABILITY = 80;

    /** As the canonical constructor, the driver unknown. */
    public CudaStatus(String libcuda, String device, String fatbin, String cublas, String curand, String missing) {
        this(libcuda, "unknown", device, fatbin, cublas, curand, missing);
    }

    /** True when the CUDA backend can be created. */
    public boolean available() { return missing == null; }

    /**
     * The version requirement a device/driver pair fails, as {@link #missing()} names it, or null when both are met:
     * {@code "compute capability 7.5 < 8.0"} or {@code "driver 12040 < 13000 (CUDA 13)"} (the compute capability first).
     */
    public static String unmetRequirement(int ccMajor, int ccMinor, int driverVersion) {
        if (ccMajor * 10 + ccMinor < MIN_COMPUTE_CAPABILITY)
            return "compute capability " + ccMajor + "." + ccMinor + " < " + MIN_COMPUTE_CAPABILITY / 10 + "." + MIN_COMPUTE_CAPABILITY % 10;
        if (driverVersion < MIN_DRIVER_VERSION)
            return "driver " + driverVersion + " < " + MIN_DRIVER_VERSION + " (CUDA " + MIN_DRIVER_VERSION / 1000 + ")";
        return null;
    }

    /** cuDriverGetVersion's number as "13000 (CUDA 13.0)". */
    public static String describeDriverVersion(int v) {
        return v + " (CUDA " + v / 1000 + "." + (v % 1000) / 10 + ")";
    }

    /** A multi-line report, one piece per line. */
    public String report() {
        return "CUDA backend: " + (available() ? "available" : "unavailable (missing: " + missing + ")") + "\n"
                + "  libcuda: " + libcuda + "\n  driver:  " + driver + "\n  device:  " + device + "\n  fatbin:  " + fatbin + "\n"
                + "  cuBLAS:  " + cublas + "\n  cuRAND:  " + curand;
    }

    @Override public String toString() { return report(); }
}
