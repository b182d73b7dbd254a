package dev.fluvia.backend;

import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.backend.cpu.CpuGemm;
import dev.fluvia.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The Java GEMM's forward narrow-layer kernels (K ≤ 4: a layer with 1–4 inputs, or the input gradient of one with 1–4
 * outputs; C 1–8 columns wide with A row-major: a 64 → 2 output layer, or the input gradient of a 1–8-input layer; checked for 1–16, the wider ones on the general kernel) give
 * the general kernel's bits — every transpose case, alpha/beta, fused bias + activation + pre, K over one slice (256), row
 * counts that are not a multiple of the vector lanes — at 1 and 3 threads, vector and scalar, and agree with float64 at the
 * FLOWS.md matrix-product tolerance.
 */
class NarrowGemmTest {

    @AfterEach void restore() { CpuGemm.setNarrowKernels(true); }

    private static float[] random(SplittableRandom rng, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (rng.nextDouble() * 2 - 1);
        return v;
    }

    /** The products of one shape: gemm for the four transposes (alpha 0.7, beta 0.3), then linearForward (NT + epilogue). */
    private static List<float[]> products(int threads, boolean vector, boolean narrow, int m, int n, int k, long seed, Activation act) {
        CpuGemm.setNarrowKernels(narrow);
        SplittableRandom rng = new SplittableRandom(seed);
        List<float[]> out = new ArrayList<>();
        try (CpuBackend be = new CpuBackend(threads, vector, CpuGemm.JAVA)) {
            float[] av = random(rng, m * k), bv = random(rng, k * n), cv = random(rng, m * n), bias = random(rng, n);
            for (int tr = 0; tr < 4; tr++) {
                boolean ta = (tr & 1) != 0, tb = (tr & 2) != 0;
                Tensor a = ta ? be.fromHost(av, k, m) : be.fromHost(av, m, k), b = tb ? be.fromHost(bv, n, k) : be.fromHost(bv, k, n);
                Tensor c = be.fromHost(cv, m, n);
                be.dense().gemm(ta, tb, 0.7f, a, b, 0.3f, c);
                out.add(be.toHost(c));
            }
            Tensor x = be.fromHost(av, m, k), w = be.fromHost(bv, n, k), bt = be.fromHost(bias, n);
            Tensor y = be.alloc(m, n), pre = be.alloc(m, n);
            be.dense().linearForward(x, w, bt, act, pre, y);
            out.add(be.toHost(y)); out.add(be.toHost(pre));
        }
        return out;
    }

    /** float64 of the products above. */
    private static List<double[]> reference(int m, int n, int k, long seed, Activation act) {
        SplittableRandom rng = new SplittableRandom(seed);
        float[] av = random(rng, m * k), bv = random(rng, k * n), cv = random(rng, m * n), bias = random(rng, n);
        List<double[]> out = new ArrayList<>();
        for (int tr = 0; tr < 4; tr++) {
            boolean ta = (tr & 1) != 0, tb = (tr & 2) != 0;
            double[] c = new double[m * n];
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++) {
                    double s = 0;
                    for (int p = 0; p < k; p++) s += (double) av[ta ? p * m + i : i * k + p] * bv[tb ? j * k + p : p * n + j];
                    c[i * n + j] = 0.7 * s + 0.3 * cv[i * n + j];
                }
            out.add(c);
        }
        double[] y = new double[m * n], pre = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) {
                double s = bias[j];
                for (int p = 0; p < k; p++) s += (double) av[i * k + p] * bv[j * k + p];
                pre[i * n + j] = s;
                y[i * n + j] = switch (act) {
                    case RELU -> Math.max(s, 0);
                    case TANH -> Math.tanh(s);
                    case ELU -> s > 0 ? s : Math.expm1(s);
                    case SILU -> s / (1 + Math.exp(-s));
                    default -> s;
                };
            }
        out.add(y); out.add(pre);
        return out;
    }

    private static void check(int m, int n, int k, long seed, Activation act) {
        String what = "m=" + m + " n=" + n + " k=" + k + " " + act;
        List<float[]> general = products(1, true, false, m, n, k, seed, act);
        List<float[]> narrow = products(1, true, true, m, n, k, seed, act);
        List<float[]> narrow3 = products(3, true, true, m, n, k, seed, act);
        List<float[]> scalarGeneral = products(1, false, false, m, n, k, seed, act);
        List<float[]> scalarNarrow = products(2, false, true, m, n, k, seed, act);
        List<double[]> ref = reference(m, n, k, seed, act);
        for (int o = 0; o < general.size(); o++) {
            String w = what + " output " + o + (o < 4 ? " (ta=" + ((o & 1) != 0) + ", tb=" + ((o & 2) != 0) + ")" : "");
            OpsFixture.assertBitIdentical(w + ": narrow vs general kernel", general.get(o), narrow.get(o));
            OpsFixture.assertBitIdentical(w + ": 1 vs 3 threads", narrow.get(o), narrow3.get(o));
            OpsFixture.assertBitIdentical(w + ": scalar narrow vs scalar general", scalarGeneral.get(o), scalarNarrow.get(o));
            OpsFixture.assertBitIdentical(w + ": vector vs scalar", general.get(o), scalarNarrow.get(o));
            OpsFixture.assertClose(w + ": vs float64", ref.get(o), narrow.get(o), OpsFixture.MM_ATOL, OpsFixture.MM_RTOL);
        }
    }

    @Test void narrowInputsBitIdenticalToTheGeneralKernel() {
        Activation[] acts = {Activation.RELU, Activation.TANH, Activation.ELU};
        int s = 0;
        for (int k = 1; k <= 4; k++)
            for (int[] mn : new int[][] {{2, 3}, {37, 64}, {300, 17}, {1037, 130}})
                check(mn[0], mn[1], k, 100 + s, acts[s++ % acts.length]);
    }

    @Test void narrowOutputsBitIdenticalToTheGeneralKernel() {
        Activation[] acts = {Activation.IDENTITY, Activation.TANH, Activation.RELU, Activation.SILU};
        int s = 0;
        for (int n = 1; n <= 16; n++) {
            int[][] mk = n <= 2 ? new int[][] {{1037, 64}, {70, 300}, {16, 5}, {131, 600}} : new int[][] {{333, 64}};
            for (int[] x : mk) check(x[0], n, x[1], 200 + s, acts[s++ % acts.length]);
        }
    }
}
