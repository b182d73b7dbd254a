package dev.fluvia.distributions;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fluvia.FluviaException.UnknownNameException;
import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.data.Dataset;
import dev.fluvia.data.Generators;
import dev.fluvia.data.Standardization;
import dev.fluvia.flow.Flow;
import dev.fluvia.flow.MemoryMode;
import dev.fluvia.flow.PresetOptions;
import dev.fluvia.flow.Presets;
import dev.fluvia.io.Checkpoint;
import dev.fluvia.io.Registry;
import dev.fluvia.oracle.FlowGradientCheck;
import dev.fluvia.param.Param;
import dev.fluvia.tensor.Tensor;
import dev.fluvia.train.Adam;
import dev.fluvia.transforms.Sigmoid;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The bases of issue 11 (uniform box, logistic, Beta, Gaussian mixture): log p against float64 formulas, gradients in z
 * and in the parameters against central differences, sample moments, Registry and checkpoint round trips, --base in the
 * presets and a short maximum-likelihood run.
 */
class ZooBasesTest {
    private final CpuBackend be = new CpuBackend(1);
    @TempDir Path dir;

    static final double EULER = 0.5772156649015329;

    @Test void specialFunctions() {
        assertEquals(Math.log(Math.sqrt(Math.PI)), HostBases.lgamma(0.5), 1e-13);
        assertEquals(Math.log(362880), HostBases.lgamma(10), 1e-12);
        assertEquals(0, HostBases.lgamma(1), 1e-14);
        assertEquals(Math.log(0.25 * Math.sqrt(Math.PI) * 3 * 5 * 7 / 4), HostBases.lgamma(4.5) - Math.log(1.5) + Math.log(1.5), 1e-12); // Γ(4.5) = 105√π/16
        assertEquals(-EULER, HostBases.digamma(1), 1e-12);
        assertEquals(-EULER - 2 * Math.log(2), HostBases.digamma(0.5), 1e-12);
        double h9 = 0;
        for (int i = 1; i <= 9; i++) h9 += 1.0 / i;
        assertEquals(h9 - EULER, HostBases.digamma(10), 1e-12);
        for (double x : new double[] {0.3, 1.7, 4.2, 12.5}) // ψ = (log Γ)'
            assertEquals((HostBases.lgamma(x + 1e-6) - HostBases.lgamma(x - 1e-6)) / 2e-6, HostBases.digamma(x), 1e-7, "ψ(" + x + ")");
    }

    /** Independent float64 log-densities of one sample. */
    static double oracle(BaseDistribution b, double[] z, Map<String, double[]> p) {
        double s = 0;
        switch (b.kind()) {
            case "uniform" -> {
                for (double v : z) if (v < 0 || v > 1) return Double.NEGATIVE_INFINITY;
            }
            case "logistic" -> {
                for (double v : z) s += Math.log(Math.exp(-v) / Math.pow(1 + Math.exp(-v), 2));
            }
            case "beta" -> {
                for (int i = 0; i < z.length; i++) {
                    double a = Math.exp(p.get("log_alpha")[i]), c = Math.exp(p.get("log_beta")[i]);
                    double logB = HostBases.lgamma(a) + HostBases.lgamma(c) - HostBases.lgamma(a + c);
                    s += Math.log(Math.pow(z[i], a - 1) * Math.pow(1 - z[i], c - 1)) - logB;
                }
            }
            case "gaussian_mixture" -> {
                double[] lg = p.get("logits"), mu = p.get("means"), ls = p.get("log_scales");
                int k = lg.length, d = z.length;
                double norm = 0, dens = 0;
                for (double v : lg) norm += Math.exp(v);
                for (int c = 0; c < k; c++) {
                    double comp = Math.exp(lg[c]) / norm;
                    for (int i = 0; i < d; i++) {
                        double sd = Math.exp(ls[c * d + i]);
                        comp *= Math.exp(-0.5 * Math.pow((z[i] - mu[c * d + i]) / sd, 2)) / (sd * Math.sqrt(2 * Math.PI));
                    }
                    dens += comp;
                }
                s = Math.log(dens);
            }
            default -> throw new IllegalArgumentException(b.kind());
        }
        return s;
    }

    static BaseDistribution make(CpuBackend be, String kind, int d) {
        return switch (kind) {
            case "uniform" -> UniformBox.unit(be, d);
            case "logistic" -> new Logistic(be, d);
            case "beta" -> new BetaDist(be, d);
            case "gaussian_mixture" -> new GaussianMixture(be, 3, 7, d);
            default -> throw new IllegalArgumentException(kind);
        };
    }

    private void jitter(BaseDistribution b, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        for (Param p : b.params()) {
            float[] v = be.toHost(p.value());
            for (int i = 0; i < v.length; i++) v[i] += (float) ((r.nextDouble() * 2 - 1) * 0.5);
            be.upload(v, p.value());
        }
    }

    private static Map<String, double[]> values(CpuBackend be, BaseDistribution b) {
        Map<String, double[]> m = new LinkedHashMap<>();
        for (Param p : b.params()) {
            float[] v = be.toHost(p.value());
            double[] d = new double[v.length];
            for (int i = 0; i < v.length; i++) d[i] = v[i];
            m.put(p.name(), d);
        }
        return m;
    }

    private float[] inputs(String kind, int n, int d, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] z = new float[n * d];
        boolean unit = kind.equals("uniform") || kind.equals("beta");
        for (int i = 0; i < z.length; i++) z[i] = unit ? (float) (0.05 + 0.9 * r.nextDouble()) : (float) (2 * HostDists.gaussian(r));
        return z;
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"uniform", "logistic", "beta", "gaussian_mixture"})
    void logProbAndGradientsAgainstOracle(String kind) {
        int d = 3, n = 6;
        BaseDistribution b = make(be, kind, d);
        jitter(b, 11);
        Map<String, double[]> p = values(be, b);
        float[] zh = inputs(kind, n, d, 12);
        Tensor z = be.fromHost(zh, n, d), out = be.fromHost(new float[] {1, 2, 3, 4, 5, 6}, n);
        b.logProb(z, out);
        float[] lp = be.toHost(out);
        double[][] zs = new double[n][d];
        for (int s = 0; s < n; s++) {
            for (int i = 0; i < d; i++) zs[s][i] = zh[s * d + i];
            double ref = oracle(b, zs[s], p);
            assertEquals(ref, lp[s] - (s + 1), 1e-5 + 1e-5 * Math.abs(ref), kind + " log p[" + s + "]");
        }
        // gradients of L = Σ g_n log p(z_n)
        double[] g = {0.7, -1.3, 0.4, 2.0, -0.5, 1.1};
        float[] gf = new float[n];
        for (int s = 0; s < n; s++) gf[s] = (float) g[s];
        for (Param q : b.params()) be.fill(q.grad(), 0f);
        float[] gz = be.toHost(b.backward(z, be.fromHost(gf, n)));
        double h = 1e-6;
        for (int s = 0; s < n; s++)
            for (int i = 0; i < d; i++) {
                double[] zp = zs[s].clone(), zm = zs[s].clone();
                zp[i] += h; zm[i] -= h;
                double fd = g[s] * (oracle(b, zp, p) - oracle(b, zm, p)) / (2 * h);
                assertEquals(fd, gz[s * d + i], 2e-5 + 2e-4 * Math.abs(fd), kind + " ∂/∂z[" + s + "," + i + "]");
            }
        for (Param q : b.params()) {
            float[] gq = be.toHost(q.grad());
            double[] v = p.get(q.name());
            for (int i = 0; i < v.length; i++) {
                double old = v[i], up = 0, dn = 0;
                v[i] = old + h;
                for (int s = 0; s < n; s++) up += g[s] * oracle(b, zs[s], p);
                v[i] = old - h;
                for (int s = 0; s < n; s++) dn += g[s] * oracle(b, zs[s], p);
                v[i] = old;
                double fd = (up - dn) / (2 * h);
                assertEquals(fd, gq[i], 2e-5 + 2e-4 * Math.abs(fd), kind + " ∂/∂" + q.name() + "[" + i + "]");
            }
        }
    }

    @Test void outsideTheSupportIsMinusInfinityWithZeroGradient() {
        for (BaseDistribution b : List.of(UniformBox.unit(be, 2), new BetaDist(be, 2))) {
            Tensor z = be.fromHost(new float[] {0.5f, 1.5f, -0.1f, 0.5f}, 2, 2), out = be.alloc(2);
            b.logProb(z, out);
            for (float v : be.toHost(out)) assertEquals(Float.NEGATIVE_INFINITY, v, b.kind());
            for (float v : be.toHost(b.backward(z, be.fromHost(new float[] {1, 1}, 2)))) assertEquals(0f, v, b.kind());
        }
        assertThrows(IllegalArgumentException.class, () -> new UniformBox(be, new int[] {1}, new double[] {1}, new double[] {1}));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"uniform", "logistic", "beta", "gaussian_mixture"})
    void sampleMomentsMatch(String kind) {
        int d = 2, n = 40_000;
        BaseDistribution b = make(be, kind, d);
        jitter(b, 21);
        Map<String, double[]> p = values(be, b);
        float[] x = be.toHost(b.sample(n, 1f, 5));
        for (int i = 0; i < d; i++) {
            double mean, var;
            switch (kind) {
                case "uniform" -> { mean = 0.5; var = 1.0 / 12; }
                case "logistic" -> { mean = 0; var = Math.PI * Math.PI / 3; }
                case "beta" -> {
                    double a = Math.exp(p.get("log_alpha")[i]), c = Math.exp(p.get("log_beta")[i]);
                    mean = a / (a + c);
                    var = a * c / ((a + c) * (a + c) * (a + c + 1));
                }
                default -> {
                    double[] lg = p.get("logits"), mu = p.get("means"), ls = p.get("log_scales");
                    double norm = 0, m1 = 0, m2 = 0;
                    for (double v : lg) norm += Math.exp(v);
                    for (int c = 0; c < lg.length; c++) {
                        double w = Math.exp(lg[c]) / norm, m = mu[c * d + i], s2 = Math.exp(2 * ls[c * d + i]);
                        m1 += w * m;
                        m2 += w * (s2 + m * m);
                    }
                    mean = m1;
                    var = m2 - m1 * m1;
                }
            }
            double sm = 0, sv = 0;
            for (int s = 0; s < n; s++) sm += x[s * d + i];
            sm /= n;
            for (int s = 0; s < n; s++) sv += (x[s * d + i] - sm) * (x[s * d + i] - sm);
            sv /= n - 1;
            assertEquals(mean, sm, 5 * Math.sqrt(var / n), kind + " mean of dim " + i);
            assertEquals(var, sv, 0.05 * var, kind + " variance of dim " + i);
        }
        assertArrayEquals(x, be.toHost(b.sample(n, 1f, 5)), "reproducible for a seed");
        if (kind.equals("uniform") || kind.equals("beta")) assertThrows(IllegalArgumentException.class, () -> b.sample(4, 0.7f, 1));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"uniform", "logistic", "beta", "gaussian_mixture"})
    void registryRoundTrip(String kind) throws Exception {
        BaseDistribution b = make(be, kind, 3);
        jitter(b, 31);
        ObjectMapper json = new ObjectMapper();
        BaseDistribution c = Registry.base(be, kind, (ObjectNode) json.readTree(json.writeValueAsString(dev.fluvia.io.Registry.config(b))));
        assertEquals(b.kind(), c.kind());
        assertEquals(b.params().size(), c.params().size());
        for (int i = 0; i < b.params().size(); i++) be.copy(b.params().get(i).value(), c.params().get(i).value());
        float[] zh = inputs(kind, 5, 3, 32);
        Tensor la = be.alloc(5), lb = be.alloc(5);
        b.logProb(be.fromHost(zh, 5, 3), la);
        c.logProb(be.fromHost(zh, 5, 3), lb);
        assertArrayEquals(be.toHost(la), be.toHost(lb));
    }

    @ParameterizedTest(name = "--base {0}")
    @ValueSource(strings = {"uniform", "logistic", "beta", "gmm", "gmm:6"})
    void presetCheckpointAndTraining(String base) {
        Dataset train = Generators.generate("8gaussians", 2000, 41), test = Generators.generate("8gaussians", 500, 42);
        Standardization st = Standardization.fit(train);
        Flow f = Presets.build("realnvp", be, 2, PresetOptions.defaults().withLayers(4).withHidden(16).withBase(base).withSeed(3), st.mean(), st.std());
        boolean bounded = base.equals("uniform") || base.equals("beta");
        assertEquals(bounded, f.transforms().get(f.transforms().size() - 1) instanceof Sigmoid, "bounded bases end with a sigmoid");
        if (base.startsWith("gmm")) assertEquals(base.equals("gmm") ? 4 : 6, ((GaussianMixture) f.base()).components());
        Map<String, Param> ps = new LinkedHashMap<>();
        int k = 0;
        for (Param p : f.params()) if (p.trainable()) ps.put("p" + k++, p);
        Adam opt = new Adam(be, ps, 0.9f, 0.999f, 1e-8f, 0f);
        double before = FlowGradientCheck.nll(f, test.data(), test.n());
        SplittableRandom r = new SplittableRandom(43);
        float[] xb = new float[128 * 2];
        for (int s = 0; s < 150; s++) {
            for (int i = 0; i < 128; i++) {
                int j = r.nextInt(train.n());
                xb[2 * i] = train.data()[2 * j];
                xb[2 * i + 1] = train.data()[2 * j + 1];
            }
            f.zeroGrad();
            double loss = dev.fluvia.train.Nll.INSTANCE.forwardBackward(f, be.fromHost(xb, 128, 2), MemoryMode.STORE);
            assertTrue(Double.isFinite(loss), base + " step " + s + ": " + loss);
            opt.step(3e-3);
        }
        double after = FlowGradientCheck.nll(f, test.data(), test.n());
        System.out.printf("[ZooBasesTest] realnvp --base %s on 8gaussians, 150 steps: held-out NLL %.4f -> %.4f%n", base, before, after);
        assertTrue(after < before - 0.2, base + ": held-out NLL " + before + " -> " + after);
        Path p = dir.resolve(base.replace(':', '_') + ".safetensors");
        Checkpoint.save(p, f, new ObjectMapper().createObjectNode().put("step", 1), Map.of());
        Flow g = Checkpoint.load(p, new CpuBackend(1)).flow();
        assertEquals(f.base().kind(), g.base().kind());
        float[] head = java.util.Arrays.copyOf(test.data(), 100), a = f.logProb(head, 50), b2 = g.logProb(head, 50);
        for (int i = 0; i < a.length; i++) assertEquals(Float.floatToRawIntBits(a[i]), Float.floatToRawIntBits(b2[i]), "sample " + i);
        assertArrayEquals(f.sampleHost(20, 1f, 9), g.sampleHost(20, 1f, 9));
    }

    @Test void unknownBaseIsATypedError() {
        assertThrows(UnknownNameException.class, () -> Presets.build("realnvp", be, 2, PresetOptions.defaults().withBase("cauchy"), null, null));
        assertThrows(UnknownNameException.class, () -> Presets.build("realnvp", be, 2, PresetOptions.defaults().withBase("gmm:0"), null, null));
    }
}
