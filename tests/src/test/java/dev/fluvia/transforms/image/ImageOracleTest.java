package dev.fluvia.transforms.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fluvia.backend.CouplingScale;
import dev.fluvia.backend.Scope;
import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.flow.Flow;
import dev.fluvia.flow.ImagePresets;
import dev.fluvia.flow.MemoryMode;
import dev.fluvia.param.Param;
import dev.fluvia.oracle.Dense;
import dev.fluvia.oracle.ImageFlowOracle;
import dev.fluvia.oracle.ImageOracles;
import dev.fluvia.oracle.ImageOracles.Conditioner;
import dev.fluvia.oracle.TransformCheck;
import dev.fluvia.oracle.TransformCheck.Report;
import dev.fluvia.oracle.TransformOracle;
import dev.fluvia.tensor.Tensor;
import dev.fluvia.transforms.ActNorm;
import dev.fluvia.transforms.Transform;
import dev.fluvia.train.Nll;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.opentest4j.AssertionFailedError;

/**
 * Every image layer against its float64 oracle ({@link ImageOracles}, written from CHECKPOINT.md section 6) through
 * {@link TransformCheck}: forward and log-det, the oracle's log-det against log|det| of its own float64 Jacobian, inverse
 * and round trip, the input gradient and the gradient of every trainable parameter (the conditioner weights in front of
 * ReLUs included) against float64 central differences of the oracle, STORE == RECOMPUTE. Shapes 2×4×4, 12×2×2 and the
 * odd-channel 3×2×4; both masks, both parities, both scales, the three conditioners; parameters jittered off their
 * initialisation (the zero-initialised last convolution included), ActNorms (standalone and glow_actnorm's inner ones)
 * data-initialised first. Then whole small glow and realnvp presets against the composed float64 chain
 * ({@link ImageFlowOracle}): log p, latents, the mean NLL's parameter gradients.
 */
class ImageOracleTest {
    static final CpuBackend be = new CpuBackend(2);
    static final int[] A = {2, 4, 4}, B = {12, 2, 2}, ODD = {3, 2, 4};
    static final int[][] SHAPES = {A, B, ODD};
    static final String[] MASKS = {"channel", "checkerboard"};
    static final int WIDTH = 5;

    @AfterAll static void close() { be.close(); }

    /** One layer, its oracle and the check's settings. */
    record Case(String name, Transform t, TransformOracle oracle, double jitter, boolean unitInput) {
        Case(String name, Transform t, TransformOracle oracle) { this(name, t, oracle, 0.3, false); }
    }

    static String s(int[] shape) { return Arrays.toString(shape); }

    static Conditioner[] conditioners() { return new Conditioner[] {Conditioner.glow(WIDTH), Conditioner.glowActNorm(WIDTH), Conditioner.resnet(WIDTH, 2)}; }

    /** glow_actnorm's inner ActNorms initialised from the data; the other conditioners have none. */
    static Transform dataInit(Transform t, Conditioner net, long seed) {
        return net.type().equals("glow_actnorm") ? dataInit(t, seed) : t;
    }

    /** The layer's ActNorms initialised from the data (a batch of shifted, scaled Gaussian images). */
    static Transform dataInit(Transform t, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[4 * ImageEvents.numel(t.eventShape())];
        for (int i = 0; i < x.length; i++) x[i] = (float) (0.5 + 1.5 * CpuBackend.gaussian(r));
        t.initialize(be.fromHost(x, ImageEvents.batch(4, t.eventShape())));
        int flags = 0;
        for (Param p : t.params())
            if (p.name().endsWith("initialized")) { assertEquals(1f, be.toHost(p.value())[0], "data-initialised " + p.name()); flags++; }
        assertTrue(flags > 0, "no ActNorm in " + t.kind());
        return t;
    }

    static List<Case> cases() {
        SplittableRandom r = new SplittableRandom(7);
        List<Case> cs = new ArrayList<>();
        for (int[] sh : SHAPES) cs.add(new Case("squeeze " + s(sh), new Squeeze(be, sh), ImageOracles.squeeze(sh[0], sh[1], sh[2])));
        // affine coupling: every shape × mask × scale × parity with the glow conditioner; the other two conditioners on
        // every mask × scale × parity of one even and the odd shape
        for (int[] sh : SHAPES)
            for (Conditioner net : conditioners())
                for (String m : MASKS)
                    for (CouplingScale sc : CouplingScale.values())
                        for (int parity : new int[] {0, 1}) {
                            if (!net.type().equals("glow") && sh == B) continue;
                            Transform t = new ImageAffineCoupling(be, sh, m, parity, sc, 2f, net.type(), net.width(), net.blocks(), r);
                            cs.add(new Case("image_affine_coupling " + net.type() + " " + m + " " + sc + " p" + parity + " " + s(sh),
                                    dataInit(t, net, r.nextLong()), ImageOracles.affineCoupling(sh, m, parity, sc, 2.0, net)));
                        }
        for (int[] sh : SHAPES)
            for (Conditioner net : conditioners())
                for (String m : MASKS)
                    for (int parity : new int[] {0, 1}) {
                        Transform t = new ImageAdditiveCoupling(be, sh, m, parity, net.type(), net.width(), net.blocks(), r);
                        cs.add(new Case("image_additive_coupling " + net.type() + " " + m + " p" + parity + " " + s(sh),
                                dataInit(t, net, r.nextLong()), ImageOracles.additiveCoupling(sh, m, parity, net)));
                    }
        for (int[] sh : SHAPES) {
            cs.add(new Case("actnorm " + s(sh), dataInit(new ActNorm(be, sh), r.nextLong()), ImageOracles.actNorm(sh)));
            InvertibleConv1x1 lu = new InvertibleConv1x1(be, sh, 5 + sh[0]);
            int[] perm = new int[sh[0]];
            System.arraycopy(lu.permutation(), 0, perm, 0, perm.length);
            cs.add(new Case("lu_conv1x1 " + s(sh), lu, ImageOracles.luConv1x1(sh, perm), 0.2, false));
            cs.add(new Case("conv1x1 " + s(sh), new Conv1x1(be, sh, 6 + sh[0]), ImageOracles.conv1x1(sh), 0.1, false));
            cs.add(new Case("split conditional " + s(sh), new Split(be, sh, Split.CONDITIONAL, r), ImageOracles.split(sh, true)));
            cs.add(new Case("split standard " + s(sh), new Split(be, sh, Split.STANDARD, r), ImageOracles.split(sh, false)));
        }
        for (float lambda : new float[] {0.05f, 1e-6f, 0f})
            for (int[] sh : new int[][] {A, ODD})
                cs.add(new Case("logit λ=" + lambda + " " + s(sh), new LogitPreprocess(be, sh, lambda), ImageOracles.logit(lambda), 0, true));
        return cs;
    }

    static Report check(Case c, long seed) {
        TransformCheck chk = TransformCheck.of(be, c.t, c.oracle).label(c.name).seed(seed).batch(3).jitter(c.jitter);
        if (c.unitInput) chk.unitInput();
        return chk.run();
    }

    @TestFactory Stream<DynamicTest> everyImageLayerAgainstItsOracle() {
        List<Case> cs = cases();
        return cs.stream().map(c -> DynamicTest.dynamicTest(c.name, () -> {
            Report r = check(c, 1000 + cs.indexOf(c));
            assertTrue(r.roundTripMaxAbs() < 1e-4, c.name + " round trip " + r.roundTripMaxAbs());
            assertTrue(r.gradsChecked() > 0, c.name + " checked no gradient");
        }));
    }

    /** Every trainable parameter tensor of a coupling has gradients checked, those in front of the ReLUs included. */
    @Test void conditionerWeightsInFrontOfReLUsAreChecked() {
        for (Conditioner net : conditioners()) {
            Transform t = dataInit(new ImageAffineCoupling(be, A, "checkerboard", 1, CouplingScale.SIGMOID, 2f, net.type(), net.width(),
                    net.blocks(), new SplittableRandom(3)), net, 4);
            int trainable = 0, entries = 0;
            for (Param p : t.params()) if (p.trainable()) { trainable++; entries += Math.min(24, ImageEvents.numel(p.value().shape()) ); }
            Report r = TransformCheck.of(be, t, ImageOracles.affineCoupling(A, "checkerboard", 1, CouplingScale.SIGMOID, 2.0, net))
                    .label("coverage " + net.type()).seed(5).batch(3).paramSample(24).run();
            int inputs = 3 * ImageEvents.numel(A);
            assertEquals(inputs + entries, r.gradsChecked(), net.type() + ": gradients of " + trainable + " tensors + the input");
        }
    }

    /** The checker must reject an oracle that is wrong in a way a layer could be: mask parity, squeeze order, split prior. */
    @Test void checkerRejectsWrongOracles() {
        SplittableRandom r = new SplittableRandom(9);
        Conditioner g = Conditioner.glow(WIDTH);
        assertThrows(AssertionFailedError.class, () -> TransformCheck.of(be,
                new ImageAffineCoupling(be, A, "checkerboard", 0, CouplingScale.SOFTCLAMP, 2f, "glow", WIDTH, 0, r),
                ImageOracles.affineCoupling(A, "checkerboard", 1, CouplingScale.SOFTCLAMP, 2.0, g)).batch(2).paramSample(4).run());
        assertThrows(AssertionFailedError.class, () -> TransformCheck.of(be,
                new ImageAdditiveCoupling(be, A, "channel", 1, "glow", WIDTH, 0, r),
                ImageOracles.additiveCoupling(A, "channel", 0, g)).batch(2).paramSample(4).run());
        assertThrows(AssertionFailedError.class, () -> TransformCheck.of(be, new Squeeze(be, ODD), ImageOracles.squeeze(ODD[0], ODD[2], ODD[1])).run());
        assertThrows(AssertionFailedError.class, () -> TransformCheck.of(be,
                new Split(be, B, Split.CONDITIONAL, r), ImageOracles.split(B, false)).batch(2).run());
        // glow_actnorm's inner ActNorms are not a no-op: the plain glow oracle misses them
        Conditioner an = Conditioner.glowActNorm(WIDTH);
        assertThrows(AssertionFailedError.class, () -> TransformCheck.of(be,
                dataInit(new ImageAdditiveCoupling(be, A, "channel", 0, "glow_actnorm", WIDTH, 0, r), an, 3),
                ImageOracles.additiveCoupling(A, "channel", 0, g)).batch(2).paramSample(4).run());
    }

    // ---------------------------------------------------------------- whole multi-scale flows

    /** A preset and the oracle chain built independently from docs/IMAGES.md's description of it. */
    record FlowCase(String name, String preset, int[] chw, int levels, int k, CouplingScale scale, Conditioner net) {}

    static List<FlowCase> flowCases() {
        return List.of(
                new FlowCase("glow L=2 K=1 W=4 1×8×8", "glow", new int[] {1, 8, 8}, 2, 1, CouplingScale.SIGMOID, Conditioner.glow(4)),
                new FlowCase("glow L=2 K=2 W=4 glow_actnorm softclamp 2×8×8", "glow", new int[] {2, 8, 8}, 2, 2, CouplingScale.SOFTCLAMP,
                        Conditioner.glowActNorm(4)),
                new FlowCase("realnvp L=2 K=1 W=4 resnet(1) 1×8×8", "realnvp", new int[] {1, 8, 8}, 2, 1, CouplingScale.SOFTCLAMP,
                        Conditioner.resnet(4, 1)));
    }

    static Map<String, double[]> hostParams(List<Param> ps) {
        Map<String, double[]> m = new HashMap<>();
        for (Param p : ps) {
            float[] v = be.toHost(p.value());
            double[] d = new double[v.length];
            for (int i = 0; i < v.length; i++) d[i] = v[i];
            m.put(p.name(), d);
        }
        return m;
    }

    /** Mean −log p of the batch under the oracle chain. */
    static double oracleNll(ImageFlowOracle o, double[][] xs, List<Map<String, double[]>> ps, Map<String, double[]> base) {
        double s = 0;
        for (double[] x : xs) s -= o.run(x, ps, base).logProb();
        return s / xs.length;
    }

    /**
     * A small multi-scale preset (logit, squeezes, ActNorms data-initialised, LU 1×1 convs, couplings, a split, the base),
     * every trainable parameter moved off its initialisation, against the float64 oracle chain: the layer sequence; log p
     * per sample (FLOWS.md's element-wise tolerance); every latent of {@code encode}; the chain's bijective log-det
     * against log|det| of its own float64 Jacobian of x → all latents; the mean NLL and 8 random entries of every
     * trainable tensor's gradient from {@code forwardBackward} (STORE and RECOMPUTE) against float64 central differences
     * of the chain's mean NLL.
     */
    @TestFactory Stream<DynamicTest> wholeImageFlowsAgainstTheOracleChain() {
        return flowCases().stream().map(fc -> DynamicTest.dynamicTest(fc.name(), () -> {
            int n = 3, d = fc.chw()[0] * fc.chw()[1] * fc.chw()[2];
            SplittableRandom r = new SplittableRandom(fc.name().hashCode());
            float[] x = new float[n * d];
            for (int i = 0; i < x.length; i++) x[i] = (float) (0.02 + 0.96 * r.nextDouble());
            ImagePresets.Options opt = ImagePresets.Options.defaults().withLevels(fc.levels()).withStepsPerLevel(fc.k())
                    .withWidth(fc.net().width()).withConditioner(fc.net().type()).withBlocks(Math.max(1, fc.net().blocks()))
                    .withScale(fc.scale()).withSeed(r.nextLong());
            Flow f = ImagePresets.build(fc.preset(), be, fc.chw(), opt);
            // ActNorms initialised on a batch of 32 other images: on 3 images a 1×1-pixel level can leave a conditioner
            // channel constant, and its inner ActNorm would then scale by 1/ε = 1e6
            float[] init = new float[32 * d];
            for (int i = 0; i < init.length; i++) init[i] = (float) (0.02 + 0.96 * r.nextDouble());
            f.initialize(be.fromHost(init, f.batchShape(32)));
            for (Param p : f.params()) {
                if (p.name().endsWith("initialized")) assertEquals(1f, be.toHost(p.value())[0], fc.name() + ": data-initialised " + p.name());
                if (!p.trainable()) continue;
                float[] v = be.toHost(p.value());
                for (int i = 0; i < v.length; i++) v[i] += (float) (0.05 * CpuBackend.gaussian(r));
                be.upload(v, p.value());
            }

            List<int[]> perms = new ArrayList<>();
            List<String> kinds = new ArrayList<>();
            List<Map<String, double[]>> ps = new ArrayList<>();
            for (Transform t : f.transforms()) {
                kinds.add(t.kind());
                ps.add(hostParams(t.params()));
                if (t instanceof InvertibleConv1x1 lu) {
                    int[] perm = new int[t.eventShape()[0]];
                    System.arraycopy(lu.permutation(), 0, perm, 0, perm.length);
                    perms.add(perm);
                }
            }
            double lambda = 0.05f;   // the presets' default λ, a float32 value widened to double (CHECKPOINT.md §6)
            ImageFlowOracle o = fc.preset().equals("glow")
                    ? ImageFlowOracle.glow(fc.chw(), fc.levels(), fc.k(), fc.scale(), 2.0, fc.net(), lambda, perms)
                    : ImageFlowOracle.realNvp(fc.chw(), fc.levels(), fc.k(), fc.scale(), 2.0, fc.net(), lambda);
            assertEquals(o.kinds(), kinds, fc.name() + ": layer sequence");
            for (int k = 0; k < kinds.size(); k++)
                assertEquals(s(o.layers().get(k).shape()), s(f.transforms().get(k).eventShape()), fc.name() + ": input shape of layer " + k);
            Map<String, double[]> base = hostParams(f.base().params());

            double[][] xs = new double[n][d];
            for (int s = 0; s < n; s++) for (int i = 0; i < d; i++) xs[s][i] = x[s * d + i];
            ImageFlowOracle.Pass[] ref = new ImageFlowOracle.Pass[n];
            for (int s = 0; s < n; s++) ref[s] = o.run(xs[s], ps, base);

            // log p per sample
            float[] lp = f.logProb(x, n);
            double lpErr = 0, lpRel = 0;
            for (int s = 0; s < n; s++) {
                double want = ref[s].logProb();
                assertEquals(want, lp[s], 1e-5 + 1e-4 * Math.abs(want), fc.name() + ": log p, sample " + s);
                lpErr = Math.max(lpErr, Math.abs(lp[s] - want));
                lpRel = Math.max(lpRel, Math.abs(lp[s] - want) / Math.abs(want));
            }

            // every latent
            double zErr = 0;
            try (Scope sc = be.scope()) {
                List<Tensor> z = f.encode(be.fromHost(x, f.batchShape(n)));
                assertEquals(ref[0].latents().size(), z.size(), fc.name() + ": latent count");
                for (int l = 0; l < z.size(); l++) {
                    float[] zh = be.toHost(z.get(l));
                    int e = ref[0].latents().get(l).length;
                    assertEquals(n * e, zh.length, fc.name() + ": size of latent " + l);
                    for (int s = 0; s < n; s++)
                        for (int i = 0; i < e; i++) {
                            double want = ref[s].latents().get(l)[i];
                            assertEquals(want, zh[s * e + i], 1e-5 + 1e-4 * Math.abs(want), fc.name() + ": latent " + l + "[" + s + ", " + i + "]");
                            zErr = Math.max(zErr, Math.abs(zh[s * e + i] - want));
                        }
                }
            }

            // the chain's own composition: Σ ld of its bijective layers = log|det| of x → (all latents), in float64
            double jacErr = 0;
            for (int s = 0; s < n; s++) {
                double[] jac = new double[d * d];
                double h = 1e-5;
                for (int j = 0; j < d; j++) {
                    double[] xp = xs[s].clone(), xm = xs[s].clone();
                    xp[j] += h; xm[j] -= h;
                    double[] yp = flat(o.run(xp, ps, base).latents()), ym = flat(o.run(xm, ps, base).latents());
                    for (int i = 0; i < d; i++) jac[i * d + j] = (yp[i] - ym[i]) / (2 * h);
                }
                double want = Dense.logAbsDet(jac, d);
                assertEquals(want, ref[s].bijectiveLogDet(), 1e-6 + 1e-6 * Math.abs(want), fc.name() + ": chain log-det vs its Jacobian, sample " + s);
                jacErr = Math.max(jacErr, Math.abs(ref[s].bijectiveLogDet() - want));
            }

            // gradients of the mean NLL, stored and recomputed, against central differences of the chain
            double nllRef = oracleNll(o, xs, ps, base);
            List<Param> all = f.params();
            List<float[]> stored = new ArrayList<>(), recomputed = new ArrayList<>();
            double nll;
            try (Scope sc = be.scope()) {
                f.zeroGrad();
                nll = Nll.INSTANCE.forwardBackward(f, be.fromHost(x, f.batchShape(n)), MemoryMode.STORE);
                for (Param p : all) stored.add(p.grad() == null ? null : be.toHost(p.grad()));
                f.zeroGrad();
                Nll.INSTANCE.forwardBackward(f, be.fromHost(x, f.batchShape(n)), MemoryMode.RECOMPUTE);
                for (Param p : all) recomputed.add(p.grad() == null ? null : be.toHost(p.grad()));
            }
            assertEquals(nllRef, nll, 1e-5 + 1e-4 * Math.abs(nllRef), fc.name() + ": mean NLL");
            // parameter maps in Flow.params() order: the base's, then each layer's
            List<Map<String, double[]>> owner = new ArrayList<>();
            for (Param p : f.base().params()) owner.add(base);
            for (int k = 0; k < f.transforms().size(); k++) for (Param p : f.transforms().get(k).params()) owner.add(ps.get(k));
            double gradRatio = 0, recErr = 0;
            int checked = 0, tensors = 0, kinks = 0;
            for (int q = 0; q < all.size(); q++) {
                Param p = all.get(q);
                if (!p.trainable()) continue;
                tensors++;
                float[] g = stored.get(q), g2 = recomputed.get(q);
                // RECOMPUTE rebuilds each layer's input by running the float32 inverse of the layers above it, so it differs
                // from STORE by the propagated round-trip error, measured against the largest gradient of the tensor
                double gMax = 0;
                for (float gi : g) gMax = Math.max(gMax, Math.abs(gi));
                for (int i = 0; i < g.length; i++) {
                    double rel = Math.abs(g[i] - g2[i]) / (1e-3 + gMax);
                    assertTrue(rel <= 1e-5, fc.name() + ": RECOMPUTE vs STORE ∂/∂" + p.name() + "[" + i + "]: " + g2[i] + " vs " + g[i] + " (max |∂/∂" + p.name() + "| " + gMax + ")");
                    recErr = Math.max(recErr, rel);
                }
                double[] v = owner.get(q).get(p.name());
                for (int i : sample(v.length, 8, r)) {
                    double best = Double.POSITIVE_INFINITY, h = 1e-6;
                    List<Double> seen = new ArrayList<>();
                    for (int attempt = 0; attempt < 3 && best > 1; attempt++, h /= 4) {
                        double old = v[i];
                        v[i] = old + h; double up = oracleNll(o, xs, ps, base);
                        v[i] = old - h; double dn = oracleNll(o, xs, ps, base);
                        v[i] = old;
                        double fd = (up - dn) / (2 * h), ratio = Math.abs(g[i] - fd) / (2e-5 + 2e-4 * Math.abs(fd));
                        seen.add(fd);
                        if (ratio <= 1 && attempt > 0) kinks++;
                        best = Math.min(best, ratio);
                    }
                    assertTrue(best <= 1, fc.name() + ": ∂NLL/∂" + p.name() + "[" + i + "] = " + g[i] + ", central differences at h, h/4, h/16: " + seen);
                    gradRatio = Math.max(gradRatio, best);
                    checked++;
                }
            }
            System.out.printf("[ImageFlowOracle] %s: log p %.2e (relative %.2e), latents %.2e, chain jac-ld %.2e, nll %.2e, grad err/tol %.2e (%d entries of %d tensors, %d at h/4 or h/16), recompute rel %.2e%n",
                    fc.name(), lpErr, lpRel, zErr, jacErr, Math.abs(nll - nllRef), gradRatio, checked, tensors, kinks, recErr);
            assertTrue(tensors >= 10, fc.name() + ": checked " + tensors + " tensors");
        }));
    }

    /** k distinct random indices below n (all of them when n ≤ k). */
    static int[] sample(int n, int k, SplittableRandom r) {
        int[] idx = new int[n];
        for (int i = 0; i < n; i++) idx[i] = i;
        for (int i = 0; i < Math.min(k, n); i++) { int j = i + r.nextInt(n - i); int t = idx[i]; idx[i] = idx[j]; idx[j] = t; }
        return Arrays.copyOf(idx, Math.min(k, n));
    }

    static double[] flat(List<double[]> parts) {
        int len = 0;
        for (double[] a : parts) len += a.length;
        double[] r = new double[len];
        int off = 0;
        for (double[] a : parts) { System.arraycopy(a, 0, r, off, a.length); off += a.length; }
        return r;
    }
}
