package dev.fluvia.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fluvia.backend.Activation;
import dev.fluvia.backend.CouplingScale;
import dev.fluvia.backend.Scope;
import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.backend.cpu.CpuGemm;
import dev.fluvia.distributions.StandardNormal;
import dev.fluvia.flow.Flow;
import dev.fluvia.flow.MemoryMode;
import dev.fluvia.param.Param;
import dev.fluvia.tensor.Tensor;
import dev.fluvia.train.Nll;
import dev.fluvia.transforms.AffineCoupling;
import dev.fluvia.transforms.Maf;
import dev.fluvia.transforms.Masks;
import dev.fluvia.transforms.RqSplineAutoregressive;
import dev.fluvia.transforms.RqSplineCoupling;
import dev.fluvia.transforms.Transform;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@code Backend.allocUninitialized} (used by {@link Mlp#forward} for the outputs linearForward overwrites): with every such
 * allocation poisoned with NaN, RealNVP, MAF and spline flows give the same bits as with zero-filled memory — forward,
 * log-prob, inverse, and the NLL gradients in both memory modes — so nothing reads an element before it is written.
 */
class UninitializedAllocTest {

    static final int D = 4;

    static Flow flow(CpuBackend be, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        int[] order = {0, 1, 2, 3};
        List<Transform> ts = new ArrayList<>();
        for (int l = 0; l < 2; l++) { // RealNVP: affine couplings, tanh (no stored pre-activation) and ELU (stored)
            int[][] m = Masks.alternating(D, l);
            ts.add(new AffineCoupling(be, D, m[0], m[1], new int[] {16, 16}, l == 0 ? Activation.TANH : Activation.ELU,
                    CouplingScale.SOFTCLAMP, 2f, rng));
        }
        ts.add(new Maf(be, order, new int[] {16, 16}, Activation.ELU, rng)); // MADE with the prefix-sparse hidden layer
        int[][] m = Masks.alternating(D, 0);
        ts.add(new RqSplineCoupling(be, D, m[0], m[1], new int[] {12, 12}, Activation.RELU, 5, 3.0, rng));
        ts.add(new RqSplineAutoregressive(be, order, new int[] {12, 12}, Activation.SILU, 5, 3.0, rng));
        Flow f = new Flow(be, new StandardNormal(be, D), ts);
        for (Param p : f.params()) { // off the identity initialisation, so every layer changes its input
            float[] v = be.toHost(p.value());
            for (int i = 0; i < v.length; i++) v[i] += (float) (0.2 * (rng.nextDouble() - 0.5));
            be.upload(v, p.value());
        }
        return f;
    }

    /** Every output of forward, log-prob, inverse and both backward modes, over several scopes (so pooled memory is reused). */
    static List<float[]> run(boolean poison) {
        CpuBackend be = new CpuBackend(2, true, CpuGemm.JAVA);
        be.poisonUninitialized(poison);
        Flow f = flow(be, 5);
        int n = 150; // three 64-row chunks
        SplittableRandom r = new SplittableRandom(9);
        float[] x = new float[n * D];
        for (int i = 0; i < x.length; i++) x[i] = (float) CpuBackend.gaussian(r);
        List<float[]> outs = new ArrayList<>();
        Tensor xt = be.fromHost(x, n, D);
        for (int round = 0; round < 3; round++) {
            try (Scope s = be.scope()) {
                Flow.Result fw = f.forward(xt);
                outs.add(be.toHost(fw.out())); outs.add(be.toHost(fw.logdet()));
                outs.add(be.toHost(f.logProb(xt)));
                Flow.Result inv = f.inverse(fw.out());
                outs.add(be.toHost(inv.out())); outs.add(be.toHost(inv.logdet()));
                for (MemoryMode mode : new MemoryMode[] {MemoryMode.STORE, MemoryMode.RECOMPUTE}) {
                    f.zeroGrad();
                    double loss = Nll.INSTANCE.forwardBackward(f, xt, mode);
                    outs.add(new float[] {(float) loss});
                    for (Param p : f.params()) outs.add(be.toHost(p.grad()));
                }
            }
        }
        outs.add(f.logProb(java.util.Arrays.copyOf(x, 7 * D), 7)); // single rows outside any scope
        be.close();
        return outs;
    }

    @Test void poisonedUninitializedMemoryGivesTheBitsOfZeroFilled() {
        List<float[]> zero = run(false), nan = run(true);
        assertEquals(zero.size(), nan.size());
        for (int i = 0; i < zero.size(); i++) {
            for (float v : zero.get(i)) assertTrue(Float.isFinite(v), "output " + i + " of the zero-filled run is not finite");
            float[] a = zero.get(i), b = nan.get(i);
            assertEquals(a.length, b.length, "output " + i + " length");
            for (int j = 0; j < a.length; j++)
                assertEquals(Float.floatToRawIntBits(a[j]), Float.floatToRawIntBits(b[j]), "output " + i + " element " + j + ": " + a[j] + " vs " + b[j]);
        }
    }

    @Test void poisonFillsUninitializedButNotZeroedAllocations() {
        CpuBackend be = new CpuBackend(1);
        be.poisonUninitialized(true);
        try (Scope s = be.scope()) {
            for (float v : be.toHost(be.allocUninitialized(3, 5))) assertTrue(Float.isNaN(v));
            for (float v : be.toHost(be.alloc(3, 5))) assertEquals(0f, v);
            Tensor t = be.allocUninitialized(2, 2);
            be.release(t);
            for (float v : be.toHost(be.alloc(2, 2))) assertEquals(0f, v); // a poisoned pooled segment comes back zeroed
        }
        for (float v : be.toHost(be.allocUninitialized(7))) assertTrue(Float.isNaN(v)); // outside a scope too
        be.close();
    }
}
