package dev.fluvia.backend.spline;

import static dev.fluvia.backend.check.KernelCase.rand;

import dev.fluvia.backend.check.FamilyBench;
import dev.fluvia.backend.check.KernelCase;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The spline family's validate-and-benchmark entries (kernels/spline.cu against {@link CpuSpline}). Inputs mix the interior,
 * the tails (beyond ±B and ±1e6), ±B themselves and points exactly on the (float32) knots of each element's spline.
 * Tolerance: the long dependent chain one (1e-4 + 1e-3·|ref|): softmax, cumulative knots, bin formula and its reverse mode.
 */
public final class SplineBench implements FamilyBench {
    @Override public String family() { return "spline"; }

    /** D × N covered by the parity entries (odd, not multiples of 32; P = 3K − 1 values per element). */
    static final int[] DIMS = {2, 3, 63}, BATCHES = {1, 37, 333}, BINS = {1, 3, 8};

    /**
     * Inputs for {@code n·d} elements with parameters {@code h}: uniform in [−1.5B, 1.5B], with every 7th value ±1e6,
     * every 7th (offset 1) ±B, every 7th (offset 2 and 3) a knot of the element's spline (heights when {@code heights}).
     * With {@code nudge} (backward) the knot inputs move 1e-3 of their bin's width to the right: the value and g' are
     * continuous at a knot, but the gradient of log g' and the parameter gradient are one-sided there, and the two
     * implementations' knots differ in the last bits (exp, FMA contraction), so on the knot itself they may take
     * neighbouring bins (finiteness exactly on the knots is {@code RqSplineTest.tailsAndBinEdges}' check).
     */
    static float[] inputs(SplittableRandom rng, float[] h, int count, SplineOps.Spec sp, boolean heights, boolean nudge) {
        float b = sp.bound();
        float[] v = rand(rng, count, -1.5 * b, 1.5 * b);
        for (int e = 0; e < count; e++) {
            switch (e % 7) {
                case 0 -> { if (e % 2 == 0) v[e] = rng.nextBoolean() ? 1e6f : -1e6f; }
                case 1 -> v[e] = rng.nextBoolean() ? b : -b;
                case 2, 3 -> {
                    int off = e * sp.paramsPerDim();
                    if (nudge) {
                        int j = rng.nextInt(sp.bins());
                        float lo = CpuSpline.knotOf(h, off, sp, heights, j), hi = CpuSpline.knotOf(h, off, sp, heights, j + 1);
                        v[e] = lo + 1e-3f * (hi - lo);
                    } else v[e] = CpuSpline.knotOf(h, off, sp, heights, rng.nextInt(sp.bins() + 1));
                }
                default -> { }
            }
        }
        return v;
    }

    @Override public List<KernelCase> parity(SplittableRandom rng) {
        List<KernelCase> cs = new ArrayList<>();
        int variant = 0;
        for (int d : DIMS) for (int n : BATCHES) {
            int k = BINS[variant++ % BINS.length];
            SplineOps.Spec sp = SplineOps.Spec.of(k, 2.5);
            int p = sp.paramsPerDim();
            String nd = n + "x" + d + " K" + k;
            float[] h = rand(rng, n * d * p, -2, 2);
            cs.add(KernelCase.of("rqSplineForward", nd).matmul().in("x", inputs(rng, h, n * d, sp, false, false), n, d).in("h", h, n, d * p)
                    .out("y", n, d).acc("ld", rand(rng, n, -5, 5), n)
                    .run((be, a) -> be.spline().rqSplineForward(a.t("x"), a.t("h"), sp, a.t("y"), a.t("ld"))));
            cs.add(KernelCase.of("rqSplineInverse", nd).matmul().in("y", inputs(rng, h, n * d, sp, true, false), n, d).in("h", h, n, d * p)
                    .out("x", n, d).acc("ld", rand(rng, n, -5, 5), n)
                    .run((be, a) -> be.spline().rqSplineInverse(a.t("y"), a.t("h"), sp, a.t("x"), a.t("ld"))));
            cs.add(KernelCase.of("rqSplineBackward", nd).matmul().in("x", inputs(rng, h, n * d, sp, false, true), n, d).in("h", h, n, d * p)
                    .in("gy", rand(rng, n * d, -1, 1), n, d).in("gLd", rand(rng, n, -1, 1), n)
                    .out("gx", n, d).acc("gh", rand(rng, n * d * p, -1, 1), n, d * p)
                    .run((be, a) -> be.spline().rqSplineBackward(a.t("x"), a.t("h"), sp, a.t("gy"), a.t("gLd"), a.t("gx"), a.t("gh"))));
        }
        return cs;
    }

    @Override public List<KernelCase> bench(int n, SplittableRandom rng) {
        int d = 64, k = 8;
        SplineOps.Spec sp = SplineOps.Spec.of(k, 3);
        int p = sp.paramsPerDim();
        String nd = n + "x" + d + " K" + k;
        double nd1 = (double) n * d, f = 4.0;
        float[] h = rand(rng, n * d * p, -2, 2);
        // FLOPs (estimates, exp/log counted as one): softmax stats 2·2K, bin scan ~4K, knots ~2·4K, evaluation ~40; backward
        // adds the two softmax gradients (~2·2·6K) and ~80 for the bin formula's reverse mode
        double fwd = nd1 * (20.0 * k + 40), bwd = nd1 * (44.0 * k + 120);
        List<KernelCase> cs = new ArrayList<>();
        cs.add(KernelCase.of("rqSplineForward", nd).matmul().in("x", rand(rng, n * d, -3.5, 3.5), n, d).in("h", h, n, d * p)
                .out("y", n, d).acc("ld", new float[n], n).traffic(f * (2 * nd1 + nd1 * p + 2.0 * n), fwd)
                .run((be, a) -> be.spline().rqSplineForward(a.t("x"), a.t("h"), sp, a.t("y"), a.t("ld"))));
        cs.add(KernelCase.of("rqSplineInverse", nd).matmul().in("y", rand(rng, n * d, -3.5, 3.5), n, d).in("h", h, n, d * p)
                .out("x", n, d).acc("ld", new float[n], n).traffic(f * (2 * nd1 + nd1 * p + 2.0 * n), fwd)
                .run((be, a) -> be.spline().rqSplineInverse(a.t("y"), a.t("h"), sp, a.t("x"), a.t("ld"))));
        cs.add(KernelCase.of("rqSplineBackward", nd).matmul().in("x", rand(rng, n * d, -3.5, 3.5), n, d).in("h", h, n, d * p)
                .in("gy", rand(rng, n * d, -1, 1), n, d).in("gLd", rand(rng, n, -1, 1), n).out("gx", n, d).acc("gh", new float[n * d * p], n, d * p)
                .traffic(f * (3 * nd1 + 3 * nd1 * p + n), bwd)
                .run((be, a) -> be.spline().rqSplineBackward(a.t("x"), a.t("h"), sp, a.t("gy"), a.t("gLd"), a.t("gx"), a.t("gh"))));
        return cs;
    }
}
