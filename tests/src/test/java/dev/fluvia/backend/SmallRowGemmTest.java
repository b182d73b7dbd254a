package dev.fluvia.backend;

import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.backend.cpu.CpuGemm;
import dev.fluvia.tensor.Tensor;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The Java GEMM's few-row path ({@code linearForward} with at most 8 rows: a single-row score, a small batch) gives the bits of
 * the blocked path: the same rows inside a larger batch, the cache-off (blocked) product, and 1 vs 2 threads — for
 * widths that are not a multiple of the vector tile, depths over one K slice (256), and fused bias + activation + pre.
 */
class SmallRowGemmTest {

    @AfterEach void restore() { CpuGemm.setPackCache(true); }

    private static float[] random(SplittableRandom rng, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (rng.nextDouble() * 2 - 1);
        return v;
    }

    /** y and pre of linearForward on rows [0, m) of x ([rows, k]), with weight [n, k], bias [n]. */
    private static float[][] linear(int threads, boolean cache, float[] x, int m, int k, float[] w, float[] b, int n, Activation act) {
        CpuGemm.setPackCache(cache);
        try (CpuBackend be = new CpuBackend(threads, true, CpuGemm.JAVA)) {
            Tensor xt = be.fromHost(Arrays.copyOf(x, m * k), m, k), wt = be.fromHost(w, n, k), bt = be.fromHost(b, n);
            Tensor y = be.alloc(m, n), pre = be.alloc(m, n);
            be.dense().linearForward(xt, wt, bt, act, pre, y);
            be.dense().linearForward(xt, wt, bt, act, pre, y); // second call: the cached packing
            return new float[][] {be.toHost(y), be.toHost(pre)};
        }
    }

    @Test void fewRowsBitIdenticalToTheBlockedPath() {
        SplittableRandom rng = new SplittableRandom(12);
        int[][] shapes = {{8, 512}, {300, 70}, {512, 16}, {1, 33}, {64, 2}};
        Activation[] acts = {Activation.RELU, Activation.TANH, Activation.IDENTITY};
        for (int si = 0; si < shapes.length; si++) {
            int k = shapes[si][0], n = shapes[si][1], big = 40;
            float[] x = random(rng, big * k), w = random(rng, n * k), b = random(rng, n);
            Activation act = acts[si % acts.length];
            float[][] batch = linear(1, true, x, big, k, w, b, n, act); // 40 rows: the blocked path
            for (int m : new int[] {1, 2, 5, 8}) {
                String what = "k=" + k + " n=" + n + " m=" + m + " " + act;
                float[][] small = linear(1, true, x, m, k, w, b, n, act);
                float[][] small2 = linear(2, true, x, m, k, w, b, n, act);
                float[][] blocked = linear(1, false, x, m, k, w, b, n, act); // no cache: the blocked path
                for (int o = 0; o < 2; o++) {
                    float[] fromBatch = Arrays.copyOf(batch[o], m * n);
                    OpsFixture.assertBitIdentical(what + " vs the rows of a 40-row batch", fromBatch, small[o]);
                    OpsFixture.assertBitIdentical(what + " 1 vs 2 threads", small[o], small2[o]);
                    OpsFixture.assertBitIdentical(what + " vs the blocked path", blocked[o], small[o]);
                }
            }
        }
    }

    /**
     * Read-only weights (a scoring-only model's) are trusted: the packing is reused without the content check, and under
     * OpenBLAS a few-row product against them takes the same Java path, so it gives the Java kernel's bits.
     */
    @Test void readOnlyWeightsTakeTheJavaFewRowPathUnderEitherGemm() {
        org.junit.jupiter.api.Assumptions.assumeTrue(CpuGemm.blasAvailable(), "no BLAS library here");
        SplittableRandom rng = new SplittableRandom(3);
        int k = 300, n = 70, m = 3;
        float[] x = random(rng, m * k), w = random(rng, n * k), b = random(rng, n);
        float[][] ys = new float[2][];
        String[] gemms = {CpuGemm.JAVA, CpuGemm.OPENBLAS};
        for (int g = 0; g < 2; g++)
            try (CpuBackend be = new CpuBackend(1, true, gemms[g])) {
                Tensor xt = be.fromHost(x, m, k), wt = be.readOnly(be.fromHost(w, n, k)), bt = be.fromHost(b, n), y = be.alloc(m, n);
                be.dense().linearForward(xt, wt, bt, Activation.RELU, null, y);
                long[] before = CpuGemm.packCacheCounts(be);
                be.dense().linearForward(xt, wt, bt, Activation.RELU, null, y);
                long[] after = CpuGemm.packCacheCounts(be);
                org.junit.jupiter.api.Assertions.assertArrayEquals(new long[] {before[0] + 1, before[1]}, after, gemms[g] + ": second call reuses the packing");
                ys[g] = be.toHost(y);
            }
        OpsFixture.assertBitIdentical("OpenBLAS backend vs Java backend, 3 rows, read-only weight", ys[0], ys[1]);
    }
}
