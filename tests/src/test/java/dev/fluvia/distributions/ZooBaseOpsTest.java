package dev.fluvia.distributions;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.backend.dist.DistOps;
import dev.fluvia.param.Param;
import dev.fluvia.tensor.Tensor;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The zoo bases on the backend's dist ops (issue 11) against the float64 host math they ran on before ({@link HostBases}):
 * log p (−∞ outside the support, exactly), gz and every parameter gradient, with out-of-support rows, NaN inputs, α, β &lt; 1
 * and float32 box edges; the samplers as transforms of the backend's draws; Beta sampling's moments for shapes below and
 * above 1, its fallback and its range for extreme shapes.
 */
class ZooBaseOpsTest {
    private final CpuBackend be = new CpuBackend(2);
    private final SplittableRandom rng = new SplittableRandom(77);

    @AfterEach void close() { be.close(); }

    private static void near(double ref, double got, double atol, double rtol, String what) {
        if (Double.isInfinite(ref) || Double.isInfinite(got)) { assertEquals(ref, got, what); return; }
        assertTrue(!Double.isNaN(got), what + ": NaN");
        assertEquals(ref, got, atol + rtol * Math.abs(ref), what);
    }

    private float[] uniform(int n, double lo, double hi) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (lo + (hi - lo) * rng.nextDouble());
        return a;
    }

    private void set(Param p, float[] v) { be.upload(v, p.value()); }

    /** Runs logProb (into out = 1, 2, ...) and backward; returns {log p − init, gz}. */
    private double[][] run(BaseDistribution b, float[] z, int n, int d, float[] g) {
        float[] init = new float[n];
        for (int s = 0; s < n; s++) init[s] = s + 1;
        Tensor zt = be.fromHost(z, n, d), out = be.fromHost(init, n);
        b.logProb(zt, out);
        float[] o = be.toHost(out);
        double[] lp = new double[n];
        for (int s = 0; s < n; s++) lp[s] = Float.isInfinite(o[s]) ? o[s] : o[s] - (double) init[s];
        for (Param p : b.params()) be.fill(p.grad(), 0f);
        float[] gz = be.toHost(b.backward(zt, be.fromHost(g, n)));
        double[] gzd = new double[gz.length];
        for (int i = 0; i < gz.length; i++) gzd[i] = gz[i];
        return new double[][] {lp, gzd};
    }

    private void compare(String what, double[] ref, double[] got, double atol, double rtol) {
        assertEquals(ref.length, got.length, what);
        for (int i = 0; i < ref.length; i++) near(ref[i], got[i], atol, rtol, what + "[" + i + "]");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"uniform", "logistic", "beta", "gaussian_mixture"})
    void logProbAndGradientsMatchTheHostMath(String kind) {
        int n = 45, d = 5;
        float[] g = uniform(n, -1.5, 1.5);
        switch (kind) {
            case "uniform" -> {
                double[] low = {-0.3, 0.1, -1e-3, 2.0 / 3, -5}, high = {0.7, 0.1000001, 1e-3, 0.9, 5};
                UniformBox b = new UniformBox(be, new int[] {d}, low, high);
                float[] z = new float[n * d];
                for (int s = 0; s < n; s++)
                    for (int i = 0; i < d; i++) {
                        float l = (float) low[i], h = (float) high[i];
                        // the float32 neighbours of both bounds, and points inside and outside
                        float[] pick = {l, Math.nextUp(l), Math.nextDown(l), h, Math.nextUp(h), Math.nextDown(h),
                                (float) ((low[i] + high[i]) / 2), (float) (high[i] + 1), Float.NaN};
                        z[s * d + i] = s < 5 ? (float) ((low[i] + high[i]) / 2) : pick[rng.nextInt(pick.length)];
                    }
                double[][] r = run(b, z, n, d, g);
                compare("uniform log p", HostBases.uniformLogProb(z, n, low, high), r[0], 1e-6, 1e-6);
                for (double v : r[1]) assertEquals(0.0, v);
                long inside = java.util.Arrays.stream(r[0]).filter(Double::isFinite).count();
                assertTrue(inside >= 5 && inside < n, "both inside and outside rows: " + inside);
            }
            case "logistic" -> {
                float[] z = uniform(n * d, -30, 30);
                double[][] r = run(new Logistic(be, d), z, n, d, g);
                compare("logistic log p", HostBases.logisticLogProb(z, n, d), r[0], 1e-5, 1e-6);
                compare("logistic gz", HostBases.logisticGz(z, g, d), r[1], 1e-7, 1e-6);
            }
            case "beta" -> {
                BetaDist b = new BetaDist(be, d);
                float[] la = {-1.5f, -0.4f, 0f, 0.6f, 1.4f}, lb = {0.9f, -1.2f, 0.3f, -0.1f, 1.1f};   // α, β on both sides of 1
                set(b.params().get(0), la);
                set(b.params().get(1), lb);
                float[] z = uniform(n * d, 1e-4, 1 - 1e-4);
                for (int s = 0; s < n; s += 4) z[s * d + rng.nextInt(d)] = new float[] {0f, 1f, -0.5f, 1.5f, Float.NaN}[rng.nextInt(5)];
                double[][] r = run(b, z, n, d, g);
                compare("beta log p", HostBases.betaLogProb(z, n, la, lb), r[0], 1e-5, 2e-6);
                HostBases.Grads ref = HostBases.betaBackward(z, g, la, lb);
                compare("beta gz", ref.gz(), r[1], 1e-6, 1e-5);
                for (int q = 0; q < 2; q++) compare("beta " + b.params().get(q).name(), ref.params()[q], toDouble(be.toHost(b.params().get(q).grad())), 1e-5, 1e-5);
            }
            default -> {
                int k = 4;
                GaussianMixture b = new GaussianMixture(be, k, 5, d);
                float[] lg = uniform(k, -2, 2), mu = uniform(k * d, -1.5, 1.5), ls = uniform(k * d, -0.7, 0.5);
                set(b.params().get(0), lg);
                set(b.params().get(1), mu);
                set(b.params().get(2), ls);
                float[] z = uniform(n * d, -3, 3);
                z[0] = 40f;   // far from every component: the log-sum-exp must stay finite
                double[][] r = run(b, z, n, d, g);
                compare("mixture log p", HostBases.mixtureLogProb(z, n, lg, mu, ls), r[0], 1e-5, 2e-6);
                HostBases.Grads ref = HostBases.mixtureBackward(z, g, lg, mu, ls);
                compare("mixture gz", ref.gz(), r[1], 1e-5, 1e-5);
                for (int q = 0; q < 3; q++)
                    compare("mixture " + b.params().get(q).name(), ref.params()[q], toDouble(be.toHost(b.params().get(q).grad())), 1e-5, 1e-5);
            }
        }
    }

    private static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) d[i] = a[i];
        return d;
    }

    @Test void samplersTransformTheBackendsDraws() {
        int n = 300, d = 3;
        double[] low = {-2, 0.25, 10}, high = {-1, 0.75, 10.5};
        float[] box = be.toHost(new UniformBox(be, new int[] {d}, low, high).sample(n, 1f, 9));
        Tensor u = be.alloc(n, d);
        be.randomUniform(u, 9);
        float[] uh = be.toHost(u);
        for (int i = 0; i < uh.length; i++) {
            assertTrue(uh[i] > 0 && uh[i] <= 1, "u in (0, 1]");
            int j = i % d;
            assertEquals((float) (low[j] + (high[j] - low[j]) * uh[i]), box[i], Math.ulp((float) high[j]), "box " + i);
            assertTrue(box[i] >= low[j] && box[i] < high[j], "inside [low, high)");
        }
        float[] lg = be.toHost(new Logistic(be, d).sample(n, 0.5f, 9));
        for (int i = 0; i < uh.length; i++) assertEquals(0.5 * Math.log(uh[i] / (1.0 - uh[i])), lg[i], 1e-5 + 1e-6 * Math.abs(lg[i]), "logistic " + i);
    }

    private static double[] moments(float[] x, int d, int i) {
        int n = x.length / d;
        double m = 0, v = 0;
        for (int s = 0; s < n; s++) m += x[s * d + i];
        m /= n;
        for (int s = 0; s < n; s++) v += (x[s * d + i] - m) * (x[s * d + i] - m);
        return new double[] {m, v / (n - 1)};
    }

    /** Beta(α, β) sample moments for shapes below 1 (the U^{1/a} boost), at 1 and above, within a few standard errors. */
    @Test void betaSampleMoments() {
        double[][] ab = {{0.3, 0.5}, {0.7, 2.0}, {1, 1}, {4, 2.5}, {12, 0.9}};
        int d = ab.length, n = 40_000;
        BetaDist b = new BetaDist(be, d);
        float[] la = new float[d], lb = new float[d];
        for (int i = 0; i < d; i++) { la[i] = (float) Math.log(ab[i][0]); lb[i] = (float) Math.log(ab[i][1]); }
        set(b.params().get(0), la);
        set(b.params().get(1), lb);
        float[] x = be.toHost(b.sample(n, 1f, 123));
        for (int i = 0; i < d; i++) {
            double a = Math.exp(la[i]), c = Math.exp(lb[i]), mean = a / (a + c), var = a * c / ((a + c) * (a + c) * (a + c + 1));
            double[] m = moments(x, d, i);
            assertEquals(mean, m[0], 4 * Math.sqrt(var / n), "Beta(" + ab[i][0] + ", " + ab[i][1] + ") mean");
            assertEquals(var, m[1], 0.04 * var, "Beta(" + ab[i][0] + ", " + ab[i][1] + ") variance");
        }
        for (float v : x) assertTrue(v > 0 && v < 1, "inside (0, 1): " + v);
    }

    /** Every Marsaglia–Tsang try rejected: each Gamma draw is d = a − ⅓ (a ≥ 1), so z = d_α/(d_α + d_β). */
    @Test void betaSampleFallbackWhenEveryTryIsRejected() {
        int n = 3, d = 2;
        float[] la = {(float) Math.log(2.5), 0f}, lb = {0f, (float) Math.log(7)};
        float[] normals = new float[n * d * DistOps.BETA_NORMALS], uniforms = new float[n * d * DistOps.BETA_UNIFORMS];
        java.util.Arrays.fill(normals, -50f);   // 1 + c·x ≤ 0 on every try
        java.util.Arrays.fill(uniforms, 0.5f);
        Tensor z = be.alloc(n, d);
        be.dist().betaSample(be.fromHost(la, d), be.fromHost(lb, d), be.fromHost(normals, n, d * DistOps.BETA_NORMALS),
                be.fromHost(uniforms, n, d * DistOps.BETA_UNIFORMS), z);
        float[] zh = be.toHost(z);
        for (int s = 0; s < n; s++)
            for (int i = 0; i < d; i++) {
                double a = Math.exp(la[i]) - 1.0 / 3, c = Math.exp(lb[i]) - 1.0 / 3;
                assertEquals(a / (a + c), zh[s * d + i], 1e-6);
            }
    }

    /** Tiny and huge shapes: log-space Gamma draws keep every sample finite and inside (0, 1) in float32. */
    @Test void betaSampleStaysInsideForExtremeShapes() {
        float[] la = {-9f, -9f, 6f, 0f}, lb = {-9f, 6f, -9f, 6f};
        BetaDist b = new BetaDist(be, 4);
        set(b.params().get(0), la);
        set(b.params().get(1), lb);
        float[] x = be.toHost(b.sample(2000, 1f, 5));
        for (float v : x) assertTrue(v >= Float.MIN_NORMAL && v < 1, "inside (0, 1): " + v);
        Tensor out = be.alloc(2000);
        b.logProb(be.fromHost(x, 2000, 4), out);
        for (float v : be.toHost(out)) assertTrue(!Float.isNaN(v) && v != Float.NEGATIVE_INFINITY, "samples have a finite log p: " + v);
    }

    /** Uniform draws of the CPU backend: (0, 1], reproducible for a seed, mean ½ and variance 1/12. */
    @Test void randomUniformDraws() {
        Tensor a = be.alloc(100_001), b = be.alloc(100_001);
        be.randomUniform(a, 3);
        be.randomUniform(b, 3);
        float[] x = be.toHost(a);
        org.junit.jupiter.api.Assertions.assertArrayEquals(x, be.toHost(b));
        for (float v : x) assertTrue(v > 0 && v <= 1, "in (0, 1]: " + v);
        double[] m = moments(x, 1, 0);
        assertEquals(0.5, m[0], 4 * Math.sqrt(1.0 / 12 / x.length));
        assertEquals(1.0 / 12, m[1], 0.02 / 12);
    }

    /** The parameters of the bases are the Params a checkpoint stores (no host copies that could go stale). */
    @Test void paramsAreTheOnesTheOpsRead() {
        GaussianMixture g = new GaussianMixture(be, 2, 1, 3);
        List<Param> ps = g.params();
        float[] z = uniform(3, -1, 1);
        Tensor out1 = be.alloc(1), out2 = be.alloc(1);
        g.logProb(be.fromHost(z, 1, 3), out1);
        set(ps.get(1), uniform(6, 2, 3));
        g.logProb(be.fromHost(z, 1, 3), out2);
        assertTrue(be.toHost(out1)[0] != be.toHost(out2)[0], "a new mean changes log p");
    }
    /** The production special functions (DistMath, mirrored by the kernels) against the oracle's and known values. */
    @Test void specialFunctionsMatchTheOracle() {
        assertEquals(Math.log(Math.sqrt(Math.PI)), dev.fluvia.backend.dist.DistMath.lgamma(0.5), 1e-13);
        assertEquals(Math.log(362880), dev.fluvia.backend.dist.DistMath.lgamma(10), 1e-12);
        assertEquals(-0.5772156649015329, dev.fluvia.backend.dist.DistMath.digamma(1), 1e-12);
        for (double x : new double[] {1e-6, 0.01, 0.3, 0.5, 0.99, 1, 1.7, 4.2, 12.5, 300})
            for (double y : new double[] {x, 1 / x}) {
                assertEquals(HostBases.lgamma(y), dev.fluvia.backend.dist.DistMath.lgamma(y), 1e-13 * Math.max(1, Math.abs(HostBases.lgamma(y))), "lgamma " + y);
                assertEquals(HostBases.digamma(y), dev.fluvia.backend.dist.DistMath.digamma(y), 1e-13 * Math.max(1, Math.abs(HostBases.digamma(y))), "digamma " + y);
            }
    }

    /**
     * One Marsaglia–Tsang try accepts ≥ 95 % of the time for a ≥ 1 (FLOWS.md "Beta sampling"): with a budget of one try,
     * DistMath.logGamma returns the fallback log d exactly when the try was rejected.
     */
    @Test void marsagliaTsangAcceptsAtLeast95PercentPerTry() {
        SplittableRandom r = new SplittableRandom(2024);
        int n = 200_000;
        for (double a : new double[] {1, 2, 5}) {
            double fallback = Math.log(a - 1.0 / 3);
            int rejected = 0;
            float[] x = new float[1], u = new float[1];
            for (int i = 0; i < n; i++) {
                x[0] = (float) dev.fluvia.backend.cpu.CpuBackend.gaussian(r);
                u[0] = (float) (1 - r.nextDouble());
                if (dev.fluvia.backend.dist.DistMath.logGamma(a, x, 0, u, 0, 1, 1f) == fallback) rejected++;
            }
            double accept = 1 - (double) rejected / n;
            assertTrue(accept > (a == 1 ? 0.948 : 0.975), "a = " + a + ": acceptance per try " + accept);
            if (a == 1) assertTrue(accept < 0.955, "a = 1 is the worst case, near 0.9515: " + accept);
        }
    }
}
