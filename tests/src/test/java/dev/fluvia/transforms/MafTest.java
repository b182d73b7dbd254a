package dev.fluvia.transforms;

import dev.fluvia.io.Registry;
import dev.fluvia.param.Stash;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fluvia.FluviaException.CheckpointException;
import dev.fluvia.backend.Activation;
import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.param.Param;
import dev.fluvia.oracle.MafOracle;
import dev.fluvia.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** MAF layer against the float64 {@link MafOracle}: values, log-dets, the sequential inverse and all gradients. */
class MafTest {
    static final int D = 4, N = 3;

    /** A layer moved off its identity initialisation (random order, two hidden layers). */
    static Maf layer(CpuBackend be, long seed, int[] hidden, Activation act) {
        SplittableRandom rng = new SplittableRandom(seed);
        Maf maf = new Maf(be, Maf.randomOrder(D, seed), hidden, act, 2f, null, rng);
        perturb(be, maf.params(), rng, 0.6);
        return maf;
    }

    static void perturb(CpuBackend be, List<Param> ps, SplittableRandom rng, double amp) {
        for (Param p : ps) {
            float[] v = be.toHost(p.value());
            for (int i = 0; i < v.length; i++) v[i] += (float) (amp * (rng.nextDouble() * 2 - 1));
            be.upload(v, p.value());
        }
    }

    static float[] randn(int len, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[len];
        for (int i = 0; i < len; i++) v[i] = (float) CpuBackend.gaussian(r);
        return v;
    }

    static double[] row(float[] x, int r, int d) {
        double[] v = new double[d];
        for (int j = 0; j < d; j++) v[j] = x[r * d + j];
        return v;
    }

    static void close(double expect, double actual, double atol, double rtol, String what) {
        assertTrue(Math.abs(expect - actual) <= atol + rtol * Math.abs(expect), what + ": expected " + expect + " got " + actual);
    }

    @Test void startsAsTheIdentity() {
        CpuBackend be = new CpuBackend(1);
        Maf maf = new Maf(be, Maf.naturalOrder(D), new int[] {8}, Activation.RELU, new SplittableRandom(1));
        float[] x = randn(N * D, 2);
        Tensor ld = be.alloc(N);
        assertArrayEquals(x, be.toHost(maf.forward(be.fromHost(x, N, D), ld, Stash.none())));
        assertArrayEquals(new float[N], be.toHost(ld));
        assertArrayEquals(x, be.toHost(maf.inverse(be.fromHost(x, N, D), ld)));
    }

    @Test void forwardAndLogDetMatchTheOracleAndItsJacobian() {
        for (int[] hidden : new int[][] {{9, 7}, {}}) {
            CpuBackend be = new CpuBackend(2);
            Maf maf = layer(be, 5, hidden, Activation.TANH);
            MafOracle o = MafOracle.of(be, maf);
            float[] x = randn(N * D, 6);
            Tensor ld = be.alloc(N);
            be.fill(ld, 0.25f); // ld is accumulated into
            float[] z = be.toHost(maf.forward(be.fromHost(x, N, D), ld, Stash.none()));
            float[] l = be.toHost(ld);
            for (int r = 0; r < N; r++) {
                double[] xr = row(x, r, D);
                MafOracle.Out ref = o.forward(xr);
                for (int d = 0; d < D; d++) close(ref.v()[d], z[r * D + d], 1e-5, 1e-4, "z[" + r + "," + d + "]");
                close(ref.ld() + 0.25, l[r], 1e-5, 1e-4, "ld[" + r + "]");
                double[][] j = MafOracle.jacobian(v -> o.forward(v).v(), xr, 1e-6);
                close(MafOracle.logAbsDet(j), l[r] - 0.25, 1e-4, 1e-4, "ld vs log|det J|");
                int[] ord = maf.order();
                for (int a = 0; a < D; a++) // z at step a depends on nothing later in the order
                    for (int b = a + 1; b < D; b++) assertEquals(0.0, j[ord[a]][ord[b]], 1e-9, "J not triangular in the order");
            }
        }
    }

    @Test void inverseMatchesTheSequentialOracleAndRoundTrips() {
        for (Activation act : new Activation[] {Activation.TANH, Activation.ELU, Activation.SILU, Activation.RELU}) {
            for (int[] hidden : new int[][] {{9, 7}, {6}, {}}) {
                CpuBackend be = new CpuBackend(2);
                Maf maf = layer(be, 8, hidden, act);
                MafOracle o = MafOracle.of(be, maf);
                float[] z = randn(N * D, 9);
                Tensor ld = be.alloc(N);
                Tensor xt = maf.inverse(be.fromHost(z, N, D), ld);
                float[] x = be.toHost(xt), l = be.toHost(ld);
                for (int r = 0; r < N; r++) {
                    MafOracle.Out ref = o.inverse(row(z, r, D));
                    for (int d = 0; d < D; d++) close(ref.v()[d], x[r * D + d], 1e-4, 1e-4, act + " x[" + r + "," + d + "]");
                    close(ref.ld(), l[r], 1e-4, 1e-4, act + " inverse ld[" + r + "]");
                }
                Tensor ld2 = be.alloc(N);
                float[] zBack = be.toHost(maf.forward(xt, ld2, Stash.none()));
                for (int i = 0; i < z.length; i++) assertEquals(z[i], zBack[i], 1e-4, "round trip z[" + i + "]");
                float[] l2 = be.toHost(ld2);
                for (int r = 0; r < N; r++) assertEquals(0.0, l[r] + l2[r], 1e-5, "ld⁻¹ + ld");
            }
        }
    }

    /** L = Σ c·y + Σ e·ld as the oracle computes it, x flattened [N·D]. */
    interface OracleLoss { double eval(MafOracle o, double[] x); }

    static double mafLoss(MafOracle o, double[] x, float[] c, float[] e) { return oracleLoss(o::forward, x, c, e); }

    /** L = Σ c·out + Σ e·ld over the N rows of x for one direction of the oracle ({@code forward} or {@code inverse}). */
    static double oracleLoss(Function<double[], MafOracle.Out> direction, double[] x, float[] c, float[] e) {
        double s = 0;
        for (int r = 0; r < N; r++) {
            double[] xr = new double[D];
            System.arraycopy(x, r * D, xr, 0, D);
            MafOracle.Out out = direction.apply(xr);
            for (int d = 0; d < D; d++) s += c[r * D + d] * out.v()[d];
            s += e[r] * out.ld();
        }
        return s;
    }

    /** Runs forward + backward of t with gy = c, gLd = e and compares gx and every parameter gradient with central differences of the oracle loss. */
    static int checkGradients(CpuBackend be, Transform t, MafOracle o, float[] x, float[] c, float[] e, OracleLoss loss, String what) {
        for (Param p : t.params()) be.fill(p.grad(), 0f);
        Tensor xt = be.fromHost(x, N, D);
        Stash st = new Stash(true);
        t.forward(xt, be.alloc(N), st);
        float[] gx = be.toHost(t.backward(xt, be.fromHost(c, N, D), be.fromHost(e, N), st));
        double eps = 1e-6, worst = 0;
        double[] xd = MafOracle.toDouble(x);
        int checked = 0;
        for (int i = 0; i < xd.length; i++) {
            double old = xd[i];
            xd[i] = old + eps; double up = loss.eval(o, xd);
            xd[i] = old - eps; double dn = loss.eval(o, xd);
            xd[i] = old;
            double fd = (up - dn) / (2 * eps);
            worst = Math.max(worst, Math.abs(fd - gx[i]) / (1 + Math.abs(fd)));
            close(fd, gx[i], 2e-5, 1e-4, what + " gx[" + i + "]");
            checked++;
        }
        List<Param> ps = t.params();
        for (int k = 0; k < ps.size(); k++) {
            float[] g = be.toHost(ps.get(k).grad());
            double[] v = k % 2 == 0 ? o.w[k / 2] : o.b[k / 2];
            for (int i = 0; i < v.length; i++) {
                double old = v[i];
                v[i] = old + eps; double up = loss.eval(o, xd);
                v[i] = old - eps; double dn = loss.eval(o, xd);
                v[i] = old;
                double fd = (up - dn) / (2 * eps);
                worst = Math.max(worst, Math.abs(fd - g[i]) / (1 + Math.abs(fd)));
                close(fd, g[i], 2e-5, 1e-4, what + " " + ps.get(k).name() + "[" + i + "]");
                checked++;
            }
        }
        System.out.printf("%s: %d gradient entries, worst |g − fd|/(1+|fd|) = %.2e%n", what, checked, worst);
        return checked;
    }

    @Test void inputAndParameterGradientsMatchCentralDifferences() {
        for (Activation act : new Activation[] {Activation.TANH, Activation.SILU}) {
            CpuBackend be = new CpuBackend(2);
            Maf maf = layer(be, 21, new int[] {9, 7}, act);
            MafOracle o = MafOracle.of(be, maf);
            float[] x = randn(N * D, 22), c = randn(N * D, 23), e = randn(N, 24);
            int checked = checkGradients(be, maf, o, x, c, e, (or, xd) -> mafLoss(or, xd, c, e), "maf/" + act);
            assertTrue(checked > 150);
        }
    }

    static void assertStoreEqualsRecompute(CpuBackend be, Transform t, long seed) {
        float[] x = randn(N * D, seed), c = randn(N * D, seed + 1), e = randn(N, seed + 2);
        Tensor xt = be.fromHost(x, N, D), gy = be.fromHost(c, N, D), gLd = be.fromHost(e, N);
        List<float[]> stored = new ArrayList<>(), recomputed = new ArrayList<>();
        for (List<float[]> out : List.of(stored, recomputed)) {
            for (Param p : t.params()) be.fill(p.grad(), 0f);
            Stash st = out == stored ? new Stash(true) : Stash.none();
            t.forward(xt, be.alloc(N), st);
            out.add(be.toHost(t.backward(xt, gy, gLd, st)));
            for (Param p : t.params()) out.add(be.toHost(p.grad()));
        }
        for (int k = 0; k < stored.size(); k++) assertArrayEquals(stored.get(k), recomputed.get(k), "entry " + k);
    }

    @Test void storedStashBackwardEqualsEmptyStashBackward() {
        CpuBackend be = new CpuBackend(2);
        assertStoreEqualsRecompute(be, layer(be, 31, new int[] {9, 7}, Activation.TANH), 32);
    }

    static void assertRebuildsFromConfig(CpuBackend be, Transform t, String kind) throws Exception {
        ObjectMapper om = new ObjectMapper();
        ObjectNode cfg = (ObjectNode) om.readTree(om.writeValueAsString(Registry.config(t)));
        Transform u = Registry.transform(be, kind, cfg);
        assertEquals(kind, u.kind());
        List<Param> a = t.params(), b = u.params();
        assertEquals(a.size(), b.size());
        for (int k = 0; k < a.size(); k++) {
            assertEquals(a.get(k).name(), b.get(k).name());
            be.copy(a.get(k).value(), b.get(k).value());
        }
        Maf ma = t instanceof Iaf i ? i.maf() : (Maf) t, mb = u instanceof Iaf i ? i.maf() : (Maf) u;
        assertArrayEquals(ma.order(), mb.order());
        assertArrayEquals(ma.made().degrees(), mb.made().degrees());
        for (int l = 0; l < ma.made().masks().size(); l++) assertArrayEquals(ma.made().masks().get(l), mb.made().masks().get(l));
        assertEquals(ma.clamp(), mb.clamp());
        float[] x = randn(N * D, 77);
        Tensor la = be.alloc(N), lb = be.alloc(N);
        assertArrayEquals(be.toHost(t.forward(be.fromHost(x, N, D), la, Stash.none())), be.toHost(u.forward(be.fromHost(x, N, D), lb, Stash.none())));
        assertArrayEquals(be.toHost(la), be.toHost(lb));
    }

    @Test void rebuildsExactlyFromItsConfig() throws Exception {
        CpuBackend be = new CpuBackend(1);
        SplittableRandom rng = new SplittableRandom(3);
        Maf maf = new Maf(be, Maf.randomOrder(D, 4), new int[] {5, 6}, Activation.ELU, 1.5f,
                new int[][] {{3, 1, 2, 2, 1}, {1, 1, 3, 2, 3, 2}}, rng); // explicit, non-default degrees
        perturb(be, maf.params(), rng, 0.5);
        assertRebuildsFromConfig(be, maf, Maf.KIND);
    }

    @Test void brokenConfigIsACheckpointError() throws Exception {
        CpuBackend be = new CpuBackend(1);
        ObjectNode cfg = Registry.config(new Maf(be, Maf.naturalOrder(3), new int[] {4}, Activation.TANH, new SplittableRandom(1)));
        cfg.remove("degrees");
        assertThrows(CheckpointException.class, () -> Registry.transform(be, Maf.KIND, cfg));
    }

    @Test void orderHelpers() {
        assertArrayEquals(new int[] {0, 1, 2, 3}, Maf.naturalOrder(4));
        assertArrayEquals(new int[] {3, 1, 0, 2}, Maf.reversedOrder(new int[] {2, 0, 1, 3}));
        assertArrayEquals(Maf.randomOrder(7, 5), Maf.randomOrder(7, 5));
        int[] r = Maf.randomOrder(7, 5).clone();
        java.util.Arrays.sort(r);
        assertArrayEquals(Maf.naturalOrder(7), r);
    }
}
