// Fluvia's Java CUDA backend (unmodified) on the emulator: row-major GEMM through cuBLAS vs a reference, a captured
// graph replayed, host round trips. Run by backend_smoke.sh with the compiled classes of java/fluvia (not a ctest yet).
// (Before main's toHost fix it failed: CudaBackend.toHost called toArray(JAVA_FLOAT) on a 1-byte-aligned byte[] segment.)
import dev.fluvia.backend.cuda.CudaBackend;
import dev.fluvia.tensor.Tensor;

public class BackendSmoke {
    public static void main(String[] args) {
        try (CudaBackend be = CudaBackend.create()) {
            int m = 5, k = 7, n = 3;
            float[] a = new float[m * k], b = new float[k * n];
            for (int i = 0; i < a.length; i++) a[i] = (i % 5) - 2;
            for (int i = 0; i < b.length; i++) b[i] = (i % 3) * 0.5f;
            Tensor ta = be.fromHost(a, m, k), tb = be.fromHost(b, k, n), tc = be.alloc(m, n);
            be.dense().gemm(false, false, 1f, ta, tb, 0f, tc);
            float[] c = be.toHost(tc);
            double worst = 0;
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++) {
                    double r = 0;
                    for (int l = 0; l < k; l++) r += a[i * k + l] * b[l * n + j];
                    worst = Math.max(worst, Math.abs(r - c[i * n + j]));
                }
            if (worst > 1e-5) throw new AssertionError("gemm differs by " + worst);
            System.out.println("ok: row-major gemm through cuBLAS");
            try (CudaBackend.CudaGraph g = be.captureGraph(() -> be.dense().gemm(false, false, 1f, ta, tb, 1f, tc))) {
                g.replay();
                g.replay();
            }
            float[] c3 = be.toHost(tc);
            for (int i = 0; i < c.length; i++)
                if (Math.abs(c3[i] - 3 * c[i]) > 1e-4) throw new AssertionError("graph replay: " + c3[i] + " vs " + 3 * c[i]);
            System.out.println("ok: captured graph replayed twice");
            System.out.println("BackendSmoke: all passed on " + be.deviceName());
        }
    }
}
