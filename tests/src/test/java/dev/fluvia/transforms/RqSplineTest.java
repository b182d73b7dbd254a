package dev.fluvia.transforms;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fluvia.FluviaException.NonFiniteException;
import dev.fluvia.backend.Activation;
import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.flow.Flow;
import dev.fluvia.flow.MemoryMode;
import dev.fluvia.flow.PresetOptions;
import dev.fluvia.flow.Presets;
import dev.fluvia.oracle.FlowGradientCheck;
import dev.fluvia.oracle.RqSplineOracles;
import dev.fluvia.param.Param;
import dev.fluvia.train.Nll;
import java.util.ArrayList;
import java.util.List;
import dev.fluvia.oracle.TransformCheck;
import dev.fluvia.oracle.TransformCheck.Report;
import dev.fluvia.param.Stash;
import dev.fluvia.tensor.Tensor;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Rational-quadratic spline coupling and autoregressive spline: the spline math (inverse, gradients), the float64
 * oracle, log-det vs brute-force Jacobian, round trip, gradients vs central differences, the linear tails (±1e6,
 * bin edges, ±B), typed errors, Registry, checkpoint, training.
 */
class RqSplineTest {
    private final CpuBackend be = new CpuBackend(2);
    @TempDir Path dir;

    private static double[] randomParams(SplittableRandom r, int K, double scale) {
        double[] p = new double[3 * K - 1];
        for (int i = 0; i < p.length; i++) p[i] = (r.nextDouble() * 2 - 1) * scale;
        return p;
    }

    @Test void zeroParametersAreTheIdentity() {
        RqSpline s = new RqSpline(5, 2, 1e-3, 1e-3, 1e-3).set(new double[14], 0);
        double[] o = new double[2];
        for (double x : new double[] {-2, -1.3, 0, 0.77, 2}) {
            s.forward(x, o);
            assertEquals(x, o[0], 1e-12);
            assertEquals(0, o[1], 1e-12);
        }
    }

    /** Forward then closed-form inverse in float64 over the box: tight round trip and opposite log-dets. */
    @Test void closedFormInverseRoundTrips() {
        SplittableRandom r = new SplittableRandom(3);
        double[] o = new double[2], q = new double[2];
        double worst = 0;
        for (int trial = 0; trial < 50; trial++) {
            int K = 1 + r.nextInt(10);
            RqSpline s = new RqSpline(K, 3, 1e-3, 1e-3, 1e-3).set(randomParams(r, K, 3), 0);
            for (int i = 0; i < 40; i++) {
                double x = (r.nextDouble() * 2 - 1) * 3.2;
                s.forward(x, o);
                s.inverse(o[0], q);
                worst = Math.max(worst, Math.abs(q[0] - x));
                assertEquals(-o[1], q[1], 1e-8, "ld at x = " + x);
            }
        }
        assertTrue(worst < 1e-10, "round trip " + worst);
    }

    /** ∂y/∂x, ∂ld/∂x and both w.r.t. every unnormalised parameter against central differences in float64. */
    @Test void gradientsMatchCentralDifferences() {
        SplittableRandom r = new SplittableRandom(4);
        double[] o = new double[2];
        for (int trial = 0; trial < 30; trial++) {
            int K = 2 + r.nextInt(7);
            double[] p = randomParams(r, K, 2);
            double x = (r.nextDouble() * 2 - 1) * 2.9, gy = r.nextDouble() * 2 - 1, gl = r.nextDouble() * 2 - 1;
            RqSpline s = new RqSpline(K, 3, 1e-3, 1e-3, 1e-3).set(p, 0);
            double[] gp = new double[p.length];
            double gx = s.backward(x, gy, gl, gp, 0);
            double eps = 1e-6;
            s.forward(x + eps, o); double lp = gy * o[0] + gl * o[1];
            s.forward(x - eps, o); double lm = gy * o[0] + gl * o[1];
            assertEquals((lp - lm) / (2 * eps), gx, 1e-6 * (1 + Math.abs(gx)), "dx, K " + K + " x " + x);
            for (int i = 0; i < p.length; i++) {
                double keep = p[i];
                p[i] = keep + eps; s.set(p, 0).forward(x, o); lp = gy * o[0] + gl * o[1];
                p[i] = keep - eps; s.set(p, 0).forward(x, o); lm = gy * o[0] + gl * o[1];
                p[i] = keep;
                assertEquals((lp - lm) / (2 * eps), gp[i], 1e-6 * (1 + Math.abs(gp[i])), "param " + i + ", K " + K + " x " + x);
            }
        }
    }

    @ParameterizedTest(name = "coupling D={0} bins {1} seed {2}")
    @CsvSource({"2, 4, 1", "3, 8, 2", "5, 3, 3"})
    void couplingAgainstOracle(int dim, int bins, long seed) {
        int[][] m = Masks.alternating(dim, (int) seed);
        RqSplineCoupling t = new RqSplineCoupling(be, dim, m[0], m[1], new int[] {6}, Activation.TANH, bins, 2.5, new SplittableRandom(seed));
        Report r = TransformCheck.of(be, t, RqSplineOracles.coupling(t)).seed(60 + seed).jitter(0.5).inputStd(1.5).run();
        assertTrue(r.roundTripMaxAbs() < 1e-4, r.toString());
    }

    @ParameterizedTest(name = "autoregressive D={0} bins {1} seed {2}")
    @CsvSource({"2, 4, 1", "3, 6, 2", "4, 3, 3"})
    void autoregressiveAgainstOracle(int dim, int bins, long seed) {
        int[] order = Maf.randomOrder(dim, seed);
        RqSplineAutoregressive t = new RqSplineAutoregressive(be, order, new int[] {7}, Activation.TANH, bins, 2.5, new SplittableRandom(seed));
        Report r = TransformCheck.of(be, t, RqSplineOracles.autoregressive(t, Activation.TANH)).seed(70 + seed).jitter(0.5).inputStd(1.5).run();
        assertTrue(r.roundTripMaxAbs() < 1e-4, r.toString());
    }

    /** ±1e6, ±B and the exact (float32-rounded) knots: finite outputs, the oracle's values, a round trip, never an error. */
    @Test void tailsAndBinEdges() {
        int K = 5;
        double B = 2;
        RqSplineCoupling t = new RqSplineCoupling(be, 2, new int[] {0}, new int[] {1}, new int[] {4}, Activation.TANH, K, B, new SplittableRandom(5));
        ZooFlowChecks.jitter(be, t.params(), 0.8, 6);
        // the spline of dim 1 depends on x0; fix x0 = 0.3 and read its knots from the conditioner output
        float x0 = 0.3f;
        Tensor hT = t.net().forward(be.fromHost(new float[] {x0}, 1, 1), Stash.none(), "k");
        float[] h = be.toHost(hT);
        RqSpline s = new RqSpline(K, B, 1e-3, 1e-3, 1e-3).set(h, 0);
        double[] probes = new double[K + 1 + 8];
        int n = 0;
        for (int k = 0; k <= K; k++) probes[n++] = (float) s.xs[k];
        for (double v : new double[] {1e6, -1e6, B, -B, Math.nextUp((float) B), Math.nextDown((float) -B), 1e-30, 0}) probes[n++] = v;
        float[] x = new float[2 * n];
        for (int i = 0; i < n; i++) { x[2 * i] = x0; x[2 * i + 1] = (float) probes[i]; }
        Tensor ld = be.alloc(n);
        Tensor y = t.forward(be.fromHost(x, n, 2), ld, Stash.none());
        float[] yh = be.toHost(y), ldh = be.toHost(ld);
        double[] hd = new double[h.length];
        for (int i = 0; i < h.length; i++) hd[i] = h[i];
        for (int i = 0; i < n; i++) {
            assertTrue(Float.isFinite(yh[2 * i + 1]) && Float.isFinite(ldh[i]), "probe " + probes[i] + " → " + yh[2 * i + 1] + ", ld " + ldh[i]);
            double[] ref = RqSplineOracles.spline(x[2 * i + 1], hd, 0, K, B);
            assertEquals(ref[0], yh[2 * i + 1], 1e-5 * (1 + Math.abs(ref[0])), "y at " + probes[i]);
            assertEquals(ref[1], ldh[i], 1e-5, "ld at " + probes[i]);
        }
        assertEquals(1e6f, yh[2 * (K + 1) + 1]);  // tails: identity, log-det 0
        assertEquals(-1e6f, yh[2 * (K + 2) + 1]);
        assertEquals(0f, ldh[K + 1]);
        assertEquals(0f, ldh[K + 2]);
        Tensor ld2 = be.alloc(n);
        float[] back = be.toHost(t.inverse(y, ld2)), ld2h = be.toHost(ld2);
        for (int i = 0; i < n; i++) {
            assertEquals(x[2 * i + 1], back[2 * i + 1], 1e-5 * (1 + Math.abs(x[2 * i + 1])), "round trip at " + probes[i]);
            assertEquals(-ldh[i], ld2h[i], 1e-5, "inverse ld at " + probes[i]);
        }
        // the gradient at the knots and in the tails is finite
        Tensor gx = t.backward(be.fromHost(x, n, 2), be.fromHost(filled(2 * n, 1f), n, 2), be.fromHost(filled(n, 1f), n), Stash.none());
        for (float g : be.toHost(gx)) assertTrue(Float.isFinite(g), "gradient " + g);
        for (var p : t.params()) for (float g : be.toHost(p.grad())) assertTrue(Float.isFinite(g), "param gradient " + g);
    }

    private static float[] filled(int n, float v) {
        float[] a = new float[n];
        java.util.Arrays.fill(a, v);
        return a;
    }

    @Test void nonFiniteInputIsATypedError() {
        RqSplineCoupling t = new RqSplineCoupling(be, 2, new int[] {0}, new int[] {1}, new int[] {4}, Activation.TANH, 4, 3, new SplittableRandom(1));
        assertThrows(NonFiniteException.class, () -> t.forward(be.fromHost(new float[] {0, Float.NaN}, 1, 2), be.alloc(1), Stash.none()));
        assertThrows(IllegalArgumentException.class,
                () -> new RqSplineCoupling(be, 2, new int[] {0}, new int[] {1}, new int[] {4}, Activation.TANH, 0, 3, new SplittableRandom(1)));
        assertThrows(IllegalArgumentException.class,
                () -> new RqSplineCoupling(be, 2, new int[] {0}, new int[] {1}, new int[] {4}, Activation.TANH, 4, -1, new SplittableRandom(1)));
        assertThrows(IllegalArgumentException.class,
                () -> new RqSplineAutoregressive(be, new int[] {0, 0}, new int[] {4}, Activation.TANH, 4, 3, new SplittableRandom(1)));
        assertThrows(dev.fluvia.FluviaException.ShapeException.class,
                () -> new RqSplineAutoregressive(be, new int[] {0}, new int[] {4}, Activation.TANH, 4, 3, new SplittableRandom(1)));
        assertThrows(IllegalArgumentException.class, () -> new RqSplineAutoregressive(dev.fluvia.param.ParamSource.fresh(be), be,
                new int[] {0, 1, 2}, new int[] {2}, Activation.TANH, 4, 3, new int[][] {{1, 3}}, new SplittableRandom(1)));
    }

    @Test void registryRoundTrip() throws Exception {
        RqSplineCoupling c = new RqSplineCoupling(be, 3, new int[] {0, 2}, new int[] {1}, new int[] {5}, Activation.RELU, 6, 3, new SplittableRandom(2));
        ZooFlowChecks.jitter(be, c.params(), 0.4, 3);
        ZooFlowChecks.registryRoundTrip(be, c);
        RqSplineAutoregressive a = new RqSplineAutoregressive(be, new int[] {2, 0, 1}, new int[] {5}, Activation.RELU, 6, 3, new SplittableRandom(2));
        ZooFlowChecks.jitter(be, a.params(), 0.4, 3);
        ZooFlowChecks.registryRoundTrip(be, a);
    }

    @Test void checkpointSaveLoadGivesTheSameLogProb() {
        ZooFlowChecks.checkpointRoundTrip("spline", dir);
        ZooFlowChecks.checkpointRoundTrip("spline-ar", dir);
    }

    /**
     * A 3-layer preset stack on 3-D data: the NLL gradient of every parameter against central differences, and recompute
     * mode equal to store mode. Tanh conditioners (smooth: a ReLU kink inside the difference step would blur the check).
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"spline", "spline-ar"})
    void flowGradientsMatchCentralDifferences(String preset) {
        CpuBackend b1 = new CpuBackend(1);
        Flow f = Presets.build(preset, b1, 3, PresetOptions.defaults().withLayers(3).withHidden(8).withActivation(Activation.TANH).withSeed(11), null, null);
        ZooFlowChecks.jitter(b1, f.params(), 0.3, 12);
        int n = 7;
        float[] x = new float[n * 3];
        SplittableRandom r = new SplittableRandom(13);
        for (int i = 0; i < x.length; i++) x[i] = (float) (1.5 * CpuBackend.gaussian(r));
        x[0] = 4.5f; // coordinates in the tails (outside [−3, 3]; ±1e6 is tailsAndBinEdges' case: there the NLL's float32
        x[4] = -3.7f; // rounding swamps any central difference)
        f.zeroGrad();
        double loss = Nll.INSTANCE.forwardBackward(f, b1.fromHost(x, n, 3), MemoryMode.STORE);
        assertEquals(FlowGradientCheck.nll(f, x, n), loss, 1e-5 * (1 + Math.abs(loss)));
        int checked = 0;
        for (Param p : f.params())
            if (p.trainable()) checked += FlowGradientCheck.centralDifferences(b1, f, p, b1.toHost(p.grad()), x, n, 4);
        assertTrue(checked >= 9, "checked " + checked);
        List<float[]> ga = new ArrayList<>();
        for (Param p : f.params()) ga.add(p.grad() == null ? null : b1.toHost(p.grad()));
        f.zeroGrad();
        assertEquals(loss, Nll.INSTANCE.forwardBackward(f, b1.fromHost(x, n, 3), MemoryMode.RECOMPUTE), 1e-6 * (1 + Math.abs(loss)));
        for (int k = 0; k < ga.size(); k++)
            if (ga.get(k) != null) assertArrayEquals(ga.get(k), b1.toHost(f.params().get(k).grad()), 1e-5f);
    }

    @Test void trainingOnMoonsLowersTheNll() {
        double[] r = ZooFlowChecks.train("spline", "moons", 2, 150, 5e-3);
        assertTrue(r[1] < r[0] - 0.2, "held-out NLL " + r[0] + " -> " + r[1]);
    }

    /**
     * The float32 spline ops ({@code be.spline()}, the CPU reference of kernels/spline.cu) against the float64 oracle, element by
     * element, on interior points, the tails (±1e6, just beyond ±B), ±B and the exact (float32-rounded) knots: values and
     * log-dets at the float32 tolerances above, the inverse's round trip, and the backward (gx and every raw-parameter
     * gradient) against {@link RqSpline#backward} off the knots (on a knot the log-det gradient is one-sided: only finiteness).
     */
    @Test void splineOpsMatchTheFloat64Oracle() {
        int K = 6, n = 240, p = RqSpline.paramsPerDim(K);
        double B = 2.5;
        var spec = dev.fluvia.backend.spline.SplineOps.Spec.of(K, B);
        SplittableRandom r = new SplittableRandom(31);
        float[] h = new float[n * p], x = new float[n];
        boolean[] knot = new boolean[n];
        RqSpline s = new RqSpline(K, B, 1e-3, 1e-3, 1e-3);
        for (int e = 0; e < n; e++) {
            for (int q = 0; q < p; q++) h[e * p + q] = (float) ((r.nextDouble() * 2 - 1) * 2);
            s.set(h, e * p);
            x[e] = switch (e % 6) {
                case 0 -> e % 12 == 0 ? 1e6f : -1e6f;
                case 1 -> (e % 12 == 1 ? 1 : -1) * (float) B;
                case 2 -> { knot[e] = true; yield (float) s.xs[r.nextInt(K + 1)]; }
                case 3 -> (float) (B + 0.01 + r.nextDouble()) * (r.nextBoolean() ? 1 : -1);
                default -> (float) ((r.nextDouble() * 2 - 1) * B);
            };
        }
        Tensor xT = be.fromHost(x, n, 1), hT = be.fromHost(h, n, p), yT = be.alloc(n, 1), ldT = be.alloc(n);
        be.spline().rqSplineForward(xT, hT, spec, yT, ldT);
        float[] y = be.toHost(yT), ld = be.toHost(ldT);
        double[] o = new double[2];
        for (int e = 0; e < n; e++) {
            s.set(h, e * p).forward(x[e], o);
            assertEquals(o[0], y[e], 1e-5 * (1 + Math.abs(o[0])), "y at " + x[e]);
            // log-det at 1e-4: a narrow bin's width is a difference of float32 knots near ±B (relative error ~1e-5 on s)
            assertEquals(o[1], ld[e], 1e-4 * (1 + Math.abs(o[1])), "ld at " + x[e]);
        }
        Tensor xbT = be.alloc(n, 1), ld2T = be.alloc(n);
        be.spline().rqSplineInverse(yT, hT, spec, xbT, ld2T);
        float[] xb = be.toHost(xbT), ld2 = be.toHost(ld2T);
        for (int e = 0; e < n; e++) {
            // 1e-4: x = g⁻¹(y) amplifies y's float32 rounding by 1/g' (down to ~1e-2 for these random splines)
            assertEquals(x[e], xb[e], 1e-4 * (1 + Math.abs(x[e])), "round trip at " + x[e]);
            s.set(h, e * p).inverse(y[e], o); // the oracle at the same float32 y (a round trip's ld is ill-conditioned near a narrow bin's end)
            // 1e-4 (was 1e-3): at y = B exactly the float32 inverse log-det was 1.04e-4 off the float64 oracle's (~0) for one of
            // these random splines: the cancellation of b² − 4ac (two terms ~4s²h² in a steep bin) moved ξ by ~ε·s and the
            // log-det by ~2ε·s². The ops now solve from the nearer end of the bin with a discriminant of two terms ≥ 0
            // (docs/FLOWS.md), worst 4.3e-5 here; y = ±B gives x = ±B and log-det 0 exactly
            assertEquals(o[1], ld2[e], 1e-4 * (1 + Math.abs(o[1])), "inverse ld at " + y[e]);
            if (Math.abs(y[e]) == (float) B) {
                assertEquals(y[e], xb[e], 0f, "inverse at y = " + y[e] + " gives the bound itself");
                assertEquals(0.0, ld2[e], 0.0, "inverse log-det at y = " + y[e] + " is exactly 0");
            }
        }
        float[] gy = new float[n], gl = new float[n];
        for (int e = 0; e < n; e++) { gy[e] = (float) (r.nextDouble() * 2 - 1); gl[e] = (float) (r.nextDouble() * 2 - 1); }
        Tensor gxT = be.alloc(n, 1), ghT = be.alloc(n, p);
        be.spline().rqSplineBackward(xT, hT, spec, be.fromHost(gy, n, 1), be.fromHost(gl, n), gxT, ghT);
        float[] gx = be.toHost(gxT), gh = be.toHost(ghT);
        double[] gp = new double[n * p];
        int compared = 0;
        for (int e = 0; e < n; e++) {
            double g = s.set(h, e * p).backward(x[e], gy[e], gl[e], gp, e * p);
            assertTrue(Float.isFinite(gx[e]), "gx at " + x[e]);
            for (int q = 0; q < p; q++) assertTrue(Float.isFinite(gh[e * p + q]), "gh at " + x[e]);
            if (knot[e]) continue;
            assertEquals(g, gx[e], 1e-3 * (1 + Math.abs(g)), "gx at " + x[e]);
            for (int q = 0; q < p; q++) assertEquals(gp[e * p + q], gh[e * p + q], 1e-3 * (1 + Math.abs(gp[e * p + q])), "gh[" + q + "] at " + x[e]);
            compared++;
        }
        assertTrue(compared > n / 2, "compared " + compared);
    }
}
