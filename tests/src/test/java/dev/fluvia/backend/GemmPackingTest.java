package dev.fluvia.backend;

import static dev.fluvia.backend.OpsFixture.MM_ATOL;
import static dev.fluvia.backend.OpsFixture.MM_RTOL;

import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.backend.cpu.CpuGemm;
import dev.fluvia.backend.Activation;
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
        {265, 40, 270}, // one row past the strip-by-strip order of deep products (Gemm.STRIPWISE_M = 264): the row-block order
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

    /**
     * Linear layers with K &gt; one slice and at most 264 rows, with the weight cache off: the strip-by-strip order of deep
     * products, with an epilogue, and the prefix-sparse product on the same path (extents cut inside and past a K slice).
     * The prefix layer must give the dense layer's bits, and both the scalar kernel's bits, at 1 and 3 threads.
     */
    @Test void deepLinearLayersStripByStripKeepTheirBits() {
        CpuGemm.setPackCache(false);
        List<float[]> ref = null;
        for (int threads : new int[] {1, 3})
            for (boolean vector : new boolean[] {true, false}) {
                List<float[]> outs = new ArrayList<>();
                try (CpuBackend be = new CpuBackend(threads, vector, CpuGemm.JAVA)) {
                    OpsFixture f = new OpsFixture(be, 9);
                    for (int[] sh : new int[][] {{7, 300, 45}, {200, 513, 70}, {264, 300, 33}}) {
                        int n = sh[0], in = sh[1], out = sh[2];
                        int[] ext = new int[out];
                        for (int o = 0; o < out; o++) ext[o] = (int) ((long) in * o / (out - 1)); // 0 .. in, cutting every slice
                        float[] x = f.rand(n * in), w = f.rand(out * in), b = f.rand(out);
                        for (int o = 0; o < out; o++) for (int q = ext[o]; q < in; q++) w[o * in + q] = 0f;
                        for (Activation act : new Activation[] {Activation.TANH, Activation.IDENTITY}) {
                            Tensor xt = f.t(x, n, in), wt = f.t(w, out, in), bt = f.t(b, out);
                            Tensor y1 = f.poisoned(n, out), p1 = f.poisoned(n, out), y2 = f.poisoned(n, out), p2 = f.poisoned(n, out);
                            be.dense().linearForward(xt, wt, bt, act, p1, y1);
                            be.dense().prefixLinearForward(xt, wt, be.index(ext), bt, act, p2, y2);
                            String what = n + "x" + in + "->" + out + " " + act + " threads=" + threads + " vector=" + vector;
                            OpsFixture.assertBitIdentical("prefix vs dense " + what, be.toHost(y1), be.toHost(y2));
                            OpsFixture.assertBitIdentical("prefix vs dense pre " + what, be.toHost(p1), be.toHost(p2));
                            outs.add(be.toHost(y1));
                            outs.add(be.toHost(p1));
                        }
                    }
                }
                if (ref == null) ref = outs;
                else same("threads=" + threads + " vector=" + vector, ref, outs);
            }
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
