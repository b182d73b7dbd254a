package dev.fluvia.backend;

import static dev.fluvia.backend.OpsFixture.MM_ATOL;
import static dev.fluvia.backend.OpsFixture.MM_RTOL;

import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.backend.cpu.CpuGemm;
import dev.fluvia.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The Java GEMM kernel ({@code --blas java}) through every packing path: op(A) = A and Aᵀ, op(B) = B and Bᵀ (the
 * transposed weight with the packed-weight cache on and off), shapes whose rows, columns and depth are not multiples of
 * the micro-tile or of a K slice (edge panels, partial last vectors, a last K slice of 1), beta = 0 on a NaN-poisoned C (C
 * must not be read) and beta ≠ 0 — against float64 at the FLOWS.md tolerance, and bit for bit between the vector and the
 * scalar kernels and between 1, 2 and 3 threads. The shapes run one after another on the same backend, so a packing
 * buffer left holding a larger call's values would show up in a smaller call's padding.
 */
class GemmPackingTest {

    @AfterEach void restore() { CpuGemm.setPackCache(true); }

    /** m × n × k: 1-row and 1-column products, 5/7/13 rows around the 6-row tile, widths around 16/32 lanes, k around 256. */
    private static final int[][] SIZES = {
        {1, 1, 1}, {7, 33, 1}, {6, 32, 257}, {13, 17, 9}, {5, 65, 256}, {67, 47, 300}, {19, 100, 513}, {131, 70, 40}, {256, 33, 260},
    };

    /** Every product of {@link #SIZES} × transposes × beta on one backend; the outputs in order. */
    private static List<float[]> run(int threads, boolean vector, boolean packCache, boolean check) {
        CpuGemm.setPackCache(packCache);
        List<float[]> outs = new ArrayList<>();
        try (CpuBackend be = new CpuBackend(threads, vector, CpuGemm.JAVA)) {
            OpsFixture f = new OpsFixture(be, 5);
            for (int[] s : SIZES)
                for (int tr = 0; tr < 4; tr++)
                    for (float beta : new float[] {0f, 0.6f}) {
                        int m = s[0], n = s[1], k = s[2];
                        boolean ta = (tr & 1) != 0, tb = (tr & 2) != 0;
                        float[] a = f.rand(m * k), b = f.rand(k * n), c0 = f.rand(m * n);
                        Tensor at = ta ? f.t(a, k, m) : f.t(a, m, k), bt = tb ? f.t(b, n, k) : f.t(b, k, n);
                        Tensor ct = beta == 0 ? f.poisoned(m, n) : f.t(c0, m, n);
                        float alpha = -1.3f;
                        be.dense().gemm(ta, tb, alpha, at, bt, beta, ct);
                        if (check)
                            f.assertClose("gemm ta=" + ta + " tb=" + tb + " " + m + "x" + n + "x" + k + " beta=" + beta + " vector=" + vector
                                    + " cache=" + packCache, CpuOpsTest.gemmRef(ta, tb, m, n, k, alpha, a, b, beta, c0)[0], ct, MM_ATOL, MM_RTOL);
                        outs.add(be.toHost(ct));
                    }
        }
        return outs;
    }

    private static void same(String what, List<float[]> x, List<float[]> y) {
        for (int i = 0; i < x.size(); i++) OpsFixture.assertBitIdentical(what + " product " + i, x.get(i), y.get(i));
    }

    @Test void everyTransposeAgainstFloat64() {
        run(2, true, true, true);
        run(2, true, false, true);
        run(1, false, false, true);
    }

    @Test void bitIdenticalAcrossKernelsThreadsAndTheWeightCache() {
        List<float[]> ref = run(1, true, true, false);
        same("vector vs scalar", ref, run(1, false, true, false));
        same("1 vs 2 threads", ref, run(2, true, true, false));
        same("1 vs 3 threads", ref, run(3, true, false, false));
        same("cache on vs off", ref, run(1, true, false, false));
        same("scalar 1 vs 2 threads", run(1, false, false, false), run(2, false, false, false));
    }
}
