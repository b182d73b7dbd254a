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
}
