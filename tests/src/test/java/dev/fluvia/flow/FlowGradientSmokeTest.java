package dev.fluvia.flow;

import static dev.fluvia.oracle.FlowGradientCheck.nll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fluvia.backend.Activation;
import dev.fluvia.backend.CouplingScale;
import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.distributions.StandardNormal;
import dev.fluvia.param.Param;
import dev.fluvia.tensor.Tensor;
import dev.fluvia.transforms.AffineCoupling;
import dev.fluvia.transforms.Masks;
import dev.fluvia.transforms.Transform;
import dev.fluvia.oracle.FlowGradientCheck;
import dev.fluvia.train.Nll;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Whole-flow checks: the NLL gradient against central differences, and STORE == RECOMPUTE. */
class FlowGradientSmokeTest {

    static Flow smallFlow(CpuBackend be, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        List<Transform> ts = new ArrayList<>();
        for (int l = 0; l < 3; l++) {
            int[][] m = Masks.alternating(3, l);
            ts.add(new AffineCoupling(be, 3, m[0], m[1], new int[] {8, 8}, Activation.TANH,
                    l == 2 ? CouplingScale.SIGMOID : CouplingScale.SOFTCLAMP, 2f, rng));
        }
        Flow f = new Flow(be, new StandardNormal(be, 3), ts);
        // move off the identity initialisation so every path carries gradient
        for (Param p : f.params()) {
            float[] v = be.toHost(p.value());
            for (int i = 0; i < v.length; i++) v[i] += (float) (0.3 * (rng.nextDouble() - 0.5));
            be.upload(v, p.value());
        }
        return f;
    }

    @Test void nllGradientMatchesCentralDifferences() {
        CpuBackend be = new CpuBackend(2);
        Flow f = smallFlow(be, 7);
        int n = 5;
        float[] x = new float[n * 3];
        SplittableRandom r = new SplittableRandom(3);
        for (int i = 0; i < x.length; i++) x[i] = (float) CpuBackend.gaussian(r);
        f.zeroGrad();
        Tensor xt = be.fromHost(x, n, 3);
        double loss = Nll.INSTANCE.forwardBackward(f, xt, MemoryMode.STORE);
        assertEquals(nll(f, x, n), loss, 1e-5);
        int checked = 0;
        for (Param p : f.params()) {
            checked += FlowGradientCheck.centralDifferences(be, f, p, be.toHost(p.grad()), x, n, 5);
        }
        assertTrue(checked > 20);
    }

    @Test void recomputeModeGivesTheSameGradients() {
        CpuBackend be = new CpuBackend(2);
        Flow f = smallFlow(be, 11);
        int n = 37;
        float[] x = new float[n * 3];
        SplittableRandom r = new SplittableRandom(5);
        for (int i = 0; i < x.length; i++) x[i] = (float) CpuBackend.gaussian(r);
        Tensor xt = be.fromHost(x, n, 3);
        f.zeroGrad();
        double a = Nll.INSTANCE.forwardBackward(f, xt, MemoryMode.STORE);
        List<float[]> ga = new ArrayList<>();
        for (Param p : f.params()) ga.add(be.toHost(p.grad()));
        f.zeroGrad();
        double b = Nll.INSTANCE.forwardBackward(f, xt, MemoryMode.RECOMPUTE);
        assertEquals(a, b, 1e-6);
        List<Param> ps = f.params();
        for (int k = 0; k < ps.size(); k++) {
            float[] gb = be.toHost(ps.get(k).grad());
            for (int i = 0; i < gb.length; i++) assertEquals(ga.get(k)[i], gb[i], 1e-5 + 1e-4 * Math.abs(ga.get(k)[i]), ps.get(k).name());
        }
    }
}
