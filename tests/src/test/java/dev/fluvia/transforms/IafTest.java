package dev.fluvia.transforms;

import dev.fluvia.param.Stash;
import static dev.fluvia.transforms.MafTest.D;
import static dev.fluvia.transforms.MafTest.N;
import static dev.fluvia.transforms.MafTest.close;
import static dev.fluvia.transforms.MafTest.randn;
import static dev.fluvia.transforms.MafTest.row;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fluvia.backend.Activation;
import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.distributions.StandardNormal;
import dev.fluvia.flow.Flow;
import dev.fluvia.flow.MemoryMode;
import dev.fluvia.param.Param;
import dev.fluvia.oracle.MafOracle;
import dev.fluvia.oracle.FlowGradientCheck;
import dev.fluvia.tensor.Tensor;
import dev.fluvia.train.Nll;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** IAF = MAF mounted the other way: the sequential forward against the float64 oracle, and its implicit-differentiation backward against finite differences. */
class IafTest {

    static Iaf layer(CpuBackend be, long seed, int[] hidden, Activation act) {
        return new Iaf(be, MafTest.layer(be, seed, hidden, act));
    }

    @Test void forwardIsTheSequentialMapAndInverseTheOnePassMap() {
        CpuBackend be = new CpuBackend(2);
        Iaf iaf = layer(be, 41, new int[] {9, 7}, Activation.TANH);
        MafOracle o = MafOracle.of(be, iaf.maf());
        float[] x = randn(N * D, 42);
        Tensor ld = be.alloc(N);
        Tensor yt = iaf.forward(be.fromHost(x, N, D), ld, Stash.none());
        float[] y = be.toHost(yt), l = be.toHost(ld);
        for (int r = 0; r < N; r++) {
            double[] xr = row(x, r, D);
            MafOracle.Out ref = o.inverse(xr); // IAF forward = MAF inverse
            for (int d = 0; d < D; d++) close(ref.v()[d], y[r * D + d], 1e-4, 1e-4, "y[" + r + "," + d + "]");
            close(ref.ld(), l[r], 1e-4, 1e-4, "ld[" + r + "]");
            double[][] j = MafOracle.jacobian(v -> o.inverse(v).v(), xr, 1e-6);
            close(MafOracle.logAbsDet(j), l[r], 1e-4, 1e-4, "ld vs log|det ∂y/∂x|");
        }
        Tensor ld2 = be.alloc(N);
        float[] xBack = be.toHost(iaf.inverse(yt, ld2));
        float[] l2 = be.toHost(ld2);
        for (int i = 0; i < x.length; i++) assertEquals(x[i], xBack[i], 1e-4, "round trip x[" + i + "]");
        for (int r = 0; r < N; r++) {
            assertEquals(0.0, l[r] + l2[r], 1e-5, "ld⁻¹ + ld");
            close(o.forward(row(be.toHost(yt), r, D)).ld(), l2[r], 1e-5, 1e-4, "inverse ld = MAF forward ld");
        }
    }

    static double iafLoss(MafOracle o, double[] x, float[] c, float[] e) { return MafTest.oracleLoss(o::inverse, x, c, e); }

    @Test void implicitGradientsMatchCentralDifferences() {
        for (Activation act : new Activation[] {Activation.TANH, Activation.ELU}) {
            CpuBackend be = new CpuBackend(2);
            Iaf iaf = layer(be, 51, new int[] {9, 7}, act);
            MafOracle o = MafOracle.of(be, iaf.maf());
            float[] x = randn(N * D, 52), c = randn(N * D, 53), e = randn(N, 54);
            int checked = MafTest.checkGradients(be, iaf, o, x, c, e, (or, xd) -> iafLoss(or, xd, c, e), "iaf/" + act);
            assertTrue(checked > 150);
        }
        // a linear MADE (no hidden layer) too
        CpuBackend be = new CpuBackend(1);
        Iaf iaf = layer(be, 61, new int[0], Activation.TANH);
        MafOracle o = MafOracle.of(be, iaf.maf());
        float[] x = randn(N * D, 62), c = randn(N * D, 63), e = randn(N, 64);
        MafTest.checkGradients(be, iaf, o, x, c, e, (or, xd) -> iafLoss(or, xd, c, e), "iaf/linear");
    }

    @Test void backwardAccumulatesOntoExistingGradients() {
        CpuBackend be = new CpuBackend(2);
        Iaf iaf = layer(be, 71, new int[] {8}, Activation.TANH);
        float[] x = randn(N * D, 72), c = randn(N * D, 73), e = randn(N, 74);
        Tensor xt = be.fromHost(x, N, D), gy = be.fromHost(c, N, D), gLd = be.fromHost(e, N);
        for (Param p : iaf.params()) be.fill(p.grad(), 0f);
        iaf.backward(xt, gy, gLd, Stash.none());
        List<float[]> once = new ArrayList<>();
        for (Param p : iaf.params()) once.add(be.toHost(p.grad()));
        List<float[]> start = new ArrayList<>();
        SplittableRandom r = new SplittableRandom(75);
        for (Param p : iaf.params()) {
            float[] g = new float[(int) p.grad().numel()];
            for (int i = 0; i < g.length; i++) g[i] = (float) (r.nextDouble() - 0.5);
            be.upload(g, p.grad());
            start.add(g);
        }
        iaf.backward(xt, gy, gLd, Stash.none());
        List<Param> ps = iaf.params();
        for (int k = 0; k < ps.size(); k++) {
            float[] g = be.toHost(ps.get(k).grad());
            for (int i = 0; i < g.length; i++) {
                float want = start.get(k)[i] + once.get(k)[i];
                assertEquals(want, g[i], 1e-6 + 1e-6 * Math.abs(want), ps.get(k).name() + "[" + i + "]");
            }
        }
    }

    @Test void storedStashBackwardEqualsEmptyStashBackward() {
        CpuBackend be = new CpuBackend(2);
        MafTest.assertStoreEqualsRecompute(be, layer(be, 81, new int[] {9, 7}, Activation.TANH), 82);
    }

    @Test void rebuildsExactlyFromItsConfig() throws Exception {
        CpuBackend be = new CpuBackend(1);
        MafTest.assertRebuildsFromConfig(be, layer(be, 91, new int[] {6, 5}, Activation.SILU), Iaf.KIND);
    }

    /** MAF, IAF and MAF with reversed order stacked in a Flow: NLL gradient vs central differences, STORE == RECOMPUTE. */
    @Test void stackedInAFlow() {
        CpuBackend be = new CpuBackend(2);
        SplittableRandom rng = new SplittableRandom(101);
        int[] o1 = Maf.randomOrder(D, 102), o2 = Maf.reversedOrder(o1);
        Flow f = new Flow(be, new StandardNormal(be, D), List.of(
                new Maf(be, o1, new int[] {8, 8}, Activation.TANH, rng),
                new Iaf(be, o2, new int[] {8}, Activation.TANH, 2f, null, rng),
                new Maf(be, Maf.naturalOrder(D), new int[] {8}, Activation.ELU, rng)));
        MafTest.perturb(be, f.params(), rng, 0.3);
        int n = 5;
        float[] x = randn(n * D, 103);
        Tensor xt = be.fromHost(x, n, D);
        f.zeroGrad();
        double loss = Nll.INSTANCE.forwardBackward(f, xt, MemoryMode.STORE);
        List<float[]> store = new ArrayList<>();
        for (Param p : f.params()) store.add(be.toHost(p.grad()));
        f.zeroGrad();
        assertEquals(loss, Nll.INSTANCE.forwardBackward(f, xt, MemoryMode.RECOMPUTE), 1e-6);
        List<Param> ps = f.params();
        int checked = 0;
        for (int k = 0; k < ps.size(); k++) {
            Param p = ps.get(k);
            float[] g = be.toHost(p.grad());
            for (int i = 0; i < g.length; i++) assertEquals(store.get(k)[i], g[i], 1e-5 + 1e-4 * Math.abs(g[i]), p.name() + " store vs recompute");
            checked += FlowGradientCheck.centralDifferences(be, f, p, g, x, n, 4);
        }
        assertTrue(checked > 30);
    }
}
