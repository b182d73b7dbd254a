package dev.fluvia.backend;

import static dev.fluvia.backend.OpsFixture.EW_ATOL;
import static dev.fluvia.backend.OpsFixture.EW_RTOL;
import static dev.fluvia.backend.OpsFixture.MM_ATOL;
import static dev.fluvia.backend.OpsFixture.MM_RTOL;
import static dev.fluvia.backend.OpsFixture.dbl;
import static dev.fluvia.backend.OpsFixture.plus;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fluvia.FluviaException.ShapeException;
import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The dense and element-wise ops of the CPU backend against float64 references written here, on both the vector and the
 * scalar path: GEMM (all transposes, alpha/beta, K deeper than one cache slice, N wider than one panel), the linear layer
 * with every activation, activation and linear backward, masks, gather/scatter, element-wise helpers, reductions and the
 * optimizers; plus shape errors naming the op.
 */
class CpuOpsTest {

    private static OpsFixture fx(boolean vector, long seed) { return new OpsFixture(new CpuBackend(2, vector), seed); }

    static double[][] gemmRef(boolean ta, boolean tb, int m, int n, int k, float alpha, float[] a, float[] b, float beta, float[] c0) {
        double[] c = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) {
                    double av = ta ? a[p * m + i] : a[i * k + p], bv = tb ? b[j * k + p] : b[p * n + j];
                    s += av * bv;
                }
                c[i * n + j] = alpha * s + (beta == 0 ? 0 : beta * (double) c0[i * n + j]);
            }
        return new double[][] {c};
    }

    @ParameterizedTest(name = "vector={0}")
    @ValueSource(booleans = {true, false})
    void gemmAllTransposesAlphaBeta(boolean vector) {
        OpsFixture f = fx(vector, 1);
        int[][] sizes = {{1, 1, 1}, {2, 3, 2}, {37, 63, 5}, {65, 17, 300}, {13, 1030, 3}, {97, 40, 784}};
        for (int[] s : sizes)
            for (int tr = 0; tr < 4; tr++)
                for (float beta : new float[] {0f, -1.3f}) {
                    int m = s[0], n = s[1], k = s[2];
                    boolean ta = (tr & 1) != 0, tb = (tr & 2) != 0;
                    float[] a = f.rand(m * k), b = f.rand(k * n), c0 = f.rand(m * n);
                    Tensor at = ta ? f.t(a, k, m) : f.t(a, m, k), bt = tb ? f.t(b, n, k) : f.t(b, k, n);
                    Tensor ct = beta == 0 ? f.poisoned(m, n) : f.t(c0, m, n); // beta = 0 must not read C
                    float alpha = 0.7f;
                    f.be.dense().gemm(ta, tb, alpha, at, bt, beta, ct);
                    f.assertClose("gemm ta=" + ta + " tb=" + tb + " " + m + "x" + n + "x" + k + " beta=" + beta,
                            gemmRef(ta, tb, m, n, k, alpha, a, b, beta, c0)[0], ct, MM_ATOL, MM_RTOL);
                }
    }

    static double act(Activation a, double x) {
        return switch (a) {
            case IDENTITY -> x;
            case RELU -> Math.max(x, 0);
            case TANH -> Math.tanh(x);
            case ELU -> x > 0 ? x : Math.exp(x) - 1;
            case SILU -> x / (1 + Math.exp(-x));
        };
    }

    static double actDerivative(Activation a, double x) {
        return switch (a) {
            case IDENTITY -> 1;
            case RELU -> x > 0 ? 1 : 0;
            case TANH -> 1 - Math.tanh(x) * Math.tanh(x);
            case ELU -> x > 0 ? 1 : Math.exp(x);
            case SILU -> { double s = 1 / (1 + Math.exp(-x)); yield s + x * s * (1 - s); }
        };
    }

    @ParameterizedTest(name = "vector={0}")
    @ValueSource(booleans = {true, false})
    void linearForwardEveryActivation(boolean vector) {
        OpsFixture f = fx(vector, 2);
        int[][] sizes = {{37, 2, 64}, {130, 3, 17}, {67, 63, 63}, {33, 784, 20}, {5, 1, 1}};
        for (int[] s : sizes)
            for (Activation a : Activation.values())
                for (boolean withBias : new boolean[] {true, false}) {
                    int n = s[0], in = s[1], out = s[2];
                    float[] x = f.rand(n * in), w = f.rand(out * in, 1 / Math.sqrt(in)), b = f.rand(out);
                    Tensor pre = f.poisoned(n, out), y = f.poisoned(n, out);
                    f.be.dense().linearForward(f.t(x, n, in), f.t(w, out, in), withBias ? f.t(b, out) : null, a, pre, y);
                    double[] pr = new double[n * out], yr = new double[n * out];
                    for (int r = 0; r < n; r++)
                        for (int o = 0; o < out; o++) {
                            double acc = withBias ? b[o] : 0;
                            for (int q = 0; q < in; q++) acc += (double) x[r * in + q] * w[o * in + q];
                            pr[r * out + o] = acc;
                            yr[r * out + o] = act(a, acc);
                        }
                    String what = "linearForward " + a + " " + n + "x" + in + "->" + out + (withBias ? "" : " no bias");
                    f.assertClose(what + " pre", pr, pre, MM_ATOL, MM_RTOL);
                    f.assertClose(what + " y", yr, y, MM_ATOL, MM_RTOL);
                    if (a == Activation.RELU || a == Activation.TANH || a == Activation.IDENTITY) { // pre not stored
                        Tensor y2 = f.poisoned(n, out);
                        f.be.dense().linearForward(f.t(x, n, in), f.t(w, out, in), withBias ? f.t(b, out) : null, a, null, y2);
                        OpsFixture.assertBitIdentical(what + " without pre", f.be.toHost(y), f.be.toHost(y2));
                    }
                }
    }

    @ParameterizedTest(name = "vector={0}")
    @ValueSource(booleans = {true, false})
    void activationBackwardEveryActivation(boolean vector) {
        OpsFixture f = fx(vector, 3);
        for (int[] s : new int[][] {{37, 3}, {67, 63}, {130, 17}, {1, 784}})
            for (Activation a : Activation.values())
                for (int variant = 0; variant < 3; variant++) { // 0: pre given, 1: gpre aliases gy, 2: pre null
                    if (variant == 2 && !(a == Activation.RELU || a == Activation.TANH || a == Activation.IDENTITY)) continue;
                    int n = s[0], d = s[1];
                    float[] pre = f.rand(n * d, 2), gy = f.rand(n * d), y = new float[n * d];
                    for (int i = 0; i < y.length; i++) y[i] = a.apply(pre[i]);
                    double[] ref = new double[n * d];
                    for (int i = 0; i < ref.length; i++) ref[i] = gy[i] * actDerivative(a, pre[i]);
                    Tensor gyt = f.t(gy, n, d), out = variant == 1 ? gyt : f.poisoned(n, d);
                    f.be.dense().activationBackward(a, variant == 2 ? null : f.t(pre, n, d), f.t(y, n, d), gyt, out);
                    f.assertClose("activationBackward " + a + " variant " + variant, ref, out, EW_ATOL, EW_RTOL);
                }
    }

    @ParameterizedTest(name = "vector={0}")
    @ValueSource(booleans = {true, false})
    void linearBackward(boolean vector) {
        OpsFixture f = fx(vector, 4);
        for (int[] s : new int[][] {{67, 3, 17}, {130, 63, 64}, {37, 784, 9}, {1, 2, 2}})
            for (boolean optional : new boolean[] {true, false}) {
                int n = s[0], in = s[1], out = s[2];
                float[] x = f.rand(n * in), w = f.rand(out * in), g = f.rand(n * out), gw0 = f.rand(out * in), gb0 = f.rand(out);
                Tensor gx = optional ? f.poisoned(n, in) : null, gw = f.t(gw0, out, in), gb = optional ? f.t(gb0, out) : null;
                f.be.dense().linearBackward(f.t(x, n, in), f.t(w, out, in), f.t(g, n, out), gx, gw, gb);
                double[] gxr = new double[n * in], gwr = new double[out * in], gbr = new double[out];
                for (int r = 0; r < n; r++)
                    for (int o = 0; o < out; o++) {
                        double gv = g[r * out + o];
                        gbr[o] += gv;
                        for (int q = 0; q < in; q++) { gxr[r * in + q] += gv * w[o * in + q]; gwr[o * in + q] += gv * x[r * in + q]; }
                    }
                String what = "linearBackward " + n + "x" + in + "->" + out;
                f.assertClose(what + " gw", plus(gw0, gwr), gw, MM_ATOL, MM_RTOL);
                if (optional) {
                    f.assertClose(what + " gx", gxr, gx, MM_ATOL, MM_RTOL);
                    f.assertClose(what + " gb", plus(gb0, gbr), gb, EW_ATOL, EW_RTOL * 10);
                }
            }
    }

    @Test void applyMaskGatherScatter() {
        OpsFixture f = fx(true, 5);
        float[] w = f.rand(17 * 9), mask = new float[17 * 9];
        for (int i = 0; i < mask.length; i++) mask[i] = f.rng.nextBoolean() ? 1f : 0f;
        Tensor out = f.poisoned(17, 9);
        f.be.dense().applyMask(f.t(w, 17, 9), f.t(mask, 17, 9), out);
        double[] ref = new double[w.length];
        for (int i = 0; i < w.length; i++) ref[i] = (double) w[i] * mask[i];
        f.assertClose("applyMask", ref, out, 0, 0);

        for (int[] s : new int[][] {{37, 2, 1}, {130, 63, 40}, {67, 784, 300}}) {
            int n = s[0], d = s[1], k = s[2];
            int[] idx = f.randomSubset(d, k);
            float[] x = f.rand(n * d);
            Tensor g = f.poisoned(n, k);
            f.be.coupling().gather(f.t(x, n, d), f.be.index(idx), g);
            double[] gr = new double[n * k];
            for (int r = 0; r < n; r++) for (int j = 0; j < k; j++) gr[r * k + j] = x[r * d + idx[j]];
            f.assertClose("gather", gr, g, 0, 0);
            float[] src = f.rand(n * k), dst0 = f.rand(n * d);
            Tensor dst = f.t(dst0, n, d);
            f.be.coupling().scatterAdd(f.t(src, n, k), f.be.index(idx), dst);
            double[] sr = dbl(dst0);
            for (int r = 0; r < n; r++) for (int j = 0; j < k; j++) sr[r * d + idx[j]] += src[r * k + j];
            f.assertClose("scatterAdd", sr, dst, EW_ATOL, EW_RTOL);
        }
    }

    @ParameterizedTest(name = "vector={0}")
    @ValueSource(booleans = {true, false})
    void elementwiseHelpers(boolean vector) {
        OpsFixture f = fx(vector, 6);
        for (int n : new int[] {1, 7, 100_003}) {
            float[] x = f.rand(n), y0 = f.rand(n);
            Tensor y = f.t(y0, n);
            f.be.elementwise().axpy(-0.37f, f.t(x, n), y);
            double[] ar = new double[n];
            for (int i = 0; i < n; i++) ar[i] = y0[i] - 0.37 * x[i];
            f.assertClose("axpy n=" + n, ar, y, EW_ATOL, EW_RTOL);

            Tensor s = f.t(x, n);
            f.be.elementwise().scale(s, 1.7f);
            double[] sr = new double[n];
            for (int i = 0; i < n; i++) sr[i] = 1.7 * x[i];
            f.assertClose("scale n=" + n, sr, s, EW_ATOL, EW_RTOL);

            Tensor fl = f.poisoned(n);
            f.be.fill(fl, 0.25f);
            double[] fr = new double[n];
            java.util.Arrays.fill(fr, 0.25);
            f.assertClose("fill n=" + n, fr, fl, 0, 0);

            Tensor cp = f.poisoned(n);
            f.be.copy(f.t(x, n), cp);
            f.assertClose("copy n=" + n, dbl(x), cp, 0, 0);

            double sum = 0, sq = 0;
            for (float v : x) { sum += v; sq += (double) v * v; }
            assertEquals(sum, f.be.reduce().sum(f.t(x, n)), EW_ATOL + EW_RTOL * Math.abs(sum), "sum n=" + n);
            assertEquals(sq, f.be.reduce().sumSquares(f.t(x, n)), EW_ATOL + EW_RTOL * sq, "sumSquares n=" + n);
            assertTrue(f.be.reduce().allFinite(f.t(x, n)));
            for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
                float[] xb = x.clone();
                xb[n / 2] = bad;
                assertFalse(f.be.reduce().allFinite(f.t(xb, n)), "allFinite with " + bad);
            }
        }
    }

    @Test void randomNormalIsReproducibleAndStandard() {
        OpsFixture f = fx(true, 7);
        int n = 200_001;
        Tensor a = f.poisoned(n), b = f.poisoned(n);
        f.be.randomNormal(a, 42, 0.5f);
        f.be.randomNormal(b, 42, 0.5f);
        float[] av = f.be.toHost(a);
        OpsFixture.assertBitIdentical("randomNormal seed 42", av, f.be.toHost(b));
        double m = 0, v = 0;
        for (float x : av) m += x;
        m /= n;
        for (float x : av) v += (x - m) * (x - m);
        v /= n;
        assertEquals(0, m, 5 * 0.5 / Math.sqrt(n), "mean");
        assertEquals(0.25, v, 0.01, "variance");
    }

    @ParameterizedTest(name = "vector={0}")
    @ValueSource(booleans = {true, false})
    void adamAndAdamax(boolean vector) {
        OpsFixture f = fx(vector, 8);
        for (int n : new int[] {1, 63, 70_001}) {
            float[] p = f.rand(n), g = f.rand(n), m = f.rand(n, 0.1), v = f.uniform(n, 1e-3, 0.1);
            float lr = 1e-2f, b1 = 0.9f, b2 = 0.999f, eps = 1e-8f, wd = 0.01f;
            int step = 3;
            Tensor pt = f.t(p, n), mt = f.t(m, n), vt = f.t(v, n);
            f.be.optim().adamUpdate(pt, f.t(g, n), mt, vt, lr, b1, b2, eps, wd, step);
            double[] pr = new double[n], mr = new double[n], vr = new double[n];
            double bc1 = 1 - Math.pow(b1, step), bc2 = 1 - Math.pow(b2, step);
            for (int i = 0; i < n; i++) {
                mr[i] = (double) b1 * m[i] + (1 - (double) b1) * g[i];
                vr[i] = (double) b2 * v[i] + (1 - (double) b2) * g[i] * (double) g[i];
                pr[i] = p[i] - lr * ((mr[i] / bc1) / (Math.sqrt(vr[i] / bc2) + eps) + (double) wd * p[i]);
            }
            f.assertClose("adam m n=" + n, mr, mt, EW_ATOL, EW_RTOL);
            f.assertClose("adam v n=" + n, vr, vt, EW_ATOL, EW_RTOL);
            f.assertClose("adam p n=" + n, pr, pt, EW_ATOL, EW_RTOL);

            float[] u = f.uniform(n, 1e-3, 1);
            Tensor p2 = f.t(p, n), m2 = f.t(m, n), u2 = f.t(u, n);
            f.be.optim().adamaxUpdate(p2, f.t(g, n), m2, u2, lr, b1, b2, eps, step);
            double[] pr2 = new double[n], ur = new double[n];
            for (int i = 0; i < n; i++) {
                ur[i] = Math.max((double) b2 * u[i], Math.abs(g[i]));
                pr2[i] = p[i] - lr / bc1 * mr[i] / (ur[i] + eps);
            }
            f.assertClose("adamax m n=" + n, mr, m2, EW_ATOL, EW_RTOL);
            f.assertClose("adamax u n=" + n, ur, u2, EW_ATOL, EW_RTOL);
            f.assertClose("adamax p n=" + n, pr2, p2, EW_ATOL, EW_RTOL);
        }
    }

    @Test void shapeErrorsNameTheOp() {
        OpsFixture f = fx(true, 9);
        var be = f.be;
        Tensor a = be.alloc(4, 3), b = be.alloc(5, 2), c = be.alloc(4, 2), v3 = be.alloc(3), v4 = be.alloc(4);
        expectShape("gemm", () -> be.dense().gemm(false, false, 1f, a, b, 0f, c));
        expectShape("linearForward", () -> be.dense().linearForward(a, b, null, Activation.RELU, null, c));
        expectShape("activationBackward", () -> be.dense().activationBackward(Activation.RELU, null, a, a, c));
        expectShape("activationBackward", () -> be.dense().activationBackward(Activation.SILU, null, a, a, a));
        expectShape("linearBackward", () -> be.dense().linearBackward(a, be.alloc(2, 3), c, a, be.alloc(2, 2), null));
        expectShape("applyMask", () -> be.dense().applyMask(a, c, a));
        expectShape("gather", () -> be.coupling().gather(a, be.index(new int[] {0, 3}), c));
        expectShape("scatterAdd", () -> be.coupling().scatterAdd(c, be.index(new int[] {0, 1, 2}), a));
        expectShape("affineCouplingForward", () -> be.coupling().affineCouplingForward(a, c, be.index(new int[] {2}), CouplingScale.SOFTCLAMP, 2f, be.alloc(4, 3), v3));
        expectShape("affineCouplingBackward", () -> be.coupling().affineCouplingBackward(a, c, be.index(new int[] {2}), CouplingScale.SOFTCLAMP, 2f, c, v4, a, c));
        expectShape("actnormForward", () -> be.actnorm().actnormForward(a, v4, null, a, v4));
        expectShape("luSolve", () -> be.lu().luSolve(be.index(new int[] {0, 1, 2}), be.alloc(3, 3), be.alloc(3, 3), v3, v3, c, c));
        expectShape("mafForward", () -> be.maf().mafForward(a, a, 2f, a, v4));
        expectShape("stdNormalLogProb", () -> be.dist().stdNormalLogProb(a, v3));
        expectShape("diagNormalLogProb", () -> be.dist().diagNormalLogProb(a, v4, v3, v4));
        expectShape("adamUpdate", () -> be.optim().adamUpdate(a, c, a, a, 1e-3f, 0.9f, 0.999f, 1e-8f, 0f, 1));
        expectShape("axpy", () -> be.elementwise().axpy(1f, a, c));
        expectShape("copy", () -> be.copy(a, c));
        expectShape("upload", () -> be.upload(new float[5], a));
    }

    private static void expectShape(String op, Runnable r) {
        ShapeException e = assertThrows(ShapeException.class, r::run, op);
        assertTrue(e.getMessage().startsWith(op + ":"), "message should name " + op + ": " + e.getMessage());
    }

    @Test void memoryAccountingTracksScopesAndPeak() {
        CpuBackend be = new CpuBackend(1);
        assertEquals(0, be.pooledBytesInUse());
        be.alloc(1000); // outside any scope: not pooled, not counted
        assertEquals(0, be.pooledBytesInUse());
        try (Scope outer = be.scope()) {
            Tensor a = be.alloc(10, 10);
            assertEquals(400, be.pooledBytesInUse());
            Tensor kept;
            try (Scope inner = be.scope()) {
                be.alloc(25);
                kept = inner.keep(be.alloc(5));
                assertEquals(400 + 100 + 20, be.pooledBytesInUse());
            }
            assertEquals(420, be.pooledBytesInUse()); // the kept tensor moved to the outer scope
            be.release(a);
            assertEquals(20, be.pooledBytesInUse());
            assertEquals(520, be.peakPooledBytes());
            be.resetPeak();
            assertEquals(20, be.peakPooledBytes());
            assertEquals(5, kept.numel());
        }
        assertEquals(0, be.pooledBytesInUse());
        assertEquals(20, be.peakPooledBytes());
        try (Scope s = be.scope()) { // out of the outermost scope: the copy is no longer pooled
            s.keep(be.alloc(7));
            be.alloc(3);
            assertEquals(12, be.pooledBytesInUse());
        }
        assertEquals(0, be.pooledBytesInUse());
        be.close();
    }

    @Test void vectorApiIsUsedWhenPresent() {
        // the build runs the tests with --add-modules jdk.incubator.vector, so the default backend must be vectorised
        assertTrue(CpuBackend.vectorApiAvailable(), "jdk.incubator.vector should be present in the test JVM");
        assertEquals(!"false".equals(System.getProperty("fluvia.vector")), new CpuBackend(1).vectorized());
        assertFalse(new CpuBackend(1, false).vectorized());
    }
}
