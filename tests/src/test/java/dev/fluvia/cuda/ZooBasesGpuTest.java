package dev.fluvia.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fluvia.backend.Backend;
import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.backend.cuda.CudaBackend;
import dev.fluvia.distributions.BaseDistribution;
import dev.fluvia.distributions.BetaDist;
import dev.fluvia.distributions.GaussianMixture;
import dev.fluvia.distributions.Logistic;
import dev.fluvia.distributions.UniformBox;
import dev.fluvia.param.Param;
import dev.fluvia.tensor.Tensor;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The zoo bases (issue 11) end to end on the CUDA backend: log p and every gradient against the same base on the CPU, and
 * sampling from cuRAND's draws (randomUniform, randomNormal) — reproducible per seed, moments against the CPU sampler's
 * within a few standard errors. Skips with one line when there is no usable GPU.
 */
@Tag("gpu")
@ExtendWith(GpuSupport.class)
class ZooBasesGpuTest {
    static CpuBackend cpu;
    static CudaBackend gpu;

    @BeforeAll static void setUp() {
        if (!GpuSupport.requireCuda("ZooBasesGpuTest")) return;
        cpu = new CpuBackend(2);
        gpu = CudaBackend.create();
    }

    @AfterAll static void tearDown() {
        if (gpu != null) gpu.close();
        if (cpu != null) cpu.close();
    }

    static BaseDistribution make(Backend be, String kind, int d) {
        return switch (kind) {
            case "uniform" -> new UniformBox(be, new int[] {d}, new double[] {-0.3, 0.1, 2}, new double[] {0.7, 1.1, 2.5});
            case "logistic" -> new Logistic(be, d);
            case "beta" -> new BetaDist(be, d);
            default -> new GaussianMixture(be, 3, 7, d);
        };
    }

    /** The same base on both backends with the same jittered parameters. */
    static BaseDistribution[] pair(String kind, int d) {
        BaseDistribution c = make(cpu, kind, d), g = make(gpu, kind, d);
        SplittableRandom r = new SplittableRandom(kind.hashCode());
        for (int i = 0; i < c.params().size(); i++) {
            float[] v = cpu.toHost(c.params().get(i).value());
            for (int j = 0; j < v.length; j++) v[j] += (float) ((r.nextDouble() * 2 - 1) * 0.8);
            cpu.upload(v, c.params().get(i).value());
            gpu.upload(v, g.params().get(i).value());
        }
        return new BaseDistribution[] {c, g};
    }

    static void close(String what, float[] ref, float[] got) {
        assertEquals(ref.length, got.length, what);
        for (int i = 0; i < ref.length; i++) {
            if (Float.isInfinite(ref[i])) { assertEquals(ref[i], got[i], what + "[" + i + "]"); continue; }
            assertEquals(ref[i], got[i], 1e-5 + 1e-4 * Math.abs(ref[i]), what + "[" + i + "]");
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"uniform", "logistic", "beta", "gaussian_mixture"})
    void logProbAndGradientsMatchTheCpu(String kind) {
        int n = 41, d = 3;
        BaseDistribution[] b = pair(kind, d);
        SplittableRandom r = new SplittableRandom(5);
        float[] z = new float[n * d], g = new float[n];
        for (int i = 0; i < z.length; i++) z[i] = kind.equals("uniform") || kind.equals("beta") ? (float) (r.nextDouble() * 1.2 - 0.1) : (float) (r.nextDouble() * 6 - 3);
        for (int i = 0; i < n; i++) g[i] = (float) (r.nextDouble() * 2 - 1);
        float[][] lp = new float[2][], gz = new float[2][];
        Backend[] bes = {cpu, gpu};
        for (int k = 0; k < 2; k++) {
            Tensor out = bes[k].fromHost(g.clone(), n);
            b[k].logProb(bes[k].fromHost(z, n, d), out);
            lp[k] = bes[k].toHost(out);
            for (Param p : b[k].params()) bes[k].fill(p.grad(), 0f);
            gz[k] = bes[k].toHost(b[k].backward(bes[k].fromHost(z, n, d), bes[k].fromHost(g, n)));
        }
        close(kind + " log p", lp[0], lp[1]);
        close(kind + " gz", gz[0], gz[1]);
        for (int i = 0; i < b[0].params().size(); i++)
            close(kind + " " + b[0].params().get(i).name(), cpu.toHost(b[0].params().get(i).grad()), gpu.toHost(b[1].params().get(i).grad()));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"uniform", "logistic", "beta", "gaussian_mixture"})
    void samplingFromCuRandDraws(String kind) {
        int n = 20_000, d = 3;
        BaseDistribution[] b = pair(kind, d);
        float[] c = cpu.toHost(b[0].sample(n, 1f, 11)), g = gpu.toHost(b[1].sample(n, 1f, 11));
        assertArrayEquals(g, gpu.toHost(b[1].sample(n, 1f, 11)), "reproducible for a seed");
        assertFalse(java.util.Arrays.equals(g, gpu.toHost(b[1].sample(n, 1f, 12))), "another seed, other draws");
        for (int i = 0; i < d; i++) {
            double[] mc = moments(c, d, i), mg = moments(g, d, i);
            double se = Math.sqrt(2 * mc[1] / n);
            assertEquals(mc[0], mg[0], 5 * se, kind + " mean of dim " + i);
            assertEquals(mc[1], mg[1], 0.06 * mc[1], kind + " variance of dim " + i);
        }
        for (float v : g) assertTrue(Float.isFinite(v), kind + " sample " + v);
        if (!kind.equals("logistic") && !kind.equals("gaussian_mixture")) {  // bounded: every draw has a finite log p
            Tensor out = gpu.alloc(n);
            b[1].logProb(gpu.fromHost(g, n, d), out);
            for (float v : gpu.toHost(out)) assertTrue(Float.isFinite(v), kind + ": a sample outside the support");
        }
    }

    static double[] moments(float[] x, int d, int i) {
        int n = x.length / d;
        double m = 0, v = 0;
        for (int s = 0; s < n; s++) m += x[s * d + i];
        m /= n;
        for (int s = 0; s < n; s++) v += (x[s * d + i] - m) * (x[s * d + i] - m);
        return new double[] {m, v / (n - 1)};
    }

    @Test void randomUniformIsReproducibleAndUniform() {
        for (int size : new int[] {1, 3, 100_001}) {
            Tensor a = gpu.alloc(size), b = gpu.alloc(size);
            gpu.fill(a, Float.NaN);
            gpu.randomUniform(a, 42);
            gpu.randomUniform(b, 42);
            float[] ha = gpu.toHost(a);
            assertArrayEquals(ha, gpu.toHost(b), "same seed, same numbers");
            for (float v : ha) assertTrue(v > 0 && v <= 1, "in (0, 1]: " + v);
            if (size > 1000) {
                double[] m = moments(ha, 1, 0);
                assertEquals(0.5, m[0], 0.005, "mean");
                assertEquals(1.0 / 12, m[1], 0.002, "variance");
            }
        }
    }
}
