package dev.fluvia.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.backend.cpu.CpuGemm;
import dev.fluvia.nn.Mlp;
import dev.fluvia.oracle.RqSplineOracles;
import dev.fluvia.oracle.TransformCheck;
import dev.fluvia.param.Param;
import dev.fluvia.param.ParamSource;
import dev.fluvia.param.Stash;
import dev.fluvia.tensor.Tensor;
import dev.fluvia.transforms.Iaf;
import dev.fluvia.transforms.Maf;
import dev.fluvia.transforms.RqSplineAutoregressive;
import dev.fluvia.transforms.Transform;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The prefix-sparse backward ({@code prefixLinearBackward}: the input gradient with the block-triangular weight, the weight
 * gradient without its structurally zero tiles) and its use in MADE's backward:
 * <ul>
 *   <li>the op against a float64 oracle, against {@code linearBackward} on the zero-padded weight (Java kernel: the same bits
 *       for gx, gb and every gw entry it writes; OpenBLAS: float32 summation tolerance), the gw entries past the extents left
 *       exactly as they were, w's entries past the extents unused, sorted and unsorted extents, bit-identical across thread
 *       counts (both providers) and between the vector and scalar Java kernels;</li>
 *   <li>MAF, IAF, the spline autoregressive layer and a conditional MAF (two hidden x hidden layers each) trained a few steps
 *       with and without the sparse backward, STORE and RECOMPUTE: the same bits with the Java kernel, float32 summation-order
 *       tolerance with OpenBLAS;</li>
 *   <li>the spline autoregressive layer with two hidden layers (plain and conditional) against its float64 oracle, gradients
 *       against central differences (MAF, IAF and conditional MAF with two hidden layers are in their own tests).</li>
 * </ul>
 */
class PrefixLinearBackwardTest {

    private static float[] rand(SplittableRandom r, int n, double s) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) ((r.nextDouble() * 2 - 1) * s);
        return v;
    }

    /** gx, gw, gb of one call. */
    private static List<float[]> run(CpuBackend be, boolean prefix, int n, int in, int out, float[] x, float[] w, int[] ext,
                                     float[] g, float[] gw0, float[] gb0) {
        try (Scope s = be.scope()) {
            Tensor gx = be.alloc(n, in), gw = be.fromHost(gw0, out, in), gb = be.fromHost(gb0, out);
            be.fill(gx, Float.NaN); // overwritten
            if (prefix) be.dense().prefixLinearBackward(be.fromHost(x, n, in), be.fromHost(w, out, in), be.index(ext), be.fromHost(g, n, out), gx, gw, gb);
            else be.dense().linearBackward(be.fromHost(x, n, in), be.fromHost(w, out, in), be.fromHost(g, n, out), gx, gw, gb);
            return List.of(be.toHost(gx), be.toHost(gw), be.toHost(gb));
        }
    }

    @ParameterizedTest @ValueSource(strings = {CpuGemm.JAVA, CpuGemm.AUTO})
    void opMatchesTheDenseLayerAndTheOracle(String gemm) {
        SplittableRandom r = new SplittableRandom(11);
        boolean javaKernel = gemm.equals(CpuGemm.JAVA) || !CpuGemm.blasAvailable();
        int[][] shapes = {{1, 64, 70}, {3, 300, 45}, {9, 40, 40}, {67, 300, 77}, {300, 130, 300}, {130, 512, 512}};
        for (int[] sh : shapes)
            for (boolean sorted : new boolean[] {true, false}) {
                int n = sh[0], in = sh[1], out = sh[2];
                int[] ext = new int[out];
                for (int o = 0; o < out; o++) ext[o] = o == 0 ? 0 : o == out - 1 ? in : r.nextInt(in + 1);
                if (sorted) java.util.Arrays.sort(ext);
                float[] x = rand(r, n * in, 2), w = rand(r, out * in, 0.5), g = rand(r, n * out, 1), gw0 = rand(r, out * in, 1), gb0 = rand(r, out, 1);
                float[] wz = w.clone(), wj = w.clone(); // zero past the extents / junk there (must not be used)
                for (int o = 0; o < out; o++)
                    for (int k = ext[o]; k < in; k++) { wz[o * in + k] = 0f; wj[o * in + k] = k % 3 == 0 ? Float.NaN : 1e30f; }
                String what = gemm + " " + n + "x" + in + "->" + out + (sorted ? " sorted" : " unsorted");
                List<float[]> first = null;
                for (boolean vector : javaKernel ? new boolean[] {true, false} : new boolean[] {true})
                    for (int threads : new int[] {1, 3})
                        try (CpuBackend be = new CpuBackend(threads, vector, gemm)) {
                            String at = what + (vector ? "" : " scalar") + " at " + threads + " threads";
                            List<float[]> p = run(be, true, n, in, out, x, wj, ext, g, gw0, gb0);
                            if (first == null) { // float64 oracle, once
                                first = p;
                                for (int rr = 0; rr < n; rr++)
                                    for (int k = 0; k < in; k++) {
                                        double s = 0, mag = 0;
                                        for (int o = 0; o < out; o++)
                                            if (ext[o] > k) { double t = (double) g[rr * out + o] * wz[o * in + k]; s += t; mag += Math.abs(t); }
                                        assertEquals(s, p.get(0)[rr * in + k], 1e-5 * mag + 1e-6, at + " gx");
                                    }
                                for (int o = 0; o < out; o++)
                                    for (int k = 0; k < in; k++) {
                                        int i = o * in + k;
                                        if (k >= ext[o]) { // not written
                                            assertEquals(Float.floatToRawIntBits(gw0[i]), Float.floatToRawIntBits(p.get(1)[i]), at + " gw past the extent");
                                            continue;
                                        }
                                        double s = gw0[i], mag = Math.abs(gw0[i]);
                                        for (int rr = 0; rr < n; rr++) { double t = (double) g[rr * out + o] * x[rr * in + k]; s += t; mag += Math.abs(t); }
                                        assertEquals(s, p.get(1)[i], 1e-5 * mag + 1e-6, at + " gw");
                                    }
                                List<float[]> d = run(be, false, n, in, out, x, wz, ext, g, gw0, gb0);
                                assertArrayEquals(d.get(2), p.get(2), at + " gb");
                                if (javaKernel) {
                                    assertArrayEquals(d.get(0), p.get(0), at + ": gx, the bits of the dense product");
                                    for (int o = 0; o < out; o++)
                                        for (int k = 0; k < ext[o]; k++)
                                            assertEquals(Float.floatToRawIntBits(d.get(1)[o * in + k]), Float.floatToRawIntBits(p.get(1)[o * in + k]),
                                                    at + ": gw[" + o + ", " + k + "], the bits of the dense product");
                                }
                            } else for (int q = 0; q < 3; q++) assertArrayEquals(first.get(q), p.get(q), at + ": output " + q + " differs");
                        }
            }
    }

    @Test void noRowsOrColumns() {
        try (CpuBackend be = new CpuBackend(2); Scope s = be.scope()) {
            Tensor gw = be.fromHost(new float[] {1, 2, 3, 4, 5, 6}, 2, 3), gx = be.alloc(0, 3), gb = be.fromHost(new float[] {7, 8}, 2);
            be.dense().prefixLinearBackward(be.alloc(0, 3), be.alloc(2, 3), be.index(new int[] {1, 3}), be.alloc(0, 2), gx, gw, gb);
            assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, be.toHost(gw));
            assertArrayEquals(new float[] {7, 8}, be.toHost(gb));
            Tensor gx1 = be.alloc(2, 3);
            be.fill(gx1, Float.NaN);
            be.dense().prefixLinearBackward(be.alloc(2, 3), be.alloc(2, 3), be.index(new int[] {0, 0}), be.fromHost(new float[] {1, 1, 1, 1}, 2, 2), gx1, gw, null);
            assertArrayEquals(new float[6], be.toHost(gx1)); // no row reaches any column: zero
            assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, be.toHost(gw));
        }
    }

    /** The transforms under test: two hidden x hidden layers each. */
    private static List<Function<CpuBackend, Transform>> transforms() {
        int[] hidden = {40, 37, 33};
        return List.of(
                be -> new Maf(be, Maf.randomOrder(6, 3), hidden, Activation.TANH, 2f, null, new SplittableRandom(3)),
                be -> new Iaf(be, new Maf(be, Maf.randomOrder(6, 4), hidden, Activation.RELU, 2f, null, new SplittableRandom(4))),
                be -> new RqSplineAutoregressive(ParamSource.fresh(be), be, Maf.randomOrder(6, 5), 0, hidden, Activation.TANH, 5, 3, null, new SplittableRandom(5)),
                be -> new Maf(ParamSource.fresh(be), be, Maf.randomOrder(4, 6), 2, hidden, Activation.TANH, 2f, null, new SplittableRandom(6)));
    }

    /** Every parameter after {@code steps} plain gradient steps on L = Σ c·y + Σ e·ld (STORE or RECOMPUTE). */
    private static List<float[]> train(String gemm, int threads, boolean sparse, boolean store, Function<CpuBackend, Transform> make) {
        boolean was = Mlp.setPrefixBackward(sparse);
        try (CpuBackend be = new CpuBackend(threads, true, gemm)) {
            Transform t = make.apply(be);
            SplittableRandom r = new SplittableRandom(9);
            for (Param p : t.params()) { // off the identity initialisation
                float[] v = be.toHost(p.value());
                for (int i = 0; i < v.length; i++) v[i] += (float) (0.3 * (r.nextDouble() * 2 - 1));
                be.upload(v, p.value());
            }
            int n = 70, d = 6;
            for (int step = 0; step < 3; step++)
                try (Scope s = be.scope()) {
                    for (Param p : t.params()) be.fill(p.grad(), 0f);
                    Tensor x = be.fromHost(rand(r, n * d, 1.5), n, d);
                    Stash st = store ? new Stash(true) : Stash.none();
                    t.forward(x, be.alloc(n), st);
                    t.backward(x, be.fromHost(rand(r, n * d, 1), n, d), be.fromHost(rand(r, n, 1), n), st);
                    for (Param p : t.params()) be.elementwise().axpy(-0.05f, p.grad(), p.value());
                }
            List<float[]> out = new ArrayList<>();
            for (Param p : t.params()) out.add(be.toHost(p.value()));
            return out;
        } finally {
            Mlp.setPrefixBackward(was);
        }
    }

    @ParameterizedTest @ValueSource(strings = {CpuGemm.JAVA, CpuGemm.AUTO})
    void trainingAgreesWithAndWithoutTheSparseBackward(String gemm) {
        boolean javaKernel = gemm.equals(CpuGemm.JAVA) || !CpuGemm.blasAvailable();
        List<Function<CpuBackend, Transform>> ts = transforms();
        for (int k = 0; k < ts.size(); k++)
            for (boolean store : new boolean[] {true, false}) {
                String what = gemm + " transform " + k + (store ? " STORE" : " RECOMPUTE");
                List<float[]> dense = train(gemm, 2, false, store, ts.get(k)), sparse = train(gemm, 2, true, store, ts.get(k));
                if (javaKernel) for (int p = 0; p < dense.size(); p++) assertArrayEquals(dense.get(p), sparse.get(p), what + " param " + p);
                else { // summation order: within what the other summation order (the Java kernel's, dense) does to the same run
                    List<float[]> other = train(CpuGemm.JAVA, 2, false, store, ts.get(k));
                    double spread = 0, diff = 0;
                    for (int p = 0; p < dense.size(); p++)
                        for (int i = 0; i < dense.get(p).length; i++) {
                            double scale = 1 + Math.abs(dense.get(p)[i]);
                            spread = Math.max(spread, Math.abs(other.get(p)[i] - dense.get(p)[i]) / scale);
                            diff = Math.max(diff, Math.abs(sparse.get(p)[i] - dense.get(p)[i]) / scale);
                        }
                    System.out.printf("%s: sparse vs dense %.2e, Java vs OpenBLAS (dense) %.2e%n", what, diff, spread);
                    assertTrue(diff <= Math.max(1e-5, 4 * spread), what + ": sparse vs dense " + diff + ", Java vs OpenBLAS " + spread);
                }
                if (k == 0 && store) { // and across thread counts
                    List<float[]> one = train(gemm, 1, true, true, ts.get(0)), three = train(gemm, 3, true, true, ts.get(0));
                    for (int p = 0; p < one.size(); p++) assertArrayEquals(one.get(p), three.get(p), what + " 1 vs 3 threads, param " + p);
                    for (int p = 0; p < one.size(); p++) assertArrayEquals(sparse.get(p), one.get(p), what + " 2 vs 1 threads, param " + p);
                }
            }
    }

    @Test void splineAutoregressiveWithTwoHiddenLayersMatchesTheOracle() {
        try (CpuBackend be = new CpuBackend(2)) {
            for (int[] dc : new int[][] {{3, 0}, {3, 2}}) {
                RqSplineAutoregressive t = new RqSplineAutoregressive(ParamSource.fresh(be), be, Maf.randomOrder(dc[0], 2), dc[1],
                        new int[] {7, 6}, Activation.TANH, 5, 3, null, new SplittableRandom(dc[0] + dc[1]));
                TransformCheck.Report rep = TransformCheck.of(be, t, RqSplineOracles.autoregressive(t, Activation.TANH)).seed(80 + dc[1]).jitter(0.4)
                        .label("spline-ar 7,6 " + dc[0] + "+" + dc[1]).run();
                assertTrue(rep.roundTripMaxAbs() < 1e-4, rep.toString());
            }
        }
    }
}
