package dev.fluvia.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.backend.cpu.CpuGemm;
import dev.fluvia.param.Stash;
import dev.fluvia.tensor.Index;
import dev.fluvia.transforms.Maf;
import dev.fluvia.tensor.Tensor;
import dev.fluvia.transforms.AffineCoupling;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code DenseOps.mlpForward} on the CPU: the row-block path ({@code backend.cpu.MlpForward}: all layers per block of rows,
 * feature-major) gives the bits of the chain of {@code linearForward} calls under the Java kernel — every lane-wise
 * activation, with and without biases, one and several K slices (a 300-wide layer), narrow input and output layers, row counts
 * that are not a multiple of the block, 1 and 3 threads, vector and scalar GEMM — with its output poisoned first, and agrees with
 * float64 at the FLOWS.md matrix-product tolerance under the default GEMM too. A rewritten weight is seen by the next call.
 * A coupling scored with nothing stored gives the bits of the stored (training) forward.
 */
class MlpForwardTest {

    static Stream<Arguments> shapes() {
        return Stream.of(
                Arguments.of(new int[] {1, 64, 64, 2}, Activation.RELU, 4096),
                Arguments.of(new int[] {1, 64, 64, 2}, Activation.RELU, 33),
                Arguments.of(new int[] {1, 64, 64, 2}, Activation.TANH, 100),
                Arguments.of(new int[] {3, 17, 5}, Activation.TANH, 257),
                Arguments.of(new int[] {5, 300, 9}, Activation.IDENTITY, 70),
                Arguments.of(new int[] {4, 13}, Activation.RELU, 64),
                Arguments.of(new int[] {2, 8, 7, 6, 1}, Activation.RELU, 31),   // under one block
                Arguments.of(new int[] {2, 8, 7, 6, 1}, Activation.RELU, 8),    // the few-row path: the chain
                Arguments.of(new int[] {4, 8, 8, 8}, Activation.ELU, 64));      // no lane-wise ELU: the chain
    }

    private static float[] random(SplittableRandom rng, int n, double bound) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) ((rng.nextDouble() * 2 - 1) * bound);
        return v;
    }

    /** ext: per layer the row extents of a prefix-sparse layer (w zero past them), or null. */
    private record Net(float[] x, List<float[]> w, List<float[]> b, List<int[]> ext) {
        Net(float[] x, List<float[]> w, List<float[]> b) { this(x, w, b, null); }
    }

    private static Net net(int[] dims, int n, long seed, boolean noFirstBias) {
        SplittableRandom rng = new SplittableRandom(seed);
        List<float[]> w = new ArrayList<>(), b = new ArrayList<>();
        for (int i = 0; i + 1 < dims.length; i++) {
            double bound = 1.5 / Math.sqrt(dims[i]);
            w.add(random(rng, dims[i + 1] * dims[i], bound));
            b.add(noFirstBias && i == 0 ? null : random(rng, dims[i + 1], 0.5));
        }
        return new Net(random(rng, n * dims[0], 2), w, b);
    }

    /** mlpForward's output (y poisoned with NaN first) and the linearForward chain's, on one backend. */
    private static float[][] both(CpuBackend be, int[] dims, Activation act, int n, Net net) {
        int layers = dims.length - 1;
        Tensor x = be.fromHost(net.x(), n, dims[0]);
        List<Tensor> ws = new ArrayList<>(), bs = new ArrayList<>();
        for (int i = 0; i < layers; i++) {
            ws.add(be.fromHost(net.w().get(i), dims[i + 1], dims[i]));
            bs.add(net.b().get(i) == null ? null : be.fromHost(net.b().get(i), dims[i + 1]));
        }
        float[] poison = new float[n * dims[layers]];
        Arrays.fill(poison, Float.NaN);
        Tensor y = be.fromHost(poison, n, dims[layers]);
        List<Index> es = net.ext() == null ? null : new ArrayList<>();
        if (es != null) for (int[] e : net.ext()) es.add(e == null ? null : be.index(e));
        be.dense().mlpForward(x, ws, bs, es, act, y);
        Tensor cur = x;
        for (int i = 0; i < layers; i++) {
            Tensor out = be.alloc(n, dims[i + 1]);
            Activation a = i + 1 == layers ? Activation.IDENTITY : act;
            if (es == null || es.get(i) == null) be.dense().linearForward(cur, ws.get(i), bs.get(i), a, null, out);
            else be.dense().prefixLinearForward(cur, ws.get(i), es.get(i), bs.get(i), a, null, out);
            cur = out;
        }
        return new float[][] {be.toHost(y), be.toHost(cur)};
    }

    /** float64 of the MLP. */
    private static double[] reference(int[] dims, Activation act, int n, Net net) {
        int layers = dims.length - 1;
        double[] cur = new double[n * dims[0]];
        for (int i = 0; i < cur.length; i++) cur[i] = net.x()[i];
        for (int l = 0; l < layers; l++) {
            int in = dims[l], out = dims[l + 1];
            double[] next = new double[n * out];
            float[] w = net.w().get(l), b = net.b().get(l);
            int[] ext = net.ext() == null ? null : net.ext().get(l);
            for (int r = 0; r < n; r++)
                for (int o = 0; o < out; o++) {
                    double s = b == null ? 0 : b[o];
                    for (int p = 0, e = ext == null ? in : ext[o]; p < e; p++) s += cur[r * in + p] * w[o * in + p];
                    next[r * out + o] = l + 1 == layers ? s : switch (act) {
                        case RELU -> Math.max(s, 0);
                        case TANH -> Math.tanh(s);
                        case ELU -> s > 0 ? s : Math.expm1(s);
                        case IDENTITY -> s;
                        case SILU -> s / (1 + Math.exp(-s));
                    };
                }
            cur = next;
        }
        return cur;
    }

    private static void close(double[] ref, float[] got, String what) {
        for (int i = 0; i < ref.length; i++) {
            double tol = 1e-4 + 1e-3 * Math.abs(ref[i]);
            assertTrue(Math.abs(got[i] - ref[i]) <= tol, what + ": element " + i + " is " + got[i] + ", float64 " + ref[i]);
        }
    }

    @ParameterizedTest @MethodSource("shapes")
    void givesTheBitsOfTheLinearChainUnderTheJavaKernel(int[] dims, Activation act, int n) {
        for (boolean noFirstBias : new boolean[] {false, true}) {
            Net net = net(dims, n, 7 + n + dims.length, noFirstBias);
            double[] ref = reference(dims, act, n, net);
            float[] first = null;
            for (int threads : new int[] {1, 3})
                for (boolean vector : new boolean[] {true, false})
                    try (CpuBackend be = new CpuBackend(threads, vector, CpuGemm.JAVA)) {
                        float[][] r = both(be, dims, act, n, net);
                        String what = Arrays.toString(dims) + " " + act + " n=" + n + " threads=" + threads + " vector=" + vector;
                        assertArrayEquals(r[1], r[0], what + ": mlpForward against the linearForward chain");
                        close(ref, r[0], what);
                        if (first == null) first = r[0];
                        else assertArrayEquals(first, r[0], what + ": bits depend on threads or the vector path");
                    }
        }
    }

    @ParameterizedTest @MethodSource("shapes")
    void agreesWithFloat64UnderTheDefaultGemm(int[] dims, Activation act, int n) {
        Net net = net(dims, n, 99 + n, false);
        try (CpuBackend be = new CpuBackend(2)) {
            float[][] r = both(be, dims, act, n, net);
            double[] ref = reference(dims, act, n, net);
            close(ref, r[0], "mlpForward, " + be.gemm());
            close(ref, r[1], "the chain, " + be.gemm());
        }
    }

    /** With extents (a MADE's prefix-sparse hidden layers): the bits of the linearForward / prefixLinearForward chain. */
    @ParameterizedTest @org.junit.jupiter.params.provider.ValueSource(ints = {7, 32, 100, 1000})
    void prefixLayersGiveTheBitsOfTheChain(int n) {
        int[] dims = {8, 40, 300, 40, 16};
        Net dense = net(dims, n, 11 + n, false);
        SplittableRandom rng = new SplittableRandom(n);
        List<int[]> ext = new ArrayList<>();
        for (int i = 0; i + 1 < dims.length; i++) {
            if (i == 0 || i + 2 == dims.length) { ext.add(null); continue; }
            int[] e = new int[dims[i + 1]];
            for (int o = 0; o < e.length; o++) e[o] = o < 7 ? 0 : o + 1 == e.length ? dims[i] : rng.nextInt(dims[i] + 1);
            Arrays.sort(e);
            ext.add(e);
            float[] w = dense.w().get(i); // zero past each row's extent, as a MADE's permuted fold is (prefixLinearForward's contract)
            for (int o = 0; o < e.length; o++) Arrays.fill(w, o * dims[i] + e[o], (o + 1) * dims[i], 0f);
        }
        Net net = new Net(dense.x(), dense.w(), dense.b(), ext);
        double[] ref = reference(dims, Activation.RELU, n, net);
        float[] first = null;
        for (int threads : new int[] {1, 3})
            try (CpuBackend be = new CpuBackend(threads, true, CpuGemm.JAVA)) {
                float[][] r = both(be, dims, Activation.RELU, n, net);
                assertArrayEquals(r[1], r[0], "n=" + n + " threads=" + threads + ": mlpForward against the chain");
                close(ref, r[0], "prefix n=" + n);
                if (first == null) first = r[0];
                else assertArrayEquals(first, r[0], "bits depend on the thread count");
            }
    }

    /** A MAF scored with nothing stored (its MADE through mlpForward) gives the bits of its training forward. */
    @Test void aScoredMafGivesTheBitsOfItsTrainingForward() {
        try (CpuBackend be = new CpuBackend(2, true, CpuGemm.JAVA)) {
            int dim = 6, n = 300;
            Maf m = new Maf(be, Maf.naturalOrder(dim), new int[] {48, 48}, Activation.RELU, new SplittableRandom(3));
            scoredEqualsTrained(be, m, dim, n, 4);
        }
    }

    /**
     * Moves t's parameters off their initialisation (seeded), then checks that its forward with nothing stored gives the
     * bits of its stored (training) forward, y and log-det; returns {x, the scored y}.
     */
    private static float[][] scoredEqualsTrained(CpuBackend be, dev.fluvia.transforms.Transform t, int dim, int n, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        for (var p : t.params()) be.upload(random(rng, (int) p.value().numel(), 0.3), p.value());
        Tensor x = be.fromHost(random(rng, n * dim, 2), n, dim);
        Tensor ld1 = be.alloc(n), ld2 = be.alloc(n);
        float[] scored = be.toHost(t.forward(x, ld1, Stash.none()));
        float[] trained = be.toHost(t.forward(x, ld2, new Stash(true)));
        assertArrayEquals(trained, scored);
        assertArrayEquals(be.toHost(ld2), be.toHost(ld1));
        return new float[][] {be.toHost(x), scored};
    }

    /** A weight rewritten in place (as an optimizer step does) is packed again: the next call gives the new weights' result. */
    @Test void aRewrittenWeightIsSeen() {
        int[] dims = {1, 64, 64, 2};
        int n = 200;
        Net a = net(dims, n, 1, false), b = net(dims, n, 2, false);
        try (CpuBackend be = new CpuBackend(1, true, CpuGemm.JAVA)) {
            Tensor x = be.fromHost(a.x(), n, 1);
            List<Tensor> ws = new ArrayList<>(), bs = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                ws.add(be.fromHost(a.w().get(i), dims[i + 1], dims[i]));
                bs.add(be.fromHost(a.b().get(i), dims[i + 1]));
            }
            Tensor y = be.alloc(n, 2);
            be.dense().mlpForward(x, ws, bs, null, Activation.RELU, y);
            float[] before = be.toHost(y);
            be.upload(b.w().get(1), ws.get(1));                      // the 64 x 64 weight, in place
            long[] counts = CpuGemm.packCacheCounts(be);
            be.dense().mlpForward(x, ws, bs, null, Activation.RELU, y);
            assertEquals(counts[1] + 1, CpuGemm.packCacheCounts(be)[1], "exactly the rewritten weight is packed again");
            Net mixed = new Net(a.x(), List.of(a.w().get(0), b.w().get(1), a.w().get(2)), a.b());
            float[] expect = both(be, dims, Activation.RELU, n, mixed)[1];
            assertArrayEquals(expect, be.toHost(y));
            assertTrue(!Arrays.equals(before, expect), "the rewrite should change the output");
        }
    }

    /** A coupling scored with nothing stored (the row-block path) gives the bits of its training forward (stored, per layer). */
    @Test void aScoredCouplingGivesTheBitsOfItsTrainingForward() {
        try (CpuBackend be = new CpuBackend(2, true, CpuGemm.JAVA)) {
            int dim = 2, n = 1000;
            AffineCoupling c = new AffineCoupling(be, dim, new int[] {0}, new int[] {1}, new int[] {64, 64}, Activation.RELU,
                    CouplingScale.SOFTCLAMP, 2f, new SplittableRandom(5));
            float[][] xy = scoredEqualsTrained(be, c, dim, n, 6);
            float[] back = be.toHost(c.inverse(be.fromHost(xy[1], n, dim), be.alloc(n)));
            for (int i = 0; i < back.length; i++) assertEquals(xy[0][i], back[i], 1e-5f, "round trip");
        }
    }
}
