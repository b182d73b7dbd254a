package dev.fluvia.transforms;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.backend.residual.CpuResidual;
import dev.fluvia.oracle.PlanarRadialOracles;
import dev.fluvia.oracle.TransformCheck;
import dev.fluvia.oracle.TransformCheck.Report;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The radial flow: float64 oracle, log-det vs brute-force Jacobian, round trip, gradients, Registry, checkpoint, training. */
class RadialTest {
    private final CpuBackend be = new CpuBackend(2);
    @TempDir Path dir;

    @ParameterizedTest(name = "radial D={0} seed {1}")
    @CsvSource({"1, 1", "2, 2", "2, 3", "5, 4", "8, 5"})
    void againstOracle(int dim, long seed) {
        Radial t = new Radial(be, dim, new SplittableRandom(seed));
        Report r = TransformCheck.of(be, t, PlanarRadialOracles.radial()).seed(60 + seed).jitter(0.8).inputStd(1.5).run();
        assertTrue(r.roundTripMaxAbs() < 1e-4, "round trip " + r.roundTripMaxAbs());
    }

    /** β close to −α (a strong contraction towards z0) and a large positive β (expansion). */
    @ParameterizedTest(name = "radial beta_raw={0}")
    @CsvSource({"-6", "3"})
    void extremeBeta(float betaRaw) {
        Radial t = new Radial(be, 3, new SplittableRandom(7));
        be.upload(new float[] {betaRaw}, t.params().get(2).value());
        Report r = TransformCheck.of(be, t, PlanarRadialOracles.radial()).jitter(0).seed(70).gradTolerance(1e-4, 1e-3).run();
        assertTrue(r.roundTripMaxAbs() < 1e-3, "round trip " + r.roundTripMaxAbs());
    }

    @Test void radiusSolveIsExact() {
        for (double alpha : new double[] {1e-4, 0.3, 5})
            for (double bf : new double[] {-0.999999, -0.5, 0, 2, 100})
                for (double rho : new double[] {0, 1e-8, 0.1, 1, 30, 1e5}) {
                    double beta = bf * alpha, r = CpuResidual.radialSolve(rho, alpha, beta);
                    assertTrue(r >= 0);
                    assertEquals(rho, r * (1 + beta / (alpha + r)), 1e-12 * (1 + rho), "alpha " + alpha + " beta " + beta + " rho " + rho);
                }
    }

    @Test void registryRoundTrip() throws Exception {
        Radial t = new Radial(be, 4, new SplittableRandom(2));
        ZooFlowChecks.jitter(be, t.params(), 0.4, 3);
        ZooFlowChecks.registryRoundTrip(be, t);
    }

    @Test void checkpointSaveLoadGivesTheSameLogProb() { ZooFlowChecks.checkpointRoundTrip("radial", dir); }

    @Test void flowGradientsMatchCentralDifferences() { ZooFlowChecks.flowGradients("radial"); }

    @Test void trainingOnMoonsLowersTheNll() {
        double[] r = ZooFlowChecks.train("radial", "moons", 16, 400, 1e-2);
        assertTrue(r[1] < r[0] - 0.1, "held-out NLL " + r[0] + " -> " + r[1]);
    }
}
