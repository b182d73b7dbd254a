package dev.fluvia.transforms;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.fluvia.FluviaException.ShapeException;
import dev.fluvia.backend.Activation;
import dev.fluvia.backend.CouplingScale;
import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.flow.ConditionalFlows;
import dev.fluvia.flow.Flow;
import dev.fluvia.flow.PresetOptions;
import dev.fluvia.io.Checkpoint;
import dev.fluvia.nn.Made;
import dev.fluvia.oracle.CouplingOracles;
import dev.fluvia.oracle.GenerativeCheck;
import dev.fluvia.oracle.RqSplineOracles;
import dev.fluvia.oracle.TransformCheck;
import dev.fluvia.oracle.TransformOracle;
import dev.fluvia.param.Param;
import dev.fluvia.param.ParamSource;
import dev.fluvia.param.Stash;
import dev.fluvia.tensor.Tensor;
import dev.fluvia.train.ImplicitInverseBackward;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every conditioner takes a context (rows {@code [x | c]}, docs/FLOWS.md "Conditional flows in Fluvia"): each conditional
 * layer against a float64 oracle (forward, log-det vs the oracle's brute-force Jacobian, inverse, round trip, gradients vs
 * central differences, recompute), the context passing through unchanged, Registry and checkpoint round trips, typed
 * errors; and the closed-form generative-direction backward ({@link InverseBackward}) of the affine, additive and spline
 * couplings, MAF, IAF and the autoregressive spline (with and without context) against finite differences and against
 * the implicit-function path.
 */
class ConditionalLayersTest {
    @TempDir Path dir;
    private final CpuBackend be = new CpuBackend(1);

    /**
     * Float64 conditional MAF, masks re-derived from FLOWS.md "MADE": modelled input d has degree m_in(d) (1-based position in
     * the order), context inputs degree 0; hidden unit k (degree m_k) sees input i iff m_k ≥ m_in(i); output rows d (μ) and
     * D + d (raw α) see unit k iff m_in(d) > m_k. {@code z_d = (x_d − μ_d)·exp(−α_d)}, c unchanged. {@code iaf} swaps the directions.
     */
    static TransformOracle mafOracle(int[] order, int context, int[] hidden, int[][] deg, Activation act, double clamp, boolean iaf) {
        int d = order.length, w = d + context, layers = hidden.length;
        int[] min = new int[w];
        for (int t = 0; t < d; t++) min[order[t]] = t + 1;
        TransformOracle maf = new TransformOracle() {
            double[] net(double[] x, Map<String, double[]> p) {
                double[] cur = x;
                int[] prev = min;
                for (int l = 0; l <= layers; l++) {
                    double[] wt = p.get("made.w" + l), b = p.get("made.b" + l);
                    int in = cur.length, out = l == layers ? 2 * d : hidden[l];
                    double[] o = new double[out];
                    for (int r = 0; r < out; r++) {
                        double acc = b[r];
                        for (int c = 0; c < in; c++) {
                            boolean on = l == layers ? min[r % d] > prev[c] : deg[l][r] >= prev[c];
                            if (on) acc += wt[r * in + c] * cur[c];
                        }
                        o[r] = l == layers ? acc : activate(act, acc);
                    }
                    cur = o;
                    if (l < layers) prev = deg[l];
                }
                return cur;
            }

            @Override public Out forward(double[] x, Map<String, double[]> p) {
                double[] h = net(x, p), z = x.clone();
                double ld = 0;
                for (int j = 0; j < d; j++) {
                    double a = clamp * Math.tanh(h[d + j] / clamp);
                    z[j] = (x[j] - h[j]) * Math.exp(-a);
                    ld -= a;
                }
                return new Out(z, ld);
            }

            @Override public Out inverse(double[] z, Map<String, double[]> p) {
                double[] x = new double[w];
                System.arraycopy(z, d, x, d, context);
                double ld = 0;
                for (int j : order) {
                    double[] h = net(x, p);
                    double a = clamp * Math.tanh(h[d + j] / clamp);
                    x[j] = z[j] * Math.exp(a) + h[j];
                    ld += a;
                }
                return new Out(x, ld);
            }
        };
        if (!iaf) return maf;
        return new TransformOracle() {
            @Override public Out forward(double[] x, Map<String, double[]> p) { return maf.inverse(x, p); }
            @Override public Out inverse(double[] y, Map<String, double[]> p) { return maf.forward(y, p); }
        };
    }

    private static double activate(Activation act, double a) {
        return switch (act) {
            case IDENTITY -> a;
            case RELU -> Math.max(a, 0);
            case TANH -> Math.tanh(a);
            case ELU -> a > 0 ? a : Math.expm1(a);
            case SILU -> a / (1 + Math.exp(-a));
        };
    }

    private Maf maf(int dim, int context, int[] hidden, long seed) {
        int[] order = seed % 2 == 0 ? Maf.naturalOrder(dim) : Maf.randomOrder(dim, seed);
        return new Maf(ParamSource.fresh(be), be, order, context, hidden, Activation.TANH, 2f, null, new SplittableRandom(seed));
    }

    private static TransformOracle oracleOf(Maf m, boolean iaf) {
        Made made = m.made();
        return mafOracle(made.order(), m.context(), made.hidden(), made.degrees(), made.activation(), m.clamp(), iaf);
    }

    // ------------------------------------------------------------------ layers against their oracles

    @Test void conditionalCouplingsMatchTheirOracles() {
        for (int[] dc : new int[][] {{3, 2}, {2, 1}, {1, 2}}) {
            int dim = dc[0], ctx = dc[1], w = dim + ctx;
            for (int l = 0; l < 2; l++) {
                int[][] ab = ConditionalFlows.couplingSplit(dim, ctx, l);
                int[] hidden = {6};
                AffineCoupling ac = new AffineCoupling(be, w, ab[0], ab[1], hidden, Activation.TANH, CouplingScale.SOFTCLAMP, 2f, new SplittableRandom(l));
                TransformCheck.of(be, ac, CouplingOracles.affine(ab[0], ab[1], hidden, Activation.TANH, CouplingScale.SOFTCLAMP, 2))
                        .seed(10 + l + dim).label("affine " + dim + "+" + ctx).run();
                AdditiveCoupling nc = new AdditiveCoupling(be, w, ab[0], ab[1], hidden, Activation.TANH, new SplittableRandom(l));
                TransformCheck.of(be, nc, CouplingOracles.additive(ab[0], ab[1], hidden, Activation.TANH)).seed(20 + l + dim).label("additive " + dim + "+" + ctx).run();
                RqSplineCoupling sc = new RqSplineCoupling(be, w, ab[0], ab[1], hidden, Activation.TANH, 5, 3, new SplittableRandom(l));
                TransformCheck.of(be, sc, RqSplineOracles.coupling(sc)).seed(30 + l + dim).label("spline " + dim + "+" + ctx).run();
            }
        }
    }

    @Test void conditionalMafAndIafMatchTheOracle() {
        for (int[] dc : new int[][] {{3, 2}, {2, 1}, {1, 3}, {4, 1}}) {
            for (int[] hidden : new int[][] {{7}, {5, 6}, {}}) {
                long seed = dc[0] * 10L + dc[1] + hidden.length;
                Maf m = maf(dc[0], dc[1], hidden, seed);
                TransformCheck.of(be, m, oracleOf(m, false)).seed(seed).jitter(0.4).label("maf " + dc[0] + "+" + dc[1]).run();
                Maf m2 = maf(dc[0], dc[1], hidden, seed + 1);
                Iaf iaf = new Iaf(be, m2);
                TransformCheck.of(be, iaf, oracleOf(m2, true)).seed(seed + 1).jitter(0.4).label("iaf " + dc[0] + "+" + dc[1]).run();
            }
        }
    }

    @Test void conditionalSplineAutoregressiveMatchesTheOracle() {
        for (int[] dc : new int[][] {{3, 2}, {1, 2}, {2, 1}}) {
            RqSplineAutoregressive t = new RqSplineAutoregressive(ParamSource.fresh(be), be, Maf.reversedOrder(Maf.naturalOrder(dc[0])), dc[1],
                    new int[] {6}, Activation.TANH, 5, 3, null, new SplittableRandom(dc[0]));
            TransformCheck.of(be, t, RqSplineOracles.autoregressive(t, Activation.TANH)).seed(40 + dc[0]).jitter(0.3).label("spline-ar " + dc[0] + "+" + dc[1]).run();
        }
    }

    /** The context columns come out exactly as they went in, both ways, and change the transformed columns. */
    @Test void contextPassesThroughAndConditions() {
        int dim = 2, ctx = 2, n = 3;
        List<Transform> layers = List.of(maf(dim, ctx, new int[] {8}, 4), new Iaf(be, maf(dim, ctx, new int[] {8}, 6)),
                new RqSplineAutoregressive(ParamSource.fresh(be), be, Maf.naturalOrder(dim), ctx, new int[] {8}, Activation.TANH, 5, 3, null, new SplittableRandom(1)));
        SplittableRandom r = new SplittableRandom(8);
        for (Transform t : layers) {
            ZooFlowChecks.jitter(be, t.params(), 0.5, 3);
            float[] a = new float[n * 4], b;
            for (int i = 0; i < a.length; i++) a[i] = (float) CpuBackend.gaussian(r);
            b = a.clone();
            for (int s = 0; s < n; s++) b[s * 4 + 2] += 1f;   // another context, same x
            float[] ya = be.toHost(t.forward(be.fromHost(a, n, 4), be.alloc(n), Stash.none()));
            float[] yb = be.toHost(t.forward(be.fromHost(b, n, 4), be.alloc(n), Stash.none()));
            float[] xa = be.toHost(t.inverse(be.fromHost(a, n, 4), be.alloc(n)));
            for (int s = 0; s < n; s++) {
                for (int j = dim; j < 4; j++) {
                    assertEquals(a[s * 4 + j], ya[s * 4 + j], 0f, t.kind() + " forward context");
                    assertEquals(a[s * 4 + j], xa[s * 4 + j], 0f, t.kind() + " inverse context");
                }
                assertTrue(Math.abs(ya[s * 4] - yb[s * 4]) + Math.abs(ya[s * 4 + 1] - yb[s * 4 + 1]) > 1e-4, t.kind() + ": the context changes nothing");
            }
        }
    }

    // ------------------------------------------------------------------ generative-direction backward (reverse KL)

    @Test void closedFormInverseBackwardMatchesFiniteDifferencesAndTheImplicitPath() {
        for (int[] dc : new int[][] {{3, 0}, {2, 2}, {4, 0}}) {
            int dim = dc[0], ctx = dc[1];
            Maf m = ctx == 0 ? new Maf(be, Maf.randomOrder(dim, 5), new int[] {7, 6}, Activation.TANH, 2f, null, new SplittableRandom(dim))
                             : maf(dim, ctx, new int[] {7, 6}, dim);
            GenerativeCheck.of(be, m, oracleOf(m, false)).seed(50 + dim).jitter(0.4).run();
            Maf m2 = ctx == 0 ? new Maf(be, Maf.naturalOrder(dim), new int[] {6}, Activation.TANH, 2f, null, new SplittableRandom(dim + 1))
                              : maf(dim, ctx, new int[] {6}, dim + 1);
            GenerativeCheck.of(be, new Iaf(be, m2), oracleOf(m2, true)).seed(60 + dim).jitter(0.4).run();
            int w = dim + ctx;
            int[][] ab = ctx == 0 ? Masks.alternating(dim, 1) : ConditionalFlows.couplingSplit(dim, ctx, 1);
            for (CouplingScale sc : CouplingScale.values()) {
                AffineCoupling ac = new AffineCoupling(be, w, ab[0], ab[1], new int[] {6}, Activation.TANH, sc, 2f, new SplittableRandom(dim));
                GenerativeCheck.of(be, ac, CouplingOracles.affine(ab[0], ab[1], new int[] {6}, Activation.TANH, sc, 2)).seed(70 + dim).jitter(0.4).run();
            }
            AdditiveCoupling nc = new AdditiveCoupling(be, w, ab[0], ab[1], new int[] {6}, Activation.TANH, new SplittableRandom(dim));
            GenerativeCheck.of(be, nc, CouplingOracles.additive(ab[0], ab[1], new int[] {6}, Activation.TANH)).seed(80 + dim).jitter(0.4).run();
            RqSplineCoupling sc = new RqSplineCoupling(be, w, ab[0], ab[1], new int[] {6}, Activation.TANH, 5, 3, new SplittableRandom(dim));
            GenerativeCheck.of(be, sc, RqSplineOracles.coupling(sc)).seed(90 + dim).jitter(0.3).run();
            RqSplineAutoregressive ar = new RqSplineAutoregressive(ParamSource.fresh(be), be, Maf.randomOrder(dim, dim), ctx, new int[] {6},
                    Activation.TANH, 5, 3, null, new SplittableRandom(dim));
            GenerativeCheck.of(be, ar, RqSplineOracles.autoregressive(ar, Activation.TANH)).seed(95 + dim).jitter(0.3).run();
        }
        // the same numbers as the implicit-function path, gradient for gradient
        int d3 = 3, n = 6;
        List<Transform> layers = List.of(
                new Maf(be, Maf.randomOrder(d3, 2), new int[] {8}, Activation.TANH, 2f, null, new SplittableRandom(1)),
                new Iaf(be, Maf.naturalOrder(d3), new int[] {8}, Activation.TANH, 2f, null, new SplittableRandom(2)),
                new AffineCoupling(be, d3, new int[] {0, 2}, new int[] {1}, new int[] {8}, Activation.TANH, CouplingScale.SOFTCLAMP, 2f, new SplittableRandom(3)),
                new AdditiveCoupling(be, d3, new int[] {1}, new int[] {0, 2}, new int[] {8}, Activation.TANH, new SplittableRandom(4)),
                new RqSplineCoupling(be, d3, new int[] {1}, new int[] {0, 2}, new int[] {8}, Activation.TANH, 5, 3, new SplittableRandom(5)),
                new RqSplineAutoregressive(ParamSource.fresh(be), be, Maf.randomOrder(d3, 3), 0, new int[] {8}, Activation.TANH, 5, 3, null, new SplittableRandom(6)),
                new RqSplineAutoregressive(ParamSource.fresh(be), be, Maf.naturalOrder(2), 1, new int[] {8}, Activation.TANH, 5, 3, null, new SplittableRandom(7)),
                maf(2, 1, new int[] {8}, 8));
        SplittableRandom r = new SplittableRandom(11);
        for (Transform t : layers) {
            ZooFlowChecks.jitter(be, t.params(), 0.4, 5);
            int dim = t.eventShape()[0];
            float[] yh = new float[n * dim], gxh = new float[n * dim], glh = new float[n];
            for (int i = 0; i < yh.length; i++) { yh[i] = (float) CpuBackend.gaussian(r); gxh[i] = (float) CpuBackend.gaussian(r); }
            for (int i = 0; i < n; i++) glh[i] = (float) CpuBackend.gaussian(r);
            Tensor y = be.fromHost(yh, n, dim), x = t.inverse(y, be.alloc(n)), gx = be.fromHost(gxh, n, dim), gl = be.fromHost(glh, n);
            t.params().forEach(p -> { if (p.grad() != null) be.fill(p.grad(), 0f); });
            float[] closed = be.toHost(((InverseBackward) t).inverseBackward(y, x, gx, gl));
            List<float[]> gClosed = t.params().stream().filter(Param::trainable).map(p -> be.toHost(p.grad())).toList();
            t.params().forEach(p -> { if (p.grad() != null) be.fill(p.grad(), 0f); });
            float[] implicit = be.toHost(ImplicitInverseBackward.backward(be, t, x, gx, gl));
            List<float[]> gImplicit = t.params().stream().filter(Param::trainable).map(p -> be.toHost(p.grad())).toList();
            for (int i = 0; i < closed.length; i++) assertEquals(implicit[i], closed[i], 2e-4 * (1 + Math.abs(implicit[i])), t.kind() + " ∂L/∂y[" + i + "]");
            for (int k = 0; k < gClosed.size(); k++)
                for (int i = 0; i < gClosed.get(k).length; i++)
                    assertEquals(gImplicit.get(k)[i], gClosed.get(k)[i], 2e-4 * (1 + Math.abs(gImplicit.get(k)[i])), t.kind() + " param " + k + "[" + i + "]");
        }
    }

    // ------------------------------------------------------------------ checkpoints and errors

    @Test void conditionalLayersRebuildFromTheirConfig() throws Exception {
        ZooFlowChecks.registryRoundTrip(be, maf(3, 2, new int[] {6}, 3));
        ZooFlowChecks.registryRoundTrip(be, new Iaf(be, maf(1, 2, new int[] {4}, 2)));
        ZooFlowChecks.registryRoundTrip(be, new RqSplineAutoregressive(ParamSource.fresh(be), be, Maf.naturalOrder(2), 3, new int[] {5},
                Activation.TANH, 4, 3, null, new SplittableRandom(1)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"realnvp", "nice", "maf", "iaf", "spline", "spline-ar"})
    void conditionalFlowCheckpointRoundTrip(String preset) {
        int dim = 3, ctx = 2, n = 4;
        Flow f = ConditionalFlows.build(preset, be, dim, ctx, PresetOptions.defaults().withLayers(2).withHidden(8).withSeed(2),
                new float[] {0.5f, -1f, 2f}, new float[] {2f, 1f, 0.5f});
        ZooFlowChecks.jitter(be, f.params(), 0.3, 7);
        Path p = dir.resolve(preset + ".safetensors");
        Checkpoint.save(p, f, new ObjectMapper().createObjectNode().put("step", 1), Map.of());
        Flow g = Checkpoint.load(p, new CpuBackend(1)).flow();
        SplittableRandom r = new SplittableRandom(4);
        float[] x = new float[n * dim], c = new float[n * ctx];
        for (int i = 0; i < x.length; i++) x[i] = (float) CpuBackend.gaussian(r);
        for (int i = 0; i < c.length; i++) c[i] = (float) CpuBackend.gaussian(r);
        float[] lf = ConditionalFlows.logProb(f, x, c, n);
        assertArrayEquals(lf, ConditionalFlows.logProb(g, x, c, n), preset);
        assertArrayEquals(ConditionalFlows.sample(f, c, n, 1f, 5), ConditionalFlows.sample(g, c, n, 1f, 5), preset);
        for (float v : lf) assertTrue(Float.isFinite(v), preset + " log p " + v);
        // round trip through the whole flow: samples given c score back to the density of their latent
        float[] s = ConditionalFlows.sample(f, c, n, 1f, 9);
        float[] back = ConditionalFlows.logProb(f, s, c, n);
        for (float v : back) assertTrue(Float.isFinite(v), preset);
        // a bad context width is a typed error, for the array and the tensor API and for sampling
        assertThrows(ShapeException.class, () -> ConditionalFlows.logProb(f, x, new float[n * (ctx + 1)], n));
        assertThrows(ShapeException.class, () -> ConditionalFlows.logProb(f, be.fromHost(x, n, dim), be.fromHost(new float[n * 3], n, 3)));
        assertThrows(ShapeException.class, () -> ConditionalFlows.sample(f, new float[n], n, 1f, 1));
        assertThrows(ShapeException.class, () -> f.logProb(be.fromHost(new float[n * 4], n, 4)));
    }

    @Test void presetsWithoutAConditionerAreRefusedByName() {
        for (String name : new String[] {"planar", "radial", "sylvester", "mixcdf"}) {
            ConditionalFlows.NoConditionerException e = assertThrows(ConditionalFlows.NoConditionerException.class,
                    () -> ConditionalFlows.build(name, be, 2, 1, PresetOptions.defaults(), null, null));
            assertTrue(e.getMessage().contains("'" + name + "'"), e.getMessage());
        }
        assertThrows(ShapeException.class, () -> maf(3, 2, new int[] {4}, 1).forward(be.alloc(2, 3), be.alloc(2), Stash.none()));
        assertThrows(ShapeException.class, () -> maf(3, 2, new int[] {4}, 1).inverse(be.alloc(2, 4), be.alloc(2)));
    }
}
