package dev.fluvia.backend;

import static dev.fluvia.backend.OpsFixture.MM_ATOL;
import static dev.fluvia.backend.OpsFixture.MM_RTOL;
import static dev.fluvia.backend.OpsFixture.dbl;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fluvia.FluviaException.UnknownNameException;
import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.backend.cpu.CpuGemm;
import dev.fluvia.tensor.Tensor;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The BLAS GEMM provider (OpenBLAS's {@code cblas_sgemm} through FFM) against the Java kernel (vector and scalar, which agree
 * bit for bit) and a float64 reference, on
 * odd shapes, all transposes, alpha/beta, at 1 and 2 threads (products large enough to be split between the threads by rows
 * and by columns), and the linear layer's fused epilogue through it. CI installs the library ({@code .ci/run} sets
 * {@code FLUVIA_REQUIRE_BLAS=1}, which turns a missing library into a failure); elsewhere these tests are skipped, with the
 * reason, when it is absent (the Java kernel's own test still runs).
 */
class BlasGemmTest {

    @BeforeAll static void libraryPresentWhereRequired() {
        if ("1".equals(System.getenv("FLUVIA_REQUIRE_BLAS")))
            assertTrue(CpuGemm.blasAvailable(), "FLUVIA_REQUIRE_BLAS=1 but " + CpuGemm.blasStatus());
    }

    private static void needBlas() {
        Assumptions.assumeTrue(CpuGemm.blasAvailable(), () -> "BLAS library absent here: " + CpuGemm.blasStatus());
    }

    private static final int[][] SHAPES = { // m, n, k: tiny, odd, K deeper than the Java kernel's slice, wide N, split by rows / by columns
            {1, 1, 1}, {2, 3, 2}, {37, 63, 5}, {65, 17, 300}, {13, 1030, 3}, {97, 40, 784}, {301, 70, 103}, {40, 333, 157},
            {300, 3, 70}, {517, 16, 260}, {700, 1, 5}}; // the last three, transposed A: the Java kernel's narrow-output path (GemmNarrow)

    @ParameterizedTest(name = "threads={0}")
    @ValueSource(ints = {1, 2})
    void blasAndJavaKernelAgainstFloat64(int threads) {
        needBlas();
        try (CpuBackend blas = new CpuBackend(threads, true, CpuGemm.OPENBLAS);
             CpuBackend java = new CpuBackend(threads, true, CpuGemm.JAVA);
             CpuBackend scalar = new CpuBackend(threads, false, CpuGemm.JAVA)) {
            assertTrue(blas.gemm().contains("cblas") || blas.gemm().contains("OpenBLAS") || blas.gemm().contains("BLIS"), blas.gemm());
            assertTrue(java.gemm().startsWith("Java kernel"), java.gemm());
            OpsFixture fb = new OpsFixture(blas, 7), fj = new OpsFixture(java, 7), fs = new OpsFixture(scalar, 7);
            for (int[] s : SHAPES)
                for (int tr = 0; tr < 4; tr++)
                    for (float beta : new float[] {0f, -1.3f}) {
                        int m = s[0], n = s[1], k = s[2];
                        boolean ta = (tr & 1) != 0, tb = (tr & 2) != 0;
                        float[] a = fb.rand(m * k), b = fb.rand(k * n), c0 = fb.rand(m * n);
                        double[] ref = CpuOpsTest.gemmRef(ta, tb, m, n, k, 0.7f, a, b, beta, c0)[0];
                        String what = "ta=" + ta + " tb=" + tb + " " + m + "x" + n + "x" + k + " beta=" + beta + " threads=" + threads;
                        float[] viaBlas = run(fb, ta, tb, m, n, k, a, b, beta, c0), viaJava = run(fj, ta, tb, m, n, k, a, b, beta, c0);
                        OpsFixture.assertClose("blas " + what, ref, viaBlas, MM_ATOL, MM_RTOL);
                        OpsFixture.assertClose("java " + what, ref, viaJava, MM_ATOL, MM_RTOL);
                        OpsFixture.assertClose("blas vs java " + what, dbl(viaJava), viaBlas, MM_ATOL, MM_RTOL);
                        OpsFixture.assertBitIdentical("java vector vs scalar " + what, viaJava, run(fs, ta, tb, m, n, k, a, b, beta, c0));
                    }
        }
    }

    /** The Java kernel alone (runs with or without the library): vector and scalar against float64, vector = scalar bit for bit. */
    @ParameterizedTest(name = "threads={0}")
    @ValueSource(ints = {1, 2})
    void javaKernelAgainstFloat64(int threads) {
        try (CpuBackend java = new CpuBackend(threads, true, CpuGemm.JAVA); CpuBackend scalar = new CpuBackend(threads, false, CpuGemm.JAVA)) {
            OpsFixture fj = new OpsFixture(java, 11), fs = new OpsFixture(scalar, 11);
            for (int[] s : SHAPES)
                for (int tr = 0; tr < 4; tr++) {
                    int m = s[0], n = s[1], k = s[2];
                    boolean ta = (tr & 1) != 0, tb = (tr & 2) != 0;
                    float[] a = fj.rand(m * k), b = fj.rand(k * n), c0 = fj.rand(m * n);
                    String what = "ta=" + ta + " tb=" + tb + " " + m + "x" + n + "x" + k + " threads=" + threads;
                    float[] v = run(fj, ta, tb, m, n, k, a, b, 0.4f, c0);
                    OpsFixture.assertClose("java " + what, CpuOpsTest.gemmRef(ta, tb, m, n, k, 0.7f, a, b, 0.4f, c0)[0], v, MM_ATOL, MM_RTOL);
                    OpsFixture.assertBitIdentical("java vector vs scalar " + what, v, run(fs, ta, tb, m, n, k, a, b, 0.4f, c0));
                }
        }
    }

    private static float[] run(OpsFixture f, boolean ta, boolean tb, int m, int n, int k, float[] a, float[] b, float beta, float[] c0) {
        Tensor at = ta ? f.t(a, k, m) : f.t(a, m, k), bt = tb ? f.t(b, n, k) : f.t(b, k, n);
        Tensor ct = beta == 0 ? f.poisoned(m, n) : f.t(c0, m, n); // beta = 0 must not read C
        f.be.dense().gemm(ta, tb, 0.7f, at, bt, beta, ct);
        return f.be.toHost(ct);
    }

    /** {y, pre} of one linearForward (x, w, bias drawn from {@code seed}; y and pre poisoned first) on a fresh backend. */
    private static float[][] linearLayer(int threads, boolean vector, String gemm, long seed, int n, int in, int out, Activation act) {
        try (CpuBackend be = new CpuBackend(threads, vector, gemm)) {
            OpsFixture f = new OpsFixture(be, seed);
            Tensor x = f.t(f.rand(n * in), n, in), w = f.t(f.rand(out * in, 0.3), out, in), bias = f.t(f.rand(out), out);
            Tensor pre = f.poisoned(n, out), y = f.poisoned(n, out);
            be.dense().linearForward(x, w, bias, act, pre, y);
            return new float[][] {be.toHost(y), be.toHost(pre)};
        }
    }

    /** linearForward through BLAS (bias, pre-activation and activation applied after the product) vs the Java kernel's fused write-back. */
    @Test void linearLayerEpilogueMatchesJavaKernel() {
        needBlas();
        for (int threads : new int[] {1, 2})
            for (Activation act : Activation.values())
                for (int[] s : new int[][] {{5, 3, 1}, {300, 70, 130}, {33, 250, 200}}) { // rows, in, out
                    int n = s[0], in = s[1], out = s[2];
                    float[][] got = new float[2][], gotPre = new float[2][];
                    for (int v = 0; v < 2; v++) {
                        float[][] r = linearLayer(threads, true, v == 0 ? CpuGemm.OPENBLAS : CpuGemm.JAVA, 3, n, in, out, act);
                        got[v] = r[0];
                        gotPre[v] = r[1];
                    }
                    String what = act + " " + n + "x" + in + "->" + out + " threads=" + threads;
                    OpsFixture.assertClose("pre " + what, dbl(gotPre[1]), gotPre[0], MM_ATOL, MM_RTOL);
                    OpsFixture.assertClose("y " + what, dbl(got[1]), got[0], MM_ATOL, MM_RTOL);
                }
    }

    /** The vector and scalar epilogues perform the same float operations: bit-identical through BLAS too; and run to run. */
    @Test void blasEpilogueVectorScalarAndRunToRunBitIdentical() {
        needBlas();
        float[][] outs = new float[3][];
        for (int v = 0; v < 3; v++)
            try (CpuBackend be = new CpuBackend(2, v != 1, CpuGemm.OPENBLAS)) {
                OpsFixture f = new OpsFixture(be, 5);
                int n = 301, in = 67, out = 129;
                Tensor x = f.t(f.rand(n * in), n, in), w = f.t(f.rand(out * in, 0.3), out, in), bias = f.t(f.rand(out), out);
                Tensor pre = f.poisoned(n, out), y = f.poisoned(n, out);
                be.dense().linearForward(x, w, bias, Activation.RELU, pre, y);
                float[] a = be.toHost(y), p = be.toHost(pre);
                outs[v] = new float[a.length + p.length];
                System.arraycopy(a, 0, outs[v], 0, a.length);
                System.arraycopy(p, 0, outs[v], a.length, p.length);
            }
        OpsFixture.assertBitIdentical("vector vs scalar epilogue", outs[0], outs[1]);
        OpsFixture.assertBitIdentical("run 1 vs run 2", outs[0], outs[2]);
    }

    /**
     * The narrow epilogues under BLAS: outputs of 1, 2, 4 or 8 columns (a flat vector run across rows) and the K = 1 input
     * layer (the narrow-input kernel, epilogue fused) give the scalar epilogue's bits for every activation, with the
     * pre-activation kept; K = 1 also gives the Java kernel's bits.
     */
    @Test void blasNarrowEpiloguesVectorScalarBitIdentical() {
        needBlas();
        for (Activation act : Activation.values())
            for (int[] s : new int[][] {{301, 64, 2}, {203, 5, 4}, {37, 3, 8}, {33, 7, 1}, {301, 1, 64}, {19, 1, 3}}) { // rows, in, out
                int n = s[0], in = s[1], out = s[2];
                float[][] y = new float[3][], pre = new float[3][];
                for (int v = 0; v < 3; v++) {
                    float[][] r = linearLayer(1, v != 1, v == 2 ? CpuGemm.JAVA : CpuGemm.OPENBLAS, 9, n, in, out, act);
                    y[v] = r[0];
                    pre[v] = r[1];
                }
                String what = act + " " + n + "x" + in + "->" + out;
                OpsFixture.assertBitIdentical("y vector vs scalar " + what, y[0], y[1]);
                OpsFixture.assertBitIdentical("pre vector vs scalar " + what, pre[0], pre[1]);
                if (in == 1) {
                    OpsFixture.assertBitIdentical("y blas vs java " + what, y[0], y[2]);
                    OpsFixture.assertBitIdentical("pre blas vs java " + what, pre[0], pre[2]);
                }
            }
    }

    /** The split into library calls depends on the shape only: BLAS results are bit-identical between 1 and 2 threads. */
    @Test void blasBitIdenticalAcrossThreadCounts() {
        needBlas();
        float[][] outs = new float[2][];
        for (int t = 0; t < 2; t++)
            try (CpuBackend be = new CpuBackend(t + 1, true, CpuGemm.OPENBLAS)) {
                OpsFixture f = new OpsFixture(be, 21);
                java.util.List<float[]> parts = new java.util.ArrayList<>();
                for (int[] s : new int[][] {{1000, 70, 90}, {60, 900, 80}, {300, 300, 300}, {2100, 40, 30}}) // 128-row blocks; 272-row blocks
                    for (int tr = 0; tr < 4; tr++) {
                        int m = s[0], n = s[1], k = s[2];
                        boolean ta = (tr & 1) != 0, tb = (tr & 2) != 0;
                        parts.add(run(f, ta, tb, m, n, k, f.rand(m * k), f.rand(k * n), 0.5f, f.rand(m * n)));
                    }
                int len = parts.stream().mapToInt(x -> x.length).sum(), o = 0;
                outs[t] = new float[len];
                for (float[] x : parts) { System.arraycopy(x, 0, outs[t], o, x.length); o += x.length; }
            }
        OpsFixture.assertBitIdentical("blas 1 vs 2 threads", outs[0], outs[1]);
    }

    @Test void choiceNamesAreChecked() {
        assertEquals(CpuGemm.OPENBLAS, CpuGemm.parse(" BLAS "));
        assertEquals(CpuGemm.JAVA, CpuGemm.parse("java"));
        UnknownNameException e = assertThrows(UnknownNameException.class, () -> new CpuBackend(1, true, "mkl"));
        assertTrue(e.getMessage().contains("auto, openblas, java"), e.getMessage());
        try (CpuBackend auto = new CpuBackend(1, true, CpuGemm.AUTO)) {
            String expect = CpuGemm.blasAvailable() ? CpuGemm.blasStatus() : "Java kernel";
            assertTrue(auto.gemm().startsWith(expect), auto.gemm());
        }
    }
}
