package dev.fluvia.transforms;

import dev.fluvia.param.Stash;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fluvia.FluviaException.ShapeException;
import dev.fluvia.backend.Activation;
import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.nn.Made;
import dev.fluvia.param.Param;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** MADE masks (FLOWS.md "MADE"): the exact 0/1 matrices for a small case, and the autoregressive property by perturbation. */
class MadeTest {

    @Test void exactMasksForThreeDimsOneHiddenLayer() {
        CpuBackend be = new CpuBackend(1);
        Made m = new Made(be, "m.", new int[] {0, 1, 2}, new int[] {4}, Activation.TANH, null, new SplittableRandom(1));
        assertArrayEquals(new int[] {1, 2, 3}, m.inputDegrees());
        assertArrayEquals(new int[] {1, 2, 1, 2}, m.degrees()[0]); // cyclic rule 1 + k mod (D−1)
        List<float[]> ms = m.masks();
        assertEquals(2, ms.size());
        assertArrayEquals(new float[] { // [4, 3]: unit k sees input i iff m_k >= m_in(i)
                1, 0, 0,
                1, 1, 0,
                1, 0, 0,
                1, 1, 0}, ms.get(0));
        assertArrayEquals(new float[] { // [6, 4]: rows d and 3+d see unit k iff m_in(d) > m_k
                0, 0, 0, 0,
                1, 0, 1, 0,
                1, 1, 1, 1,
                0, 0, 0, 0,
                1, 0, 1, 0,
                1, 1, 1, 1}, ms.get(1));
    }

    @Test void exactMasksFollowTheOrderNotTheIndex() {
        CpuBackend be = new CpuBackend(1);
        // order [2, 0, 1]: m_in = [2, 3, 1]; hidden degrees [1, 2]
        Made m = new Made(be, "m.", new int[] {2, 0, 1}, new int[] {2}, Activation.TANH, null, new SplittableRandom(1));
        assertArrayEquals(new int[] {2, 3, 1}, m.inputDegrees());
        assertArrayEquals(new float[] {
                0, 0, 1,   // degree 1 sees dim 2 only
                1, 0, 1}, m.masks().get(0));
        assertArrayEquals(new float[] {
                1, 0,      // dim 0 (m_in 2) sees the degree-1 unit
                1, 1,      // dim 1 (m_in 3) sees both
                0, 0,      // dim 2 (first in the order) sees nothing
                1, 0,
                1, 1,
                0, 0}, m.masks().get(1));
    }

    @Test void linearMadeWithoutHiddenLayerIsStrictlyTriangular() {
        CpuBackend be = new CpuBackend(1);
        Made m = new Made(be, "m.", new int[] {1, 0}, new int[0], Activation.TANH, null, new SplittableRandom(1));
        // m_in = [2, 1]: dim 0 sees dim 1, dim 1 sees nothing
        assertArrayEquals(new float[] {0, 1, 0, 0, 0, 1, 0, 0}, m.masks().get(0));
    }

    @Test void oneDimensionIsRejected() {
        CpuBackend be = new CpuBackend(1);
        ShapeException e = assertThrows(ShapeException.class,
                () -> new Made(be, "m.", new int[] {0}, new int[] {4}, Activation.TANH, null, new SplittableRandom(1)));
        assertTrue(e.getMessage().contains("at least 2"), e.getMessage());
        assertThrows(ShapeException.class, () -> new Maf(be, new int[] {0}, new int[] {4}, Activation.TANH, new SplittableRandom(1)));
    }

    @Test void badOrdersAndDegreesAreRejected() {
        CpuBackend be = new CpuBackend(1);
        SplittableRandom r = new SplittableRandom(1);
        assertThrows(IllegalArgumentException.class, () -> new Made(be, "m.", new int[] {0, 0, 1}, new int[] {4}, Activation.TANH, null, r));
        assertThrows(IllegalArgumentException.class, () -> new Made(be, "m.", new int[] {0, 1, 3}, new int[] {4}, Activation.TANH, null, r));
        assertThrows(IllegalArgumentException.class,
                () -> new Made(be, "m.", new int[] {0, 1, 2}, new int[] {2}, Activation.TANH, new int[][] {{1, 3}}, r));
        assertThrows(ShapeException.class,
                () -> new Made(be, "m.", new int[] {0, 1, 2}, new int[] {2}, Activation.TANH, new int[][] {{1, 2, 1}}, r));
    }

    @Test void twoDimensionsAndManyDimensionsKeepDegreesInRange() {
        CpuBackend be = new CpuBackend(1);
        Made two = new Made(be, "m.", new int[] {1, 0}, new int[] {3, 3}, Activation.RELU, null, new SplittableRandom(1));
        for (int[] layer : two.degrees()) for (int v : layer) assertEquals(1, v);
        int d = 60;
        Made big = new Made(be, "m.", Maf.randomOrder(d, 9), new int[] {50, 80}, Activation.RELU, null, new SplittableRandom(1));
        for (int[] layer : big.degrees()) for (int v : layer) assertTrue(v >= 1 && v <= d - 1);
        assertConnectivityIsAutoregressive(big);
    }

    /** Boolean product of the masks: output dim d may be reached from input i only when i comes before d in the order. */
    static void assertConnectivityIsAutoregressive(Made m) {
        List<float[]> ms = m.masks();
        int d = m.dim();
        int[] widths = new int[ms.size() + 1];
        widths[0] = d;
        int[] hidden = m.hidden();
        System.arraycopy(hidden, 0, widths, 1, hidden.length);
        widths[widths.length - 1] = 2 * d;
        boolean[][] reach = new boolean[d][d]; // reach[unit][input]
        for (int i = 0; i < d; i++) reach[i][i] = true;
        for (int l = 0; l < ms.size(); l++) {
            int in = widths[l], out = widths[l + 1];
            boolean[][] next = new boolean[out][d];
            for (int o = 0; o < out; o++)
                for (int k = 0; k < in; k++)
                    if (ms.get(l)[o * in + k] != 0) for (int i = 0; i < d; i++) next[o][i] |= reach[k][i];
            reach = next;
        }
        int[] mIn = m.inputDegrees();
        for (int o = 0; o < 2 * d; o++)
            for (int i = 0; i < d; i++)
                if (reach[o][i]) assertTrue(mIn[i] < mIn[o % d], "output " + o + " reaches input " + i);
    }

    @Test void perturbingAnInputChangesExactlyTheLaterDims() {
        int d = 5;
        int[][] orders = {Maf.naturalOrder(d), Maf.reversedOrder(Maf.naturalOrder(d)), Maf.randomOrder(d, 42)};
        for (int[] order : orders) checkAutoregressive(order, d);
    }

    private static void checkAutoregressive(int[] order, int d) {
        CpuBackend be = new CpuBackend(1);
        SplittableRandom rng = new SplittableRandom(17);
        Made m = new Made(be, "m.", order, new int[] {10, 7}, Activation.TANH, null, rng);
        for (Param p : m.params()) { // random weights everywhere, including the zero-initialised output layer
            float[] v = be.toHost(p.value());
            for (int i = 0; i < v.length; i++) v[i] = (float) (rng.nextDouble() * 2 - 1);
            be.upload(v, p.value());
        }
        int n = 2;
        float[] x = new float[n * d];
        for (int i = 0; i < x.length; i++) x[i] = (float) CpuBackend.gaussian(rng);
        float[] h0 = be.toHost(m.forward(be.fromHost(x, n, d), Stash.none(), "m"));
        int[] pos = m.inputDegrees();
        for (int j = 0; j < d; j++) {
            float[] xp = x.clone();
            for (int r = 0; r < n; r++) xp[r * d + j] += 0.7f;
            float[] h1 = be.toHost(m.forward(be.fromHost(xp, n, d), Stash.none(), "m"));
            for (int r = 0; r < n; r++)
                for (int out = 0; out < 2 * d; out++) {
                    int dimOut = out % d;
                    float a = h0[r * 2 * d + out], b = h1[r * 2 * d + out];
                    String what = "order " + java.util.Arrays.toString(order) + ": output " + out + " after perturbing x_" + j;
                    if (pos[j] < pos[dimOut]) assertTrue(Math.abs(a - b) > 1e-6, what + " should change");
                    else assertEquals(a, b, 0f, what + " must not change");
                }
        }
    }

    /** h = MADE(x) in float64 from raw weight values times the masks (tanh hidden layers). */
    private static double[] bruteForce(Made made, List<float[]> raw, float[] x, int r) {
        List<float[]> masks = made.masks();
        int d = made.dim();
        int[] hid = made.hidden();
        int[] widths = new int[hid.length + 2];
        widths[0] = d;
        System.arraycopy(hid, 0, widths, 1, hid.length);
        widths[widths.length - 1] = 2 * d;
        double[] cur = new double[d];
        for (int i = 0; i < d; i++) cur[i] = x[r * d + i];
        for (int l = 0; l + 1 < widths.length; l++) {
            float[] w = raw.get(2 * l), b = raw.get(2 * l + 1);
            double[] nx = new double[widths[l + 1]];
            for (int o = 0; o < nx.length; o++) {
                double s = b[o];
                for (int i = 0; i < widths[l]; i++) s += (double) w[o * widths[l] + i] * masks.get(l)[o * widths[l] + i] * cur[i];
                nx[o] = l + 2 < widths.length ? Math.tanh(s) : s;
            }
            cur = nx;
        }
        return cur;
    }

    /**
     * The masks are folded into the weights once per weight version, not per call: after every kind of write to the raw
     * weights (direct uploads that also touch masked entries, Adam steps) the forward is the float64 MLP on w ⊙ mask, and
     * the masked entries' gradients are exactly zero.
     */
    @Test void foldedWeightsFollowEveryWriteAndMaskedGradientsAreZero() {
        try (CpuBackend be = new CpuBackend(1)) {
            SplittableRandom rng = new SplittableRandom(5);
            int d = 3, n = 20;
            Made made = new Made(be, "m.", Maf.naturalOrder(d), new int[] {6, 5}, Activation.TANH, null, rng);
            float[] xs = new float[n * d];
            for (int i = 0; i < xs.length; i++) xs[i] = (float) CpuBackend.gaussian(rng);
            dev.fluvia.tensor.Tensor x = be.fromHost(xs, n, d);
            List<Param> ps = made.params();
            for (int round = 0; round < 3; round++) {
                if (round < 2) // direct writes, masked entries included
                    for (Param p : ps) {
                        float[] v = be.toHost(p.value());
                        for (int i = 0; i < v.length; i++) v[i] = (float) (rng.nextDouble() * 2 - 1);
                        be.upload(v, p.value());
                    }
                else { // an optimizer step on the gradients of a forward/backward
                    float[] gh = new float[n * 2 * d];
                    for (int i = 0; i < gh.length; i++) gh[i] = (float) (rng.nextDouble() - 0.5);
                    for (Param p : ps) be.fill(p.grad(), 0f);
                    Stash st = new Stash(true);
                    made.forward(x, st, "m");
                    made.backward(x, be.fromHost(gh, n, 2 * d), st, "m");
                    List<float[]> masks = made.masks();
                    for (int l = 0; l < masks.size(); l++) {
                        float[] g = be.toHost(ps.get(2 * l).grad());
                        for (int i = 0; i < g.length; i++)
                            if (masks.get(l)[i] == 0f) assertEquals(0f, g[i], 0f, "gradient of masked w" + l + "[" + i + "]");
                    }
                    for (Param p : ps)
                        be.optim().adamUpdate(p.value(), p.grad(), be.alloc(p.value().shape()), be.alloc(p.value().shape()),
                                0.1f, 0.9f, 0.999f, 1e-8f, 1e-2f, 1);
                }
                List<float[]> raw = new java.util.ArrayList<>();
                for (Param p : ps) raw.add(be.toHost(p.value()));
                float[] h = be.toHost(made.forward(x, Stash.none(), "m"));
                for (int r = 0; r < n; r++) {
                    double[] want = bruteForce(made, raw, xs, r);
                    for (int o = 0; o < 2 * d; o++) assertEquals(want[o], h[r * 2 * d + o], 1e-5 * (1 + Math.abs(want[o])), "round " + round + " row " + r + " output " + o);
                }
            }
        }
    }
}
