package dev.fluvia.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fluvia.FluviaException.ShapeException;
import dev.fluvia.backend.Activation;
import dev.fluvia.backend.CouplingScale;
import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.flow.Flow;
import dev.fluvia.flow.PresetOptions;
import dev.fluvia.flow.Presets;
import dev.fluvia.oracle.CouplingOracles;
import dev.fluvia.oracle.GenerativeCheck;
import dev.fluvia.oracle.PlanarRadialOracles;
import dev.fluvia.param.Param;
import dev.fluvia.train.targets.Target;
import dev.fluvia.train.targets.Targets;
import dev.fluvia.transforms.AffineCoupling;
import dev.fluvia.transforms.Masks;
import dev.fluvia.transforms.Planar;
import dev.fluvia.transforms.Radial;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Reverse-KL (variational) fitting: the fused sample + log q pass, the implicit-function backward of layers' generative
 * direction against float64 oracles, the loss gradient of whole flows against central differences, the log Z estimate on
 * gauss:D against the exact value, and the typed refusals.
 */
class ReverseKlTest {
    private final CpuBackend be = new CpuBackend(1);

    @Test void fusedSampleLogQEqualsTheDensityOfTheSamples() {
        Flow f = Presets.build("realnvp", be, 3, PresetOptions.defaults().withLayers(4).withHidden(8).withSeed(3), null, null);
        dev.fluvia.transforms.ZooJitter.jitter(be, f.params(), 0.3, 4);
        Flow.Result r = f.sampleWithLogProb(32, 1f, 9);
        float[] x = be.toHost(r.out()), lq = be.toHost(r.logdet()), lp = f.logProb(x, 32);
        for (int i = 0; i < 32; i++) assertEquals(lp[i], lq[i], 1e-4 + 1e-4 * Math.abs(lp[i]), "sample " + i);
        // and the same x as plain sampling with the same seed
        org.junit.jupiter.api.Assertions.assertArrayEquals(f.sampleHost(32, 1f, 9), x);
    }

    @ParameterizedTest(name = "planar D={0} implicit={2}")
    @CsvSource({"1, 1, true", "2, 2, true", "4, 3, true", "1, 4, false", "2, 5, false", "5, 6, false"})
    void generativeBackwardOfPlanar(int dim, long seed, boolean implicit) {
        GenerativeCheck g = GenerativeCheck.of(be, new Planar(be, dim, new SplittableRandom(seed)), PlanarRadialOracles.planar()).seed(seed).jitter(0.5);
        (implicit ? g.forceImplicit() : g).run();
    }

    @ParameterizedTest(name = "radial D={0} implicit={2}")
    @CsvSource({"1, 1, true", "3, 2, true", "1, 3, false", "2, 4, false", "4, 5, false"})
    void generativeBackwardOfRadial(int dim, long seed, boolean implicit) {
        GenerativeCheck g = GenerativeCheck.of(be, new Radial(be, dim, new SplittableRandom(seed)), PlanarRadialOracles.radial()).seed(seed).jitter(0.5);
        (implicit ? g.forceImplicit() : g).run();
    }

    @ParameterizedTest(name = "affine coupling D={0} layer {1}")
    @CsvSource({"2, 0", "3, 1"})
    void implicitBackwardOfAffineCoupling(int dim, int layer) {
        int[][] m = Masks.alternating(dim, layer);
        int[] hidden = {5};
        AffineCoupling t = new AffineCoupling(be, dim, m[0], m[1], hidden, Activation.TANH, CouplingScale.SOFTCLAMP, 2f, new SplittableRandom(dim + layer));
        GenerativeCheck.of(be, t, CouplingOracles.affine(m[0], m[1], hidden, Activation.TANH, CouplingScale.SOFTCLAMP, 2.0))
                .seed(7 + layer).jitter(0.4).gradTolerance(5e-5, 5e-4).run();
    }

    /** The loss at a fixed seed (the same reparameterisation noise) as a function of one parameter entry. */
    private static double lossAt(ReverseKl rk, Flow f) {
        f.zeroGrad();
        return rk.lossAndGradient(24, 77);
    }

    @ParameterizedTest(name = "{0} on {1}")
    @CsvSource({"planar, u1", "radial, banana", "sylvester, u3", "realnvp, mixture", "iaf, gauss:3", "maf, u4", "nice, u2", "spline, u1", "spline-ar, banana"})
    void lossGradientMatchesCentralDifferences(String preset, String target) {
        Target t = Targets.byName(target);
        Flow f = Presets.build(preset, be, t.dim(), PresetOptions.defaults().withLayers(2).withHidden(6).withSeed(5)
                .withActivation(Activation.TANH), null, null);
        dev.fluvia.transforms.ZooJitter.jitter(be, f.params(), 0.3, 6);
        ReverseKl rk = new ReverseKl(f, t);
        double loss = lossAt(rk, f);
        assertTrue(Double.isFinite(loss), "loss " + loss);
        java.util.Map<Param, float[]> grads = new java.util.HashMap<>();   // every lossAt below overwrites the gradients
        for (Param p : f.params()) if (p.trainable()) grads.put(p, be.toHost(p.grad()));
        int checked = 0;
        for (Param p : f.params()) {
            if (!p.trainable()) continue;
            float[] g = grads.get(p), v = be.toHost(p.value());
            for (int i = 0; i < v.length; i += Math.max(1, v.length / 3)) {
                float old = v[i], h = 2e-3f;
                v[i] = old + h; be.upload(v, p.value()); double up = lossAt(rk, f);
                v[i] = old - h; be.upload(v, p.value()); double dn = lossAt(rk, f);
                v[i] = old; be.upload(v, p.value());
                double fd = (up - dn) / (2 * h);
                assertEquals(fd, g[i], 3e-3 + 2e-2 * Math.abs(fd), preset + " " + p.name() + "[" + i + "]");
                checked++;
            }
        }
        assertTrue(checked >= 6, "checked " + checked);
    }

    @Test void gaussianLogZEstimateMatchesTheExactValue() {
        Target t = Targets.byName("gauss:3");
        // one IAF layer represents N(μ, LLᵀ) with L lower-triangular: x_d = μ_d + Σ_{j<d} L_dj z_j + L_dd z_d
        Flow f = Presets.build("iaf", be, 3, PresetOptions.defaults().withLayers(1).withHidden(16).withSeed(1), null, null);
        ReverseKl rk = new ReverseKl(f, t);
        ReverseKl.Estimate before = rk.estimate(2000, 3);
        rk.fit(200, 128, 1e-2, 10, 2, null);
        ReverseKl.Estimate after = rk.estimate(4000, 4);
        System.out.printf("[ReverseKlTest] gauss:3 iaf: loss %.4f -> %.4f, log Z est %.4f (exact %.4f), ESS %.3f%n",
                before.loss(), after.loss(), after.logZ(), t.exactLogZ(), after.essFraction());
        assertTrue(after.loss() < before.loss() - 0.1, "loss " + before.loss() + " -> " + after.loss());
        assertEquals(-after.loss(), after.elbo(), 1e-12);
        assertTrue(after.elbo() <= t.exactLogZ() + 0.02, "ELBO " + after.elbo() + " above log Z " + t.exactLogZ());
        assertEquals(t.exactLogZ(), after.logZ(), 0.03);
        assertTrue(after.essFraction() > 0.8, "ESS " + after.essFraction());
    }

    @Test void sylvesterFitsU1() {
        Target t = Targets.byName("u1");
        Flow f = Presets.build("sylvester", be, 2, PresetOptions.defaults().withLayers(6).withSeed(2), null, null);
        ReverseKl rk = new ReverseKl(f, t);
        double before = rk.estimate(2000, 1).loss();
        rk.fit(300, 128, 2e-2, 10, 3, null);
        ReverseKl.Estimate after = rk.estimate(4000, 2);
        double ref = Targets.gridLogZ(t, 400);
        System.out.printf("[ReverseKlTest] u1 sylvester: loss %.4f -> %.4f, log Z est %.4f (grid %.4f), ESS %.3f%n",
                before, after.loss(), after.logZ(), ref, after.essFraction());
        assertTrue(after.loss() < before - 0.5, "loss " + before + " -> " + after.loss());
        assertTrue(-after.loss() <= ref + 0.02);
        assertEquals(ref, after.logZ(), 0.3);
    }

    @Test void refusals() {
        Target t = Targets.byName("gauss:3");
        Flow f2 = Presets.build("planar", be, 2, PresetOptions.defaults().withLayers(1), null, null);
        assertThrows(ShapeException.class, () -> new ReverseKl(f2, t));
        Flow diag = Presets.build("planar", be, 3, PresetOptions.defaults().withLayers(1).withBase("diag"), null, null);
        assertThrows(InvalidConfigException.class, () -> new ReverseKl(diag, t));
        ReverseKl ok = new ReverseKl(Presets.build("planar", be, 3, PresetOptions.defaults().withLayers(1), null, null), t);
        assertThrows(InvalidConfigException.class, () -> ok.lossAndGradient(0, 1));
        assertThrows(InvalidConfigException.class, () -> ok.fit(1, 8, -1, 0, 1, null));
    }

    /** The closed-form generative backward of realnvp, nice, maf, iaf, spline and spline-ar gives the flow's gradient of the implicit path. */
    @ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"realnvp", "nice", "maf", "iaf", "spline", "spline-ar"})
    void closedFormAndImplicitPathsAgreeOnTheFlowGradient(String preset) {
        Target t = Targets.byName("gauss:3");
        Flow f = Presets.build(preset, be, 3, PresetOptions.defaults().withLayers(3).withHidden(8).withSeed(4).withActivation(Activation.TANH), null, null);
        dev.fluvia.transforms.ZooJitter.jitter(be, f.params(), 0.3, 9);
        ReverseKl rk = new ReverseKl(f, t);
        assertTrue(rk.implicitLayers().stream().noneMatch(k -> k.contains("coupling") || k.equals("maf") || k.equals("iaf") || k.equals("rq_spline_ar")), rk.implicitLayers().toString());
        double l1 = lossAt(rk, f);
        java.util.List<float[]> closed = f.params().stream().filter(Param::trainable).map(p -> be.toHost(p.grad())).toList();
        rk.implicitBackward(true);
        assertTrue(!rk.implicitLayers().isEmpty());
        double l2 = lossAt(rk, f);
        java.util.List<float[]> implicit = f.params().stream().filter(Param::trainable).map(p -> be.toHost(p.grad())).toList();
        assertEquals(l1, l2, 0.0);
        double max = 0;
        for (int k = 0; k < closed.size(); k++)
            for (int i = 0; i < closed.get(k).length; i++) {
                double a = closed.get(k)[i], b = implicit.get(k)[i];
                max = Math.max(max, Math.abs(a - b));
                assertEquals(b, a, 1e-4 + 1e-3 * Math.abs(b), preset + " param " + k + "[" + i + "]");
            }
        System.out.printf("[ReverseKlTest] %s: closed-form vs implicit gradient max |diff| %.2e%n", preset, max);
    }

    /** ReverseKl is an Objective of the sampling kind; Nll keeps its data step. */
    @Test void reverseKlIsASamplingObjective() {
        Target t = Targets.byName("u1");
        Flow f = Presets.build("maf", be, 2, PresetOptions.defaults().withLayers(2).withHidden(8).withSeed(3), null, null);
        dev.fluvia.transforms.ZooJitter.jitter(be, f.params(), 0.2, 2);
        Objective o = new ReverseKl(f, t);
        assertEquals("reverse_kl", o.name());
        assertTrue(!o.usesData());
        f.zeroGrad();
        double viaStep = o.step(f, Objective.Batch.samples(32, 5), dev.fluvia.flow.MemoryMode.STORE);
        java.util.List<float[]> g1 = f.params().stream().filter(Param::trainable).map(p -> be.toHost(p.grad())).toList();
        f.zeroGrad();
        double direct = ((ReverseKl) o).lossAndGradient(32, 5);
        java.util.List<float[]> g2 = f.params().stream().filter(Param::trainable).map(p -> be.toHost(p.grad())).toList();
        assertEquals(direct, viaStep, 0.0);
        for (int k = 0; k < g1.size(); k++) org.junit.jupiter.api.Assertions.assertArrayEquals(g2.get(k), g1.get(k));
        var x = be.fromHost(new float[] {0.1f, 0.2f, -0.3f, 0.4f}, 2, 2);
        assertThrows(InvalidConfigException.class, () -> o.step(f, Objective.Batch.data(x), dev.fluvia.flow.MemoryMode.STORE));
        assertThrows(InvalidConfigException.class, () -> o.forwardBackward(f, x, dev.fluvia.flow.MemoryMode.STORE));
        Flow other = Presets.build("maf", be, 2, PresetOptions.defaults().withLayers(1), null, null);
        assertThrows(InvalidConfigException.class, () -> o.step(other, Objective.Batch.samples(4, 1), dev.fluvia.flow.MemoryMode.STORE));
        // the data objective through the same entry point
        assertTrue(Nll.INSTANCE.usesData());
        f.zeroGrad();
        double nllStep = Nll.INSTANCE.step(f, Objective.Batch.data(x), dev.fluvia.flow.MemoryMode.STORE);
        f.zeroGrad();
        assertEquals(Nll.INSTANCE.forwardBackward(f, x, dev.fluvia.flow.MemoryMode.STORE), nllStep, 0.0);
        assertThrows(InvalidConfigException.class, () -> Nll.INSTANCE.step(f, Objective.Batch.samples(4, 1), dev.fluvia.flow.MemoryMode.STORE));
    }

    @Test void splineFitsU1() {
        Target t = Targets.byName("u1");
        Flow f = Presets.build("spline", be, 2, PresetOptions.defaults().withLayers(3).withHidden(16).withSeed(2).withActivation(Activation.TANH), null, null);
        ReverseKl rk = new ReverseKl(f, t);
        double before = rk.estimate(2000, 1).loss();
        rk.fit(150, 128, 1e-2, 10, 3, null);
        ReverseKl.Estimate after = rk.estimate(4000, 2);
        double ref = Targets.gridLogZ(t, 400);
        System.out.printf("[ReverseKlTest] u1 spline: loss %.4f -> %.4f, log Z est %.4f (grid %.4f), ESS %.3f%n",
                before, after.loss(), after.logZ(), ref, after.essFraction());
        assertTrue(after.loss() < before - 0.5, "loss " + before + " -> " + after.loss());
        assertTrue(-after.loss() <= ref + 0.02);
        assertEquals(ref, after.logZ(), 0.3);
    }
}
