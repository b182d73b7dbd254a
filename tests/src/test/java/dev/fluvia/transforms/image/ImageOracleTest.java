package dev.fluvia.transforms.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fluvia.backend.CouplingScale;
import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.nn.Param;
import dev.fluvia.oracle.ImageOracles;
import dev.fluvia.oracle.ImageOracles.Conditioner;
import dev.fluvia.oracle.TransformCheck;
import dev.fluvia.oracle.TransformCheck.Report;
import dev.fluvia.oracle.TransformOracle;
import dev.fluvia.transforms.ActNorm;
import dev.fluvia.transforms.Transform;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
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
 * initialisation (the zero-initialised last convolution included), glow_actnorm's inner ActNorms data-initialised first.
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

    /** glow_actnorm's inner ActNorms initialised from the data (a batch of shifted, scaled Gaussian images). */
    static Transform dataInit(Transform t, Conditioner net, long seed) {
        if (!net.type().equals("glow_actnorm")) return t;
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[4 * ImageEvents.numel(t.eventShape())];
        for (int i = 0; i < x.length; i++) x[i] = (float) (0.5 + 1.5 * CpuBackend.gaussian(r));
        t.initialize(be.fromHost(x, ImageEvents.batch(4, t.eventShape())));
        for (Param p : t.params())
            if (p.name().endsWith(".initialized")) assertEquals(1f, be.toHost(p.value())[0], "data-initialised " + p.name());
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
            cs.add(new Case("actnorm " + s(sh), new ActNorm(be, sh), ImageOracles.actNorm(sh)));
            InvertibleConv1x1 lu = new InvertibleConv1x1(be, sh, 5 + sh[0]);
            int[] perm = new int[sh[0]];
            for (int i = 0; i < perm.length; i++) perm[i] = lu.config().get("perm").get(i).asInt();
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
}
