package dev.fluvia.transforms;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.backend.residual.CpuResidual;
import dev.fluvia.oracle.PlanarRadialOracles;
import dev.fluvia.oracle.TransformCheck;
import dev.fluvia.oracle.TransformCheck.Report;
import dev.fluvia.param.ParamSource;
import dev.fluvia.param.Stash;
import dev.fluvia.tensor.Tensor;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The planar flow: float64 oracle, log-det vs brute-force Jacobian, round trip, gradients, Registry, checkpoint, training. */
class PlanarTest {
    private final CpuBackend be = new CpuBackend(2);
    @TempDir Path dir;

    @ParameterizedTest(name = "planar D={0} seed {1}")
    @CsvSource({"1, 1", "2, 2", "2, 3", "5, 4", "8, 5"})
    void againstOracle(int dim, long seed) {
        Planar t = new Planar(be, dim, new SplittableRandom(seed));
        Report r = TransformCheck.of(be, t, PlanarRadialOracles.planar()).seed(40 + seed).jitter(0.5).inputStd(1.5).run();
        assertTrue(r.roundTripMaxAbs() < 1e-4, "round trip " + r.roundTripMaxAbs());
    }

    /** wᵀu far negative: wᵀû = m(wᵀu) → −1, the generative map is nearly flat across tanh's middle; the root find still converges. */
    @Test void stiffNearTheInvertibilityBoundary() {
        Planar t = new Planar(be, 2, new SplittableRandom(9));
        be.upload(new float[] {0.6f, -0.8f}, t.params().get(1).value());   // w, unit
        be.upload(new float[] {-3.6f, 4.8f}, t.params().get(0).value());   // u = −6·w: wᵀu = −6, wᵀû ≈ −0.9975
        be.upload(new float[] {0.3f}, t.params().get(2).value());
        Report r = TransformCheck.of(be, t, PlanarRadialOracles.planar()).jitter(0).seed(50).inputStd(0.5)
                .gradTolerance(1e-4, 1e-3).run();
        assertTrue(r.roundTripMaxAbs() < 1e-3, "round trip " + r.roundTripMaxAbs());
    }

    @Test void rootFindMeetsTheToleranceOnHardCases() {
        for (double c : new double[] {-0.999999, -0.9, 0, 0.5, 30})
            for (double b : new double[] {-3, 0, 2.5})
                for (double s : new double[] {-50, -1, -1e-3, 0, 0.2, 7, 1e4}) {
                    double a = CpuResidual.planarSolve(s, c, b);
                    assertEquals(s, a + c * Math.tanh(a + b), 1e-12 * (1 + Math.abs(s)), "c " + c + " b " + b + " s " + s);
                }
    }

    /** A stored w = 0 is refused when the layer is built; a w set to 0 afterwards gives non-finite outputs, never finite wrong ones. */
    @Test void zeroWIsATypedError() {
        ParamSource zeroW = ParamSource.stored(be, (name, trainable, shape) -> name.equals("u") ? new float[] {0.5f, -0.2f, 0.1f} : new float[shape[0]], true);
        assertThrows(InvalidParameterException.class, () -> new Planar(zeroW, be, 3, null));
        Planar t = new Planar(be, 3, new SplittableRandom(1));
        be.upload(new float[3], t.params().get(1).value());
        Tensor ld = be.alloc(2);
        float[] z = be.toHost(t.forward(be.fromHost(new float[] {0.3f, -1f, 2f, 0.1f, 0.2f, -0.4f}, 2, 3), ld, Stash.none()));
        for (float v : z) assertFalse(Float.isFinite(v), "z " + java.util.Arrays.toString(z));
        for (float v : be.toHost(ld)) assertFalse(Float.isFinite(v));
    }

    @Test void registryRoundTrip() throws Exception {
        Planar t = new Planar(be, 4, new SplittableRandom(2));
        ZooFlowChecks.jitter(be, t.params(), 0.4, 3);
        ZooFlowChecks.registryRoundTrip(be, t);
    }

    @Test void checkpointSaveLoadGivesTheSameLogProb() { ZooFlowChecks.checkpointRoundTrip("planar", dir); }

    @Test void flowGradientsMatchCentralDifferences() { ZooFlowChecks.flowGradients("planar"); }

    @Test void trainingOn8GaussiansLowersTheNll() {
        double[] r = ZooFlowChecks.train("planar", "8gaussians", 16, 400, 1e-2);
        assertTrue(r[1] < r[0] - 0.2, "held-out NLL " + r[0] + " -> " + r[1]);
    }
}
