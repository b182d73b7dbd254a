package dev.fluvia.transforms;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fluvia.backend.Activation;
import dev.fluvia.backend.CouplingScale;
import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.oracle.CouplingOracles;
import dev.fluvia.oracle.ElementwiseOracles;
import dev.fluvia.oracle.LinearOracles;
import dev.fluvia.oracle.TransformCheck;
import dev.fluvia.oracle.TransformCheck.Report;
import dev.fluvia.oracle.TransformOracle;
import java.util.Map;
import org.opentest4j.AssertionFailedError;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Every vector/image transform against its independent float64 oracle (forward, log-det, Jacobian, inverse, gradients, recompute). */
class TransformOracleTest {
    private final CpuBackend be = new CpuBackend(2);

    private static void roundTripSmall(Report r) {
        assertTrue(r.roundTripMaxAbs() < 1e-4, "round trip error " + r.roundTripMaxAbs());
    }

    @ParameterizedTest(name = "affine {0} D={1} layer {2}")
    @CsvSource({"SOFTCLAMP, 5, 0", "SOFTCLAMP, 5, 1", "SIGMOID, 5, 0", "SIGMOID, 5, 1", "SOFTCLAMP, 2, 0", "SIGMOID, 2, 1"})
    void affineCoupling(CouplingScale scale, int dim, int layer) {
        int[][] m = Masks.alternating(dim, layer);
        int[] hidden = {6};
        AffineCoupling t = new AffineCoupling(be, dim, m[0], m[1], hidden, Activation.TANH, scale, 2f, new SplittableRandom(dim * 10 + layer));
        roundTripSmall(TransformCheck.of(be, t, CouplingOracles.affine(m[0], m[1], hidden, Activation.TANH, scale, 2.0))
                .seed(100 + dim + layer).run());
    }

    @ParameterizedTest(name = "additive D={0} layer {1}")
    @CsvSource({"5, 0", "5, 1", "2, 0"})
    void additiveCoupling(int dim, int layer) {
        int[][] m = Masks.alternating(dim, layer);
        int[] hidden = {7, 5};
        AdditiveCoupling t = new AdditiveCoupling(be, dim, m[0], m[1], hidden, Activation.SILU, new SplittableRandom(3 + layer));
        roundTripSmall(TransformCheck.of(be, t, CouplingOracles.additive(m[0], m[1], hidden, Activation.SILU)).seed(7 + dim).run());
    }

    @Test void diagScale() {
        roundTripSmall(TransformCheck.of(be, new DiagScale(be, 4), ElementwiseOracles.scaleShift("s", null, 4, 1)).seed(11).run());
    }

    @Test void actNormVectors() {
        roundTripSmall(TransformCheck.of(be, new ActNorm(be, 4), ElementwiseOracles.scaleShift("logs", "bias", 4, 1)).seed(12).run());
    }

    @Test void actNormImages() {
        roundTripSmall(TransformCheck.of(be, new ActNorm(be, 2, 3, 3), ElementwiseOracles.scaleShift("logs", "bias", 2, 9)).seed(13).batch(3).run());
    }

    @Test void actNormAfterDataInit() {
        ActNorm a = new ActNorm(be, 3);
        float[] data = new float[40 * 3];
        SplittableRandom r = new SplittableRandom(5);
        for (int i = 0; i < data.length; i++) data[i] = (float) (CpuBackend.gaussian(r) * (1 + i % 3) + 2 * (i % 3) - 1);
        a.initialize(be.fromHost(data, 40, 3));
        roundTripSmall(TransformCheck.of(be, a, ElementwiseOracles.scaleShift("logs", "bias", 3, 1)).jitter(0).seed(14).run());
    }

    @Test void standardize() {
        Standardize s = new Standardize(be, new float[] {0.5f, -2f, 3f}, new float[] {0.3f, 2.5f, 1.2f});
        roundTripSmall(TransformCheck.of(be, s, ElementwiseOracles.standardize()).inputStd(2).seed(15).run());
    }

    @Test void permutationReverse() {
        Permutation p = Permutation.reverse(be, 5);
        roundTripSmall(TransformCheck.of(be, p, ElementwiseOracles.permutation(p.permutation())).seed(16).run());
    }

    @Test void permutationRandom() {
        Permutation p = Permutation.random(be, 7, 42);
        roundTripSmall(TransformCheck.of(be, p, ElementwiseOracles.permutation(p.permutation())).seed(17).run());
    }

    @ParameterizedTest(name = "lu_linear C={0}")
    @CsvSource({"1", "2", "5"})
    void invertibleLinear(int c) {
        InvertibleLinear l = new InvertibleLinear(be, c, 9 + c);
        roundTripSmall(TransformCheck.of(be, l, LinearOracles.lu(l.permutation())).jitter(0.2).seed(18 + c).run());
    }

    @ParameterizedTest(name = "linear C={0}")
    @CsvSource({"1", "2", "5"})
    void plainLinear(int c) {
        PlainLinear l = new PlainLinear(be, c, 9 + c);
        roundTripSmall(TransformCheck.of(be, l, LinearOracles.plain(c)).jitter(0.2).seed(28 + c).run());
    }

    /** The checker itself must catch a wrong layer: an oracle that forgets the log-det, or uses another permutation. */
    @Test void checkerRejectsWrongReferences() {
        TransformOracle good = ElementwiseOracles.scaleShift("s", null, 4, 1);
        TransformOracle noLd = new TransformOracle() {
            @Override public Out forward(double[] x, Map<String, double[]> p) { return new Out(good.forward(x, p).v(), 0); }
            @Override public Out inverse(double[] y, Map<String, double[]> p) { return new Out(good.inverse(y, p).v(), 0); }
        };
        assertThrows(AssertionFailedError.class, () -> TransformCheck.of(be, new DiagScale(be, 4), noLd).run());
        Permutation p = Permutation.reverse(be, 4);
        assertThrows(AssertionFailedError.class,
                () -> TransformCheck.of(be, p, ElementwiseOracles.permutation(new int[] {0, 1, 3, 2})).run());
    }
}
