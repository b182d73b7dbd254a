package dev.fluvia.backend.cpu;

import java.lang.foreign.MemorySegment;

/** Row-major SGEMM for the CPU backend: C = alpha·op(A)·op(B) + beta·C, parallel over row blocks of C. */
final class Gemm {
    private Gemm() {}

    static void gemm(CpuBackend be, boolean ta, boolean tb, int m, int n, int k, float alpha,
                     MemorySegment a, MemorySegment b, float beta, MemorySegment c) {
        int lda = ta ? m : k, ldb = tb ? k : n;
        int rowsPer = 16;
        int chunks = (m + rowsPer - 1) / rowsPer;
        be.forChunks(chunks, ch -> {
            float[] bcol = new float[k];
            float[] arow = new float[k];
            for (int i = ch * rowsPer, ie = Math.min(m, (ch + 1) * rowsPer); i < ie; i++) {
                for (int q = 0; q < k; q++) arow[q] = ta ? a.getAtIndex(HostTensor.F, (long) q * lda + i) : a.getAtIndex(HostTensor.F, (long) i * lda + q);
                for (int j = 0; j < n; j++) {
                    float s = 0;
                    for (int q = 0; q < k; q++) {
                        float bv = tb ? b.getAtIndex(HostTensor.F, (long) j * ldb + q) : b.getAtIndex(HostTensor.F, (long) q * ldb + j);
                        s += arow[q] * bv;
                    }
                    long ci = (long) i * n + j;
                    float old = beta == 0f ? 0f : beta * c.getAtIndex(HostTensor.F, ci);
                    c.setAtIndex(HostTensor.F, ci, alpha * s + old);
                }
            }
        });
    }
}
