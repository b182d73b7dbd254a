package dev.fluvia.backend.cuda;

/**
 * What {@link CudaBackend#probe()} found, piece by piece. Each field is a one-line description; {@link #missing()} names
 * the first piece that stops the CUDA backend (null when everything is there).
 *
 * @param libcuda the NVIDIA driver library (libcuda.so.1)
 * @param device  the first CUDA device (name, compute capability, memory) or why there is none
 * @param fatbin  the kernel fatbin resource
 * @param cublas  where libcublas was loaded from, or every place tried
 * @param curand  where libcurand was loaded from, or every place tried
 * @param missing the first missing piece ("libcuda", "device", "fatbin", "cuBLAS", "cuRAND") or null
 */
public record CudaStatus(String libcuda, String device, String fatbin, String cublas, String curand, String missing) {
    /** True when the CUDA backend can be created. */
    public boolean available() { return missing == null; }

    /** A multi-line report, one piece per line. */
    public String report() {
        return "CUDA backend: " + (available() ? "available" : "unavailable (missing: " + missing + ")") + "\n"
                + "  libcuda: " + libcuda + "\n  device:  " + device + "\n  fatbin:  " + fatbin + "\n"
                + "  cuBLAS:  " + cublas + "\n  cuRAND:  " + curand;
    }

    @Override public String toString() { return report(); }
}
