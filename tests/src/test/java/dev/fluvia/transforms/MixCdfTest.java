package dev.fluvia.transforms;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.cli.CliAccess;
import dev.fluvia.distributions.UniformBox;
import dev.fluvia.flow.Flow;
import dev.fluvia.flow.PresetOptions;
import dev.fluvia.flow.Presets;
import dev.fluvia.io.Checkpoint;
import dev.fluvia.oracle.GenerativeCheck;
import dev.fluvia.oracle.MixCdfOracle;
import dev.fluvia.oracle.MixCdfOracleAccess;
import dev.fluvia.oracle.TransformCheck;
import dev.fluvia.param.Stash;
import dev.fluvia.tensor.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The mixture-of-Gaussians CDF flow: against the float64 oracle (forward, log-det vs brute-force Jacobian, inverse, round
 * trip, gradients), the generative backward, stable far tails, the log Φ it is built on, domain errors, Registry,
 * checkpoint, and {@code fluvia train --flow mixcdf --components K} on 1-D data with its histogram plot.
 */
class MixCdfTest {
    private final CpuBackend be = new CpuBackend(1);
    @TempDir Path dir;

    @ParameterizedTest(name = "mixcdf D={0} K={1} logit={2}")
    @CsvSource({"1, 1, false", "1, 3, false", "2, 2, false", "1, 1, true", "1, 3, true", "2, 3, true"})
    void againstOracle(int dim, int k, boolean logit) {
        MixCdf t = new MixCdf(be, dim, k, logit);
        TransformCheck.Report r = TransformCheck.of(be, t, new MixCdfOracle(k, logit)).seed(dim * 10L + k).jitter(0.4).inputStd(1.2).run();
        assertTrue(r.roundTripMaxAbs() < 1e-4, "round trip " + r.roundTripMaxAbs());
        GenerativeCheck g = GenerativeCheck.of(be, new MixCdf(be, dim, k, logit), new MixCdfOracle(k, logit)).seed(dim + k).jitter(0.4);
        if (!logit) g.unitInput();
        g.gradTolerance(5e-5, 5e-4).run();
    }

    @Test void logCdfIsAccurateIntoTheTails() {
        // Φ(−t) asymptotics: log Φ(−t) = −t²/2 − log t − ½ log 2π + log(1 − 1/t² + 3/t⁴ − 15/t⁶ + …)
        for (double t : new double[] {40, 100, 1e3}) {
            double ser = 1 - 1 / (t * t) + 3 / Math.pow(t, 4) - 15 / Math.pow(t, 6) + 105 / Math.pow(t, 8);
            double ref = -0.5 * t * t - Math.log(t) - 0.5 * Math.log(2 * Math.PI) + Math.log(ser);
            assertEquals(ref, NormalCdf.logCdf(-t), 1e-12 * Math.abs(ref), "log Φ(−" + t + ")");
        }
        assertEquals(Math.log(0.5), NormalCdf.logCdf(0), 1e-15);
        for (double t : new double[] {-3, -1.7, -0.2, 0.4, 1.9, 2.1, 3.5})   // against the oracle's Simpson integral
            assertEquals(Math.log(0.5 + MixCdfOracleAccess.half(t)), NormalCdf.logCdf(t), 1e-12, "log Φ(" + t + ")");
    }

    /**
     * The backend's float64 log Φ (CpuPointwise / kernels/pointwise.cu: one erf series or continued fraction gives both
     * log Φ(t) and log Φ(−t)) against the host reference NormalCdf, far into both tails: with K = 1, μ = 0, σ = 1 and the
     * fused logit, y = log Φ(x) − log Φ(−x) and ld = log φ(x) − log Φ(x) − log Φ(−x).
     */
    @Test void backendLogPhiMatchesTheHostReferenceIntoTheTails() {
        MixCdf t = new MixCdf(be, 1, 1, true);
        be.upload(new float[1], t.params().get(1).value());
        be.upload(new float[1], t.params().get(2).value());
        float[] xs = {-38f, -20f, -2.83f, -1.5f, 0f, 0.7f, 2.9f, 12f, 38f};
        Tensor ld = be.alloc(xs.length);
        float[] y = be.toHost(t.forward(be.fromHost(xs, xs.length, 1), ld, Stash.none())), l = be.toHost(ld);
        for (int i = 0; i < xs.length; i++) {
            double x = xs[i], lc = NormalCdf.logCdf(x), ls = NormalCdf.logCdf(-x);
            double ry = lc - ls, rl = NormalCdf.logPdf(x) - lc - ls;
            assertEquals(ry, y[i], 1e-7 + 2e-7 * Math.abs(ry), "y at " + x);
            assertEquals(rl, l[i], 1e-7 + 2e-7 * Math.abs(rl), "ld at " + x);
        }
    }

    @Test void farTailsStayFiniteWithTheFusedLogit() {
        MixCdf t = new MixCdf(be, 1, 3, true);
        Tensor x = be.fromHost(new float[] {-1e4f, -60f, 60f, 1e4f}, 4, 1), ld = be.alloc(4);
        float[] y = be.toHost(t.forward(x, ld, Stash.none()));
        for (int i = 0; i < 4; i++) {
            assertTrue(Float.isFinite(y[i]) && Float.isFinite(be.toHost(ld)[i]), "x " + be.toHost(x)[i] + ": y " + y[i] + ", ld " + be.toHost(ld)[i]);
        }
        assertTrue(y[0] < y[1] && y[1] < y[2] && y[2] < y[3], "monotone in the tails");
        float[] back = be.toHost(t.inverse(be.fromHost(y, 4, 1), be.alloc(4)));
        assertEquals(-60f, back[1], 1e-3f);
        assertEquals(60f, back[2], 1e-3f);
        for (float v : be.toHost(t.backward(x, be.fromHost(new float[] {1, 1, 1, 1}, 4, 1), be.fromHost(new float[] {1, 1, 1, 1}, 4), Stash.none())))
            assertTrue(Float.isFinite(v));
    }

    @Test void uniformVersionRefusesValuesOutsideTheUnitInterval() {
        MixCdf t = new MixCdf(be, 1, 2, false);
        assertThrows(DomainException.class, () -> t.inverse(be.fromHost(new float[] {1.2f}, 1, 1), be.alloc(1)));
        assertThrows(DomainException.class, () -> t.inverse(be.fromHost(new float[] {0f}, 1, 1), be.alloc(1)));
    }

    @Test void registryAndCheckpointRoundTrips() throws Exception {
        MixCdf t = new MixCdf(be, 2, 3, true);
        ZooFlowChecks.jitter(be, t.params(), 0.4, 3);
        ZooFlowChecks.registryRoundTrip(be, t);
        for (String base : new String[] {"normal", "uniform"}) {
            Flow f = Presets.build("mixcdf", be, 1, PresetOptions.defaults().withHidden(3).withBase(base), new float[] {0.5f}, new float[] {2f});
            if (base.equals("uniform")) assertTrue(f.base() instanceof UniformBox && !((MixCdf) f.transforms().get(1)).logit());
            ZooFlowChecks.jitter(be, f.params(), 0.3, 4);
            Path p = dir.resolve(base + ".safetensors");
            Checkpoint.save(p, f, new ObjectMapper().createObjectNode().put("step", 1), Map.of());
            Flow g = Checkpoint.load(p, new CpuBackend(1)).flow();
            float[] x = {-3f, -0.5f, 0.2f, 1f, 4f, 7f};
            float[] a = f.logProb(x, 6), b = g.logProb(x, 6);
            for (int i = 0; i < 6; i++) {
                assertTrue(Float.isFinite(a[i]));
                assertEquals(Float.floatToRawIntBits(a[i]), Float.floatToRawIntBits(b[i]));
            }
            assertArrayEquals(f.sampleHost(8, 1f, 2), g.sampleHost(8, 1f, 2));
        }
    }

    /** The density integrates to 1 over ℝ (trapezoid on a wide grid), for both bases. */
    @Test void densityIsNormalised() {
        for (String base : new String[] {"normal", "uniform"}) {
            Flow f = Presets.build("mixcdf", be, 1, PresetOptions.defaults().withHidden(3).withBase(base), null, null);
            ZooFlowChecks.jitter(be, f.params(), 0.5, 6);
            int m = 20001;
            float[] x = new float[m];
            for (int i = 0; i < m; i++) x[i] = (float) (-20 + 40.0 * i / (m - 1));
            float[] lp = f.logProb(x, m);
            double s = 0;
            for (int i = 0; i < m; i++) s += (i == 0 || i == m - 1 ? 0.5 : 1) * Math.exp(lp[i]);
            assertEquals(1, s * 40.0 / (m - 1), 1e-4, base);
        }
    }

    @Test void trainOnOneColumnPlotsTheDensityOverTheHistogram() throws Exception {
        SplittableRandom r = new SplittableRandom(8);
        StringBuilder csv = new StringBuilder("x\n");
        for (int i = 0; i < 3000; i++) csv.append(i % 3 == 0 ? -2 + 0.3 * CpuBackend.gaussian(r) : 1.5 + 0.6 * CpuBackend.gaussian(r)).append('\n');
        Path data = dir.resolve("my1d.csv"), out = dir.resolve("run");
        Files.writeString(data, csv);
        int code = CliAccess.run("train", "--data", data.toString(), "--flow", "mixcdf", "--components", "3", "--steps", "300",
                "--lr", "5e-2", "--batch", "256", "--threads", "1", "--out", out.toString(), "--quiet");
        assertEquals(0, code);
        assertTrue(Files.size(out.resolve("density.png")) > 1000);
        JsonNode m = new ObjectMapper().readTree(out.resolve("metrics.json").toFile());
        // the true mixture's differential entropy is ≈ 1.31 nats (its modes barely overlap); a 3-component fit gets close
        double test = m.get("test_nll").asDouble();
        System.out.printf("[MixCdfTest] train --flow mixcdf --components 3 on a 2-mode 1-D mixture: test NLL %.4f%n", test);
        assertTrue(test < 1.40, "test NLL " + test);
        assertEquals(2, CliAccess.run("train", "--data", data.toString(), "--flow", "realnvp", "--components", "3", "--out", dir.resolve("x").toString(), "--quiet"));
    }
}
