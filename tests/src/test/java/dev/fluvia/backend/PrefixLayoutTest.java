package dev.fluvia.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.backend.cpu.CpuGemm;
import dev.fluvia.backend.dense.PrefixLayout;
import dev.fluvia.nn.Made;
import dev.fluvia.param.Param;
import dev.fluvia.param.Stash;
import dev.fluvia.tensor.Tensor;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * MADE's prefix-sparse form (hidden units sorted by degree, masked blocks skipped: {@link PrefixLayout},
 * {@code prefixLinearForward}, {@code Mlp}'s permuted fold, {@code CpuMaf}'s degree-block sampling):
 * <ul>
 *   <li>the layout of MADE masks is block-triangular (every row's support is exactly its prefix) and skips the expected share;</li>
 *   <li>{@code prefixLinearForward} gives the bits of {@code linearForward} on the zero-padded weight with the Java kernel, at
 *       every batch-size class (few-row and blocked paths), and agrees within float32 summation tolerance with OpenBLAS;</li>
 *   <li>MADE's output, its gradients and MAF sampling agree with a float64 oracle of the unpermuted network (the permutation
 *       changes only the summation order: tolerance, not bits).</li>
 * </ul>
 */
class PrefixLayoutTest {

    private static float[] rand(SplittableRandom r, int n, double s) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) ((r.nextDouble() * 2 - 1) * s);
        return v;
    }

    @Test void madeMasksAreBlockTriangularOnceSorted() {
        int d = 8;
        int[] hidden = {512, 512};
        int[] order = Made.inputDegrees(new int[] {0, 1, 2, 3, 4, 5, 6, 7}).length == d ? new int[] {3, 1, 7, 0, 2, 6, 5, 4} : null;
        int[][] deg = Made.cyclicDegrees(d, hidden);
        List<float[]> masks = Made.buildMasks(Made.inputDegrees(order), deg);
        int[] dims = {d, 512, 512, 2 * d};
        PrefixLayout lay = PrefixLayout.derive(masks, dims, null);
        for (int i = 0; i < 3; i++) {
            int out = dims[i + 1], in = dims[i];
            for (int o = 0; o < out; o++) { // the support of every row is exactly [0, extent): a prefix, no zero inside it
                int ro = lay.rowOf(i, o);
                for (int c = 0; c < in; c++) {
                    float m = masks.get(i)[ro * in + lay.colOf(i, c)];
                    if (i > 0) assertEquals(c < lay.extent(i)[o] ? 1f : 0f, m, "layer " + i + " row " + o + " col " + c);
                }
            }
        }
        for (int l = 0; l < 2; l++) { // keys are the degrees, sorted
            int[] k = lay.keys(l);
            for (int o = 1; o < k.length; o++) assertTrue(k[o - 1] <= k[o]);
            int[] sorted = deg[l].clone();
            java.util.Arrays.sort(sorted);
            assertArrayEquals(sorted, k);
        }
        // degrees 1..7 in equal shares: the hidden x hidden product keeps Σ_m m / 7² = 28/49 of its entries
        assertEquals(1 - 28.0 / 49, lay.skipped(1), 0.01);
    }

    @ParameterizedTest @ValueSource(strings = {CpuGemm.JAVA, CpuGemm.AUTO})
    void prefixLinearForwardMatchesTheDenseLayer(String gemm) {
        SplittableRandom r = new SplittableRandom(3);
        boolean javaKernel = gemm.equals(CpuGemm.JAVA);
        for (int threads : new int[] {1, 3})
            try (CpuBackend be = new CpuBackend(threads, true, gemm); Scope s = be.scope()) {
                for (int[] sh : new int[][] {{1, 64, 70}, {3, 300, 45}, {8, 513, 31}, {9, 40, 40}, {67, 300, 77}, {200, 512, 512}}) {
                    int n = sh[0], in = sh[1], out = sh[2];
                    int[] ext = new int[out];
                    for (int o = 0; o < out; o++) ext[o] = o == 0 ? 0 : o == out - 1 ? in : r.nextInt(in + 1);
                    java.util.Arrays.sort(ext);
                    float[] x = rand(r, n * in, 2), w = rand(r, out * in, 0.5), b = rand(r, out, 1);
                    for (int o = 0; o < out; o++) for (int k = ext[o]; k < in; k++) w[o * in + k] = 0f;
                    for (Activation act : new Activation[] {Activation.RELU, Activation.TANH, Activation.IDENTITY}) {
                        Tensor xt = be.fromHost(x, n, in), wt = be.fromHost(w, out, in), bt = be.fromHost(b, out);
                        Tensor y1 = be.alloc(n, out), p1 = be.alloc(n, out), y2 = be.alloc(n, out), p2 = be.alloc(n, out);
                        be.dense().linearForward(xt, wt, bt, act, p1, y1);
                        be.dense().prefixLinearForward(xt, wt, be.index(ext), bt, act, p2, y2);
                        float[] a = be.toHost(y1), c = be.toHost(y2), pa = be.toHost(p1), pc = be.toHost(p2);
                        String what = gemm + " " + n + "x" + in + "->" + out + " " + act + " at " + threads + " threads";
                        if (javaKernel) { assertArrayEquals(a, c, what); assertArrayEquals(pa, pc, what); }
                        else for (int i = 0; i < a.length; i++) assertEquals(pa[i], pc[i], 1e-5 * (1 + Math.sqrt(in)) * (1 + Math.abs(pa[i])), what);
                    }
                }
            }
    }

    /** MADE h(x) in float64 from the raw weights and the masks, natural order. */
    private static double[] oracle(CpuBackend be, Made made, float[] x, int n) {
        List<Param> ps = made.params();
        List<float[]> masks = made.masks();
        int layers = masks.size();
        double[] cur = new double[x.length];
        for (int i = 0; i < x.length; i++) cur[i] = x[i];
        int in = made.dim();
        for (int l = 0; l < layers; l++) {
            float[] w = be.toHost(ps.get(2 * l).value()), b = be.toHost(ps.get(2 * l + 1).value()), m = masks.get(l);
            int out = b.length;
            double[] nx = new double[n * out];
            for (int r = 0; r < n; r++)
                for (int o = 0; o < out; o++) {
                    double s = b[o];
                    for (int k = 0; k < in; k++) s += (double) w[o * in + k] * m[o * in + k] * cur[r * in + k];
                    nx[r * out + o] = l + 1 < layers ? Math.max(s, 0) : s;
                }
            cur = nx;
            in = out;
        }
        return cur;
    }

    @ParameterizedTest @ValueSource(ints = {1, 5, 64, 130})
    void madeForwardMatchesTheUnpermutedOracle(int n) {
        SplittableRandom r = new SplittableRandom(7);
        try (CpuBackend be = new CpuBackend(2); Scope s = be.scope()) {
            int d = 5;
            Made made = new Made(be, "m.", new int[] {2, 0, 4, 1, 3}, new int[] {37, 29}, Activation.RELU, null, r);
            for (Param p : made.params()) be.upload(rand(r, (int) p.value().numel(), 0.4), p.value()); // output layer off zero
            float[] x = rand(r, n * d, 1.5);
            float[] h = be.toHost(made.forward(be.fromHost(x, n, d), new Stash(false), "k"));
            double[] ref = oracle(be, made, x, n);
            for (int i = 0; i < h.length; i++) assertEquals(ref[i], h[i], 1e-5 * (1 + Math.abs(ref[i])), "h[" + i + "]");
        }
    }

    /**
     * {@code mafInverse} (degree blocks: each hidden unit computed once, at the step its inputs are complete) against the
     * float64 sequential inverse of the unpermuted MADE: one full pass per dimension.
     */
    @ParameterizedTest @ValueSource(ints = {1, 7, 63, 64, 65, 200})
    void mafInverseMatchesTheSequentialOracle(int n) {
        SplittableRandom r = new SplittableRandom(8);
        for (String gemm : new String[] {CpuGemm.JAVA, CpuGemm.AUTO})
            try (CpuBackend be = new CpuBackend(2, true, gemm); Scope s = be.scope()) {
                int d = 5;
                int[] order = {2, 0, 4, 1, 3};
                Made made = new Made(be, "m.", order, new int[] {37, 29, 23}, Activation.RELU, null, r);
                for (Param p : made.params()) be.upload(rand(r, (int) p.value().numel(), 0.4), p.value());
                float[] z = rand(r, n * d, 1.5), ld0 = rand(r, n, 1);
                Tensor x = be.alloc(n, d), ld = be.fromHost(ld0, n);
                float clamp = 2f;
                be.maf().mafInverse(made.effectiveWeights(), made.biasTensors(), Activation.RELU, be.index(order), clamp,
                        be.fromHost(z, n, d), x, ld);
                float[] xs = be.toHost(x), lds = be.toHost(ld);
                float[] cur = new float[n * d];
                double[] acc = new double[n];
                for (int t = 0; t < d; t++) {
                    int dim = order[t];
                    double[] h = oracle(be, made, cur, n);
                    for (int row = 0; row < n; row++) {
                        double a = clamp * Math.tanh(h[row * 2 * d + d + dim] / clamp);
                        cur[row * d + dim] = (float) (z[row * d + dim] * Math.exp(a) + h[row * 2 * d + dim]);
                        acc[row] += a;
                    }
                }
                for (int i = 0; i < xs.length; i++) assertEquals(cur[i], xs[i], 1e-4 * (1 + Math.abs(cur[i])), gemm + " n " + n + " x[" + i + "]");
                for (int i = 0; i < n; i++) assertEquals(ld0[i] + acc[i], lds[i], 1e-4 * (1 + Math.abs(acc[i])), gemm + " ld[" + i + "]");
            }
    }
}
