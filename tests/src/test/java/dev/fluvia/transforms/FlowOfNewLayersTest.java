package dev.fluvia.transforms;

import static dev.fluvia.oracle.FlowGradientCheck.nll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fluvia.backend.Activation;
import dev.fluvia.backend.CouplingScale;
import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.distributions.StandardNormal;
import dev.fluvia.flow.Flow;
import dev.fluvia.flow.MemoryMode;
import dev.fluvia.param.Param;
import dev.fluvia.oracle.FlowGradientCheck;
import dev.fluvia.tensor.Tensor;
import dev.fluvia.train.Nll;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The new layers inside a whole flow: NLL gradient against central differences, and STORE == RECOMPUTE (which runs every inverse). */
class FlowOfNewLayersTest {
    private static final int D = 4;

    private static Flow flow(CpuBackend be, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        int[][] m0 = Masks.alternating(D, 0), m1 = Masks.alternating(D, 1);
        List<Transform> ts = List.of(
                new Standardize(be, new float[] {0.5f, -1f, 0f, 2f}, new float[] {1.5f, 0.7f, 1f, 2f}),
                new ActNorm(be, D),
                new AdditiveCoupling(be, D, m0[0], m0[1], new int[] {8}, Activation.TANH, rng),
                new InvertibleLinear(be, D, seed),
                new AffineCoupling(be, D, m1[0], m1[1], new int[] {8}, Activation.TANH, CouplingScale.SOFTCLAMP, 2f, rng),
                Permutation.random(be, D, seed),
                new PlainLinear(be, D, seed + 1),
                new DiagScale(be, D));
        Flow f = new Flow(be, new StandardNormal(be, D), ts);
        for (Param p : f.params()) {
            if (!p.trainable()) continue;
            float[] v = be.toHost(p.value());
            for (int i = 0; i < v.length; i++) v[i] += (float) (0.2 * (rng.nextDouble() - 0.5));
            be.upload(v, p.value());
        }
        return f;
    }

    private static float[] data(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n * D];
        for (int i = 0; i < x.length; i++) x[i] = (float) (CpuBackend.gaussian(r) * (1 + i % D) + i % D);
        return x;
    }

    @Test void nllGradientMatchesCentralDifferences() {
        CpuBackend be = new CpuBackend(2);
        Flow f = flow(be, 3);
        int n = 6;
        float[] x = data(n, 4);
        f.initialize(be.fromHost(x, n, D));
        f.zeroGrad();
        double loss = Nll.INSTANCE.forwardBackward(f, be.fromHost(x, n, D), MemoryMode.STORE);
        assertEquals(nll(f, x, n), loss, 1e-5);
        int checked = 0;
        for (Param p : f.params()) {
            if (!p.trainable()) continue;
            checked += FlowGradientCheck.centralDifferences(be, f, p, be.toHost(p.grad()), x, n, 4);
        }
        assertTrue(checked > 30, "checked " + checked);
    }

    @Test void recomputeModeGivesTheSameGradients() {
        CpuBackend be = new CpuBackend(2);
        Flow f = flow(be, 5);
        int n = 33;
        Tensor x = be.fromHost(data(n, 6), n, D);
        f.initialize(x);
        f.zeroGrad();
        double a = Nll.INSTANCE.forwardBackward(f, x, MemoryMode.STORE);
        List<float[]> ga = new ArrayList<>();
        for (Param p : f.params()) ga.add(p.grad() == null ? null : be.toHost(p.grad()));
        f.zeroGrad();
        double b = Nll.INSTANCE.forwardBackward(f, x, MemoryMode.RECOMPUTE);
        assertEquals(a, b, 1e-6);
        List<Param> ps = f.params();
        for (int k = 0; k < ps.size(); k++) {
            if (ga.get(k) == null) continue;
            float[] gb = be.toHost(ps.get(k).grad());
            for (int i = 0; i < gb.length; i++)
                assertEquals(ga.get(k)[i], gb[i], 1e-4 + 1e-3 * Math.abs(ga.get(k)[i]), ps.get(k).name() + "[" + i + "]");
        }
    }
}
