package dev.fluvia.transforms.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.fluvia.FluviaException.ShapeException;
import dev.fluvia.backend.CouplingScale;
import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.flow.ConditionalFlows;
import dev.fluvia.flow.Flow;
import dev.fluvia.flow.ImagePresets;
import dev.fluvia.flow.MemoryMode;
import dev.fluvia.io.Checkpoint;
import dev.fluvia.io.Registry;
import dev.fluvia.oracle.ContextImageOracles;
import dev.fluvia.oracle.ImageOracles;
import dev.fluvia.oracle.ImageOracles.Conditioner;
import dev.fluvia.oracle.TransformCheck;
import dev.fluvia.oracle.TransformCheck.Report;
import dev.fluvia.oracle.TransformOracle;
import dev.fluvia.param.Param;
import dev.fluvia.param.Stash;
import dev.fluvia.tensor.Tensor;
import dev.fluvia.transforms.ActNorm;
import dev.fluvia.transforms.Transform;
import dev.fluvia.train.Adam;
import dev.fluvia.train.Nll;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Conditional image flows over rows {@code [x | c]} (docs/FLOWS.md "Conditional flows in Fluvia"): every conditional
 * image layer (the affine and additive couplings whose conditioner sees c as constant planes; ActNorm, the invertible
 * 1×1 convolution, squeeze, logit and the split carried beside the context) against its float64 oracle through
 * {@link TransformCheck} (forward, log-det vs the oracle's brute-force Jacobian over the whole row, inverse, round trip,
 * gradients w.r.t. the row, c included, and every conditioner parameter vs central differences, recompute); Registry
 * and checkpoint round trips of whole conditional glow / realnvp flows; typed errors for a wrong context width; and end to
 * end, a conditional Glow trained on a tiny 2-class image set whose density depends on the class as it should.
 */
class ConditionalImageLayersTest {
    static final CpuBackend be = new CpuBackend(1);
    static final int WIDTH = 4;
    @TempDir Path dir;

    @AfterAll static void close() { be.close(); }

    record Case(String name, Transform t, TransformOracle oracle, double jitter, boolean unitInput) {}

    private static int numel(int[] s) { int d = 1; for (int v : s) d *= v; return d; }

    static List<Case> cases() {
        SplittableRandom r = new SplittableRandom(11);
        List<Case> cs = new ArrayList<>();
        Conditioner[] nets = {Conditioner.glow(WIDTH), Conditioner.resnet(WIDTH, 1)};
        int[][] shapes = {{2, 4, 4}, {3, 2, 4}};
        for (int[] sh : shapes)
            for (int k : new int[] {1, 3})
                for (String m : new String[] {"channel", "checkerboard"})
                    for (int parity : new int[] {0, 1}) {
                        Conditioner net = nets[(parity + k) % 2];
                        CouplingScale sc = CouplingScale.values()[(parity + (m.equals("channel") ? 0 : 1)) % CouplingScale.values().length];
                        cs.add(new Case("cond affine " + net.type() + " " + m + " " + sc + " p" + parity + " k" + k + " " + Arrays.toString(sh),
                                new ConditionalImageAffineCoupling(be, sh, k, m, parity, sc, 2f, net.type(), net.width(), net.blocks(), r),
                                ContextImageOracles.affineCoupling(sh, k, m, parity, sc, 2.0, net), 0.3, false));
                        cs.add(new Case("cond additive " + net.type() + " " + m + " p" + parity + " k" + k + " " + Arrays.toString(sh),
                                new ConditionalImageAdditiveCoupling(be, sh, k, m, parity, net.type(), net.width(), net.blocks(), r),
                                ContextImageOracles.additiveCoupling(sh, k, m, parity, net), 0.3, false));
                    }
        int[] sh = {2, 4, 4};
        int d = numel(sh);
        for (int k : new int[] {1, 2}) {
            ActNorm an = new ActNorm(be, sh);
            cs.add(new Case("carry actnorm k" + k, new ContextCarry(be, an, k), ContextImageOracles.carry(ImageOracles.actNorm(sh), d, d, k), 0.3, false));
            InvertibleConv1x1 lu = new InvertibleConv1x1(be, sh, 5 + k);
            int[] perm = Arrays.copyOf(lu.permutation(), sh[0]);
            cs.add(new Case("carry lu_conv1x1 k" + k, new ContextCarry(be, lu, k), ContextImageOracles.carry(ImageOracles.luConv1x1(sh, perm), d, d, k), 0.2, false));
            cs.add(new Case("carry squeeze k" + k, new ContextCarry(be, new Squeeze(be, sh), k),
                    ContextImageOracles.carry(ImageOracles.squeeze(sh[0], sh[1], sh[2]), d, d, k), 0.3, false));
            cs.add(new Case("carry logit k" + k, new ContextCarry(be, new LogitPreprocess(be, sh, 0.05f), k),
                    ContextImageOracles.carry(ImageOracles.logit(0.05), d, d, k), 0, true));
            cs.add(new Case("context split conditional k" + k, new ContextSplit(be, new Split(be, sh, Split.CONDITIONAL, r), k),
                    ContextImageOracles.carry(ImageOracles.split(sh, true), d, d / 2, k), 0.3, false));
        }
        // the class-conditional top prior: an affine coupling of x given c alone, linear (no hidden layer)
        for (int k : new int[] {1, 3}) {
            int dz = 5;
            int[] a = new int[k], b = {0, 1, 2, 3, 4};
            for (int j = 0; j < k; j++) a[j] = dz + j;
            cs.add(new Case("class-conditional prior k" + k, new dev.fluvia.transforms.AffineCoupling(be, dz + k, a, b, new int[0],
                    dev.fluvia.backend.Activation.IDENTITY, CouplingScale.SOFTCLAMP, 2f, r),
                    dev.fluvia.oracle.CouplingOracles.affine(a, b, new int[0], dev.fluvia.backend.Activation.IDENTITY, CouplingScale.SOFTCLAMP, 2), 0.5, false));
        }
        // the tabular conditional glow's carried layers: ActNorm and the LU linear on vectors x [D]
        for (int k : new int[] {1, 2}) {
            cs.add(new Case("carry actnorm [3] k" + k, new ContextCarry(be, new ActNorm(be, 3), k),
                    ContextImageOracles.carry(ImageOracles.actNorm(new int[] {3, 1, 1}), 3, 3, k), 0.3, false));
            dev.fluvia.transforms.InvertibleLinear lin = new dev.fluvia.transforms.InvertibleLinear(be, 4, 7 + k);
            cs.add(new Case("carry lu_linear [4] k" + k, new ContextCarry(be, lin, k),
                    ContextImageOracles.carry(dev.fluvia.oracle.LinearOracles.lu(Arrays.copyOf(lin.permutation(), 4)), 4, 4, k), 0.2, false));
        }
        return cs;
    }

    @TestFactory Stream<DynamicTest> everyConditionalImageLayerAgainstItsOracle() {
        List<Case> cs = cases();
        return cs.stream().map(c -> DynamicTest.dynamicTest(c.name, () -> {
            TransformCheck chk = TransformCheck.of(be, c.t, c.oracle).label(c.name).seed(500 + cs.indexOf(c)).batch(3).jitter(c.jitter);
            if (c.unitInput) chk.unitInput();
            Report r = chk.run();
            assertTrue(r.roundTripMaxAbs() < 1e-4, c.name + " round trip " + r.roundTripMaxAbs());
            if (!c.t.params().isEmpty() && c.jitter > 0) assertTrue(r.gradsChecked() > 0, c.name + " checked no gradient");
        }));
    }

    /** Every tensor of the conditioner (the first convolution's context columns included) gets a gradient that moves with c. */
    @Test void contextChangesTheCouplingAndItsGradient() {
        int[] sh = {2, 2, 2};
        SplittableRandom r = new SplittableRandom(4);
        ConditionalImageAffineCoupling t = new ConditionalImageAffineCoupling(be, sh, 2, "channel", 0, CouplingScale.SOFTCLAMP, 2f, "glow", 3, 0, r);
        for (Param p : t.params()) {
            if (!p.trainable()) continue;
            float[] v = be.toHost(p.value());
            for (int i = 0; i < v.length; i++) v[i] += (float) (0.4 * (r.nextDouble() - 0.5));
            be.upload(v, p.value());
        }
        int n = 2, w = 10;
        float[] a = new float[n * w];
        for (int i = 0; i < a.length; i++) a[i] = (float) CpuBackend.gaussian(r);
        float[] b = a.clone();
        for (int s = 0; s < n; s++) b[s * w + 9] += 1f;
        float[] ya = be.toHost(t.forward(be.fromHost(a, n, w), be.alloc(n), Stash.none()));
        float[] yb = be.toHost(t.forward(be.fromHost(b, n, w), be.alloc(n), Stash.none()));
        for (int s = 0; s < n; s++) {
            for (int j = 0; j < 4; j++) assertEquals(a[s * w + j], ya[s * w + j], 0f, "conditioning half unchanged");
            for (int j = 8; j < 10; j++) assertEquals(a[s * w + j], ya[s * w + j], 0f, "context unchanged");
            double moved = 0;
            for (int j = 4; j < 8; j++) moved += Math.abs(ya[s * w + j] - yb[s * w + j]);
            assertTrue(moved > 1e-3, "the context changes nothing: " + moved);
        }
    }

    /** A wrong context width (or an image row without a context) is a ShapeException naming the layer and both widths. */
    @Test void wrongContextWidthIsATypedError() {
        int[] sh = {2, 2, 2};
        SplittableRandom r = new SplittableRandom(1);
        List<Transform> ts = List.of(
                new ConditionalImageAffineCoupling(be, sh, 2, "channel", 0, CouplingScale.SIGMOID, 2f, "glow", 3, 0, r),
                new ConditionalImageAdditiveCoupling(be, sh, 2, "checkerboard", 1, "glow", 3, 0, r),
                new ContextCarry(be, new ActNorm(be, sh), 2),
                new ContextSplit(be, new Split(be, sh, Split.CONDITIONAL, r), 2));
        for (Transform t : ts) {
            Tensor bad = be.alloc(3, 8 + 3);
            ShapeException e = assertThrows(ShapeException.class, () -> t.forward(bad, be.alloc(3), Stash.none()), t.kind());
            assertTrue(e.getMessage().contains(t.kind()) && e.getMessage().contains("10") && e.getMessage().contains("11"), e.getMessage());
            assertThrows(ShapeException.class, () -> t.backward(be.alloc(3, 8), be.alloc(3, 8), be.alloc(3), Stash.none()), t.kind());
        }
        assertThrows(ShapeException.class, () -> new ContextCarry(be, new ActNorm(be, sh), 0));
        assertThrows(ShapeException.class, () -> ConditionalFlows.image("glow", be, new int[] {1, 4, 4}, 0, ImagePresets.Options.defaults()));
        Flow f = ConditionalFlows.image("glow", be, new int[] {1, 4, 4}, 2, small());
        assertThrows(ShapeException.class, () -> ConditionalFlows.logProb(f, new float[16], new float[3], 1));
        assertThrows(ShapeException.class, () -> f.logProb(new float[19], 1));
    }

    private static ImagePresets.Options small() {
        return ImagePresets.Options.defaults().withLevels(2).withStepsPerLevel(2).withWidth(6).withSeed(3);
    }

    private static void jitter(Flow f, double amount, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        for (Param p : f.params()) {
            if (!p.trainable()) continue;
            float[] v = be.toHost(p.value());
            for (int i = 0; i < v.length; i++) v[i] += (float) (amount * (r.nextDouble() * 2 - 1));
            be.upload(v, p.value());
        }
    }

    /** Images in (0, 1) and one-hot contexts, row-major. */
    private static float[][] unitImages(int n, int d, int k, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n * d], c = new float[n * k];
        for (int i = 0; i < x.length; i++) x[i] = (float) (0.05 + 0.9 * r.nextDouble());
        for (int s = 0; s < n; s++) c[s * k + s % k] = 1f;
        return new float[][] {x, c};
    }

    /** Whole conditional glow and realnvp flows: config + tensors round trip, same log p and same samples per context. */
    @Test void checkpointRoundTrip() throws Exception {
        for (String preset : new String[] {"glow", "realnvp"}) {
            int[] chw = {1, 4, 4};
            ImagePresets.Options o = small().withStepsPerLevel(preset.equals("glow") ? 2 : 1);
            Flow f = ConditionalFlows.image(preset, be, chw, 2, o);
            float[][] xc = unitImages(6, 16, 2, 9);
            f.initialize(be.fromHost(ConditionalFlows.join(xc[0], 16, xc[1], 2, 6), 6, 18));
            jitter(f, 0.2, 5);
            assertEquals(16, ConditionalFlows.dataDim(f));
            Path p = dir.resolve(preset + ".safetensors");
            Checkpoint.save(p, f, new ObjectMapper().createObjectNode().put("step", 1), Map.of());
            Flow g = Checkpoint.load(p, new CpuBackend(1)).flow();
            assertEquals(f.transforms().size(), g.transforms().size());
            for (int i = 0; i < f.transforms().size(); i++) {
                Transform t = f.transforms().get(i);
                assertEquals(Registry.config(t), Registry.config(g.transforms().get(i)), preset + " layer " + i + " " + t.kind());
            }
            float[] a = ConditionalFlows.logProb(f, xc[0], xc[1], 6), b = ConditionalFlows.logProb(g, xc[0], xc[1], 6);
            assertArrayEquals(a, b, 0f, preset + " log p after load");
            for (float v : a) assertTrue(Float.isFinite(v));
            assertArrayEquals(ConditionalFlows.sample(f, xc[1], 6, 0.7f, 4), ConditionalFlows.sample(g, xc[1], 6, 0.7f, 4), 0f, preset + " samples after load");
        }
    }

    /** Encoding then sampling from the encoded latents recovers x: the conditional multi-scale flow is a bijection given c. */
    @Test void conditionalMultiScaleFlowRoundTrips() {
        Flow f = ConditionalFlows.image("glow", be, new int[] {1, 4, 4}, 3, small());
        jitter(f, 0.2, 6);
        float[][] xc = unitImages(4, 16, 3, 2);
        Tensor rows = be.fromHost(ConditionalFlows.join(xc[0], 16, xc[1], 3, 4), 4, 19);
        List<Tensor> lat = f.encode(rows);
        float[] back = be.toHost(f.decode(lat));
        assertArrayEquals(be.toHost(rows), back, 2e-5f);
    }

    /** Reversible backprop (each layer's input recomputed by inverting its output, splits merging their latents) gives STORE's gradients. */
    @Test void recomputeModeGivesTheStoredGradients() {
        float[][] xc = unitImages(8, 16, 2, 12);
        float[] rows = ConditionalFlows.join(xc[0], 16, xc[1], 2, 8);
        float[][] grads = new float[2][];
        double[] loss = new double[2];
        MemoryMode[] modes = {MemoryMode.STORE, MemoryMode.RECOMPUTE};
        for (int m = 0; m < 2; m++) {
            Flow f = ConditionalFlows.image("glow", be, new int[] {1, 4, 4}, 2, small());
            f.initialize(be.fromHost(rows, 8, 18));
            jitter(f, 0.2, 8);
            f.zeroGrad();
            loss[m] = Nll.INSTANCE.forwardBackward(f, be.fromHost(rows, 8, 18), modes[m]);
            List<Float> g = new ArrayList<>();
            for (Param p : f.params()) if (p.trainable()) for (float v : be.toHost(p.grad())) g.add(v);
            grads[m] = new float[g.size()];
            for (int i = 0; i < g.size(); i++) grads[m][i] = g.get(i);
        }
        assertEquals(loss[0], loss[1], 1e-5 * Math.max(1, Math.abs(loss[0])));
        double scale = 0;
        for (float v : grads[0]) scale = Math.max(scale, Math.abs(v));
        assertArrayEquals(grads[0], grads[1], (float) (2e-4 * Math.max(1, scale)), "recompute vs store gradients");
    }

    /**
     * End to end: 4×4 images of two classes (class 0 bright on the left half, class 1 on the right, pixel noise); a
     * conditional Glow trained on them scores each image much higher under its own label, classifies by Bayes' rule, and
     * its samples per label are bright on their own side.
     */
    @Test void conditionalGlowLearnsTheClasses() {
        int d = 16, n = 256;
        SplittableRandom r = new SplittableRandom(21);
        float[] x = new float[n * d], c = new float[n * 2];
        for (int s = 0; s < n; s++) {
            int k = s % 2;
            c[s * 2 + k] = 1f;
            for (int i = 0; i < 4; i++)
                for (int j = 0; j < 4; j++) {
                    boolean bright = k == 0 ? j < 2 : j >= 2;
                    double v = (bright ? 0.8 : 0.2) + 0.06 * CpuBackend.gaussian(r);
                    x[s * d + i * 4 + j] = (float) Math.min(0.98, Math.max(0.02, v));
                }
        }
        Flow f = ConditionalFlows.image("glow", be, new int[] {1, 4, 4}, 2, small().withWidth(8));
        float[] rows = ConditionalFlows.join(x, d, c, 2, n);
        f.initialize(be.fromHost(rows, n, d + 2));
        Map<String, Param> ps = new LinkedHashMap<>();
        int q = 0;
        for (Param p : f.params()) if (p.trainable()) ps.put("p" + q++, p);
        Adam opt = new Adam(be, ps, 0.9f, 0.999f, 1e-8f, 0f);
        for (int step = 0; step < 150; step++) {
            f.zeroGrad();
            double loss = Nll.INSTANCE.forwardBackward(f, be.fromHost(rows, n, d + 2), MemoryMode.STORE);
            assertTrue(Double.isFinite(loss), "step " + step + " loss " + loss);
            opt.step(5e-3);
        }
        float[] swapped = new float[n * 2];
        for (int s = 0; s < n; s++) swapped[s * 2 + 1 - s % 2] = 1f;
        float[] own = ConditionalFlows.logProb(f, x, c, n), other = ConditionalFlows.logProb(f, x, swapped, n);
        double margin = 0;
        int right = 0;
        for (int s = 0; s < n; s++) { margin += own[s] - other[s]; if (own[s] > other[s]) right++; }
        margin /= n;
        System.out.printf("[ConditionalImageLayersTest] mean log p(x|own) − log p(x|other) = %.2f nats, accuracy %d/%d%n", margin, right, n);
        assertTrue(margin > 5, "the density hardly depends on the label: margin " + margin);
        assertEquals(n, right, "Bayes-rule accuracy");
        int m = 64;
        float[] cs = new float[m * 2];
        for (int s = 0; s < m; s++) cs[s * 2 + s % 2] = 1f;
        float[] smp = ConditionalFlows.sample(f, cs, m, 0.7f, 3);
        for (int k = 0; k < 2; k++) {
            double left = 0, rightSide = 0;
            for (int s = k; s < m; s += 2)
                for (int i = 0; i < 4; i++)
                    for (int j = 0; j < 4; j++) { if (j < 2) left += smp[s * d + i * 4 + j]; else rightSide += smp[s * d + i * 4 + j]; }
            double diff = (left - rightSide) / (m / 2.0 * 8);
            assertTrue(k == 0 ? diff > 0.3 : diff < -0.3, "class " + k + " samples: left − right mean " + diff);
        }
    }
}
