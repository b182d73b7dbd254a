package dev.fluvia.backend.cuda;

/** Prints {@link CudaBackend#probe()}'s report; exit status 0 when the CUDA backend is available, 1 otherwise. */
public final class CudaProbeMain {
    private CudaProbeMain() {}

    public static void main(String[] args) {
        CudaStatus s = CudaBackend.probe();
        System.out.println(s.report());
        System.exit(s.available() ? 0 : 1);
    }
}
