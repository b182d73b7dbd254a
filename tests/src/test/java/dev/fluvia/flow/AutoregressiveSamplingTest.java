package dev.fluvia.flow;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fluvia.backend.Scope;
import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.param.Param;
import dev.fluvia.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * MAF and IAF on the CPU backend at every thread count and batch-size class: sampling (MAF's sequential {@code mafInverse},
 * IAF's one-pass inverse) and the density direction (IAF's sequential pass) must run on the pool's worker threads
 * (regression: {@code mafInverse} once handed confined-arena scratch to the GEMM's workers → WrongThreadException), give the
 * same bits at every thread count, and invert each other.
 */
class AutoregressiveSamplingTest {
    static final int[] THREADS = {1, 2, 3, 4, 8};
    /** 1, a few, around one 64-row chunk (the parallel threshold of the row loops), several chunks, large. */
    static final int[] BATCHES = {1, 3, 63, 64, 65, 129, 5000};

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (String flow : List.of("maf", "iaf"))
            for (int dim : new int[] {2, 5})
                for (int n : BATCHES) out.add(Arguments.of(flow, dim, n));
        return out.stream();
    }

    static Flow build(String name, CpuBackend be, int dim) {
        Flow f = Presets.build(name, be, dim, PresetOptions.defaults().withLayers(3).withSeed(11), null, null);
        SplittableRandom rng = new SplittableRandom(5);
        for (Param p : f.params()) { // move off the (near-)identity initialisation
            float[] v = be.toHost(p.value());
            for (int i = 0; i < v.length; i++) v[i] += (float) (0.2 * (rng.nextDouble() - 0.5));
            be.upload(v, p.value());
        }
        return f;
    }

    @ParameterizedTest(name = "{0} dim {1} n {2}")
    @MethodSource("cases")
    void sampleAndLogProbAtEveryThreadCount(String name, int dim, int n) {
        float[] refSamples = null, refLogp = null;
        for (int threads : THREADS) {
            try (CpuBackend be = new CpuBackend(threads)) {
                Flow f = build(name, be, dim);
                float[] x = f.sampleHost(n, 1f, 42);
                assertEquals((long) n * dim, x.length);
                for (float v : x) assertTrue(Float.isFinite(v), name + " sample not finite at " + threads + " threads");
                float[] lp = f.logProb(x, n);
                for (float v : lp) assertTrue(Float.isFinite(v), name + " logProb not finite at " + threads + " threads");
                if (refSamples == null) { refSamples = x; refLogp = lp; }
                else {
                    assertArrayEquals(refSamples, x, name + " samples differ between 1 and " + threads + " threads");
                    assertArrayEquals(refLogp, lp, name + " logProb differs between 1 and " + threads + " threads");
                }
                roundTrip(be, f, dim, n, threads);
            }
        }
    }

    /** z → inverse → x → forward gives z back, and the two log-dets cancel. */
    static void roundTrip(CpuBackend be, Flow f, int dim, int n, int threads) {
        SplittableRandom r = new SplittableRandom(9);
        float[] z = new float[n * dim];
        for (int i = 0; i < z.length; i++) z[i] = (float) CpuBackend.gaussian(r);
        try (Scope s = be.scope()) {
            Flow.Result inv = f.inverse(be.fromHost(z, n, dim));
            Flow.Result fwd = f.forward(inv.out());
            float[] z2 = be.toHost(fwd.out()), ldi = be.toHost(inv.logdet()), ldf = be.toHost(fwd.logdet());
            for (int i = 0; i < z.length; i++)
                assertEquals(z[i], z2[i], 2e-4 * (1 + Math.abs(z[i])), "round trip at " + threads + " threads, element " + i);
            for (int i = 0; i < n; i++) assertEquals(0.0, ldi[i] + ldf[i], 2e-4 * (1 + Math.abs(ldi[i])), "log-dets, row " + i);
        }
    }
}
