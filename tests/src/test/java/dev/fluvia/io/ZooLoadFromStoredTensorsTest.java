package dev.fluvia.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.distributions.BetaDist;
import dev.fluvia.distributions.GaussianMixture;
import dev.fluvia.distributions.Logistic;
import dev.fluvia.distributions.UniformBox;
import dev.fluvia.flow.Flow;
import dev.fluvia.param.Param;
import dev.fluvia.param.ParamSource;
import dev.fluvia.transforms.LeakyRelu;
import dev.fluvia.transforms.LogitMap;
import dev.fluvia.transforms.MixCdf;
import dev.fluvia.transforms.ScalarAffine;
import dev.fluvia.transforms.Sigmoid;
import dev.fluvia.transforms.Sylvester;
import dev.fluvia.transforms.Tanh;
import dev.fluvia.transforms.ZooJitter;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11's layers and bases load through their codecs straight from the stored tensors (no initialisation runs, no
 * gradient buffers for a scoring load), and the loaded flow scores and samples exactly as the saved one.
 */
class ZooLoadFromStoredTensorsTest {
    static final CpuBackend be = new CpuBackend(2);

    @AfterAll static void close() { be.close(); }

    private static Flow jittered(Flow f, long seed) {
        ZooJitter.jitter(be, f.params(), 0.3, seed);
        return f;
    }

    private static Flow load(Path dir, String name, Flow f) {
        Path p = dir.resolve(name + ".safetensors");
        Checkpoint.save(p, f, null, null);
        long before = ParamSource.initialisations();
        Flow g = Checkpoint.load(p, be, false, Checkpoint.Use.SCORE).flow();
        assertEquals(before, ParamSource.initialisations(), name + ": loading initialised parameters");
        assertEquals(f.params().size(), g.params().size());
        for (int i = 0; i < f.params().size(); i++) {
            Param a = f.params().get(i), b = g.params().get(i);
            assertEquals(a.name(), b.name());
            assertArrayEquals(be.toHost(a.value()), be.toHost(b.value()), name + ": " + a.name());
            assertNull(b.grad(), name + ": scoring-only model has a gradient for " + b.name());
        }
        assertEquals(f.base().kind(), g.base().kind());
        return g;
    }

    private static float[] normalPoints(int n, int d, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n * d];
        for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextDouble() * 4 - 2);
        return x;
    }

    @Test void elementwiseMixCdfOnAGaussianMixture(@TempDir Path dir) {
        int d = 3;
        Flow f = jittered(new Flow(be, new GaussianMixture(be, 3, 5, d), List.of(new ScalarAffine(be, d), new LeakyRelu(be, d, 0.5),
                new Tanh(be, d), new MixCdf(be, d, 4, true), new Sigmoid(be, d), new LogitMap(be, d))), 1);
        Flow g = load(dir, "elementwise", f);
        float[] x = normalPoints(6, d, 2);
        assertArrayEquals(f.logProb(x, 6), g.logProb(x, 6));
    }

    @Test void mixCdfOnTheUnitBoxAndLogistic(@TempDir Path dir) {
        Flow f = jittered(new Flow(be, UniformBox.unit(be, 2), List.of(new MixCdf(be, 2, 3, false))), 3);
        Flow g = load(dir, "uniform", f);
        float[] x = normalPoints(5, 2, 4);
        assertArrayEquals(f.logProb(x, 5), g.logProb(x, 5));
        assertArrayEquals(f.sampleHost(4, 1f, 9), g.sampleHost(4, 1f, 9));

        Flow h = jittered(new Flow(be, new Logistic(be, 2), List.of(new ScalarAffine(be, 2), new LeakyRelu(be, 2, 0.7))), 5);
        Flow k = load(dir, "logistic", h);
        assertArrayEquals(h.logProb(x, 5), k.logProb(x, 5));
        assertArrayEquals(h.sampleHost(4, 0.9f, 3), k.sampleHost(4, 0.9f, 3));
    }

    @Test void sylvesterOnABetaBase(@TempDir Path dir) {
        // generative only: compared through samples (Sylvester has no density direction)
        Flow f = jittered(new Flow(be, new BetaDist(be, 3), List.of(new Sylvester(be, 3, 2, new SplittableRandom(6)),
                new Sylvester(be, 3, new SplittableRandom(7)))), 8);
        Flow g = load(dir, "sylvester", f);
        assertArrayEquals(f.sampleHost(5, 1f, 11), g.sampleHost(5, 1f, 11));
    }
}
