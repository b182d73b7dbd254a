package dev.fluvia.backend.pointwise;

import static dev.fluvia.backend.check.KernelCase.rand;

import dev.fluvia.backend.check.FamilyBench;
import dev.fluvia.backend.check.KernelCase;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The pointwise family's validate-and-benchmark entries (kernels/pointwise.cu against {@link CpuPointwise}). Inputs mix the
 * interior with each map's edges: saturated sigmoid / tanh (±40), values one float from the ends of (0, 1) and (−1, 1),
 * zero (leaky ReLU's kink), the mixture's far tails. Tolerances: the element-wise maps the default (1e-5 + 1e-4·|ref|), the
 * parameter gradients (sums over the batch) and the mixture CDF's long float64 chain (log Φ, Newton) the long-chain one.
 */
public final class PointwiseBench implements FamilyBench {
    @Override public String family() { return "pointwise"; }

    /** N × D of the element-wise parity entries (odd, not multiples of 32). */
    static final int[][] SIZES = {{1, 3}, {37, 63}, {333, 5}};
    /** N × D × K of the mixture entries. */
    static final int[][] MIX = {{1, 1, 1}, {37, 3, 3}, {133, 2, 8}};
    static final float ONE_BELOW = Math.nextDown(1f);

    /** Values with every 5th replaced by one of the edges. */
    private static float[] withEdges(SplittableRandom rng, int count, double lo, double hi, float... edges) {
        float[] v = rand(rng, count, lo, hi);
        for (int e = 0; e < count; e += 5) v[e] = edges[rng.nextInt(edges.length)];
        return v;
    }

    /** Forward-direction inputs of each kind. */
    private static float[] xs(int kind, SplittableRandom rng, int count) {
        return switch (kind) {
            case CpuPointwise.LOGIT_MAP -> withEdges(rng, count, 0.001, 0.999, 1e-7f, ONE_BELOW, 0.5f);
            case CpuPointwise.LEAKY_RELU -> withEdges(rng, count, -4, 4, 0f, -0f, 1e3f, -1e3f);
            case CpuPointwise.SCALAR_AFFINE -> rand(rng, count, -4, 4);
            default -> withEdges(rng, count, -6, 6, 40f, -40f, 0f, 15f, -15f);
        };
    }

    /** Inverse-direction inputs (in the forward's range). */
    private static float[] ys(int kind, SplittableRandom rng, int count) {
        return switch (kind) {
            case CpuPointwise.SIGMOID -> withEdges(rng, count, 0.001, 0.999, 1e-7f, ONE_BELOW, 1e-30f);
            case CpuPointwise.TANH -> withEdges(rng, count, -0.999, 0.999, ONE_BELOW, -ONE_BELOW, 0f);
            case CpuPointwise.LOGIT_MAP -> withEdges(rng, count, -6, 6, 40f, -40f, 0f);
            default -> xs(kind, rng, count);
        };
    }

    /** Where the generative backward is taken: x = f⁻¹(y), kept where f' stays a normal float. */
    private static float[] xsInverse(int kind, SplittableRandom rng, int count) {
        return switch (kind) {
            case CpuPointwise.SIGMOID, CpuPointwise.TANH -> withEdges(rng, count, -5, 5, 20f, -20f, 0f);
            default -> xs(kind, rng, count);
        };
    }

    private static final String[] NAMES = {"sigmoid", "logitMap", "tanh", "leakyRelu", "scalarAffine"};

    private static void elementwise(List<KernelCase> cs, int kind, int n, int d, SplittableRandom rng, boolean bench) {
        String k = NAMES[kind], nd = n + "x" + d;
        int c = n * d;
        boolean slope = kind == CpuPointwise.LEAKY_RELU, affine = kind == CpuPointwise.SCALAR_AFFINE;
        float[] a = slope ? rand(rng, 1, -1.5, 0.5) : rand(rng, 1, -1, 1), b = rand(rng, 1, -1, 1);
        double f = 4.0, rowBytes = f * (2.0 * c + 2 * n), backBytes = f * (3.0 * c + n);
        double flops = 20.0 * c;
        KernelCase.Builder fw = KernelCase.of(k + "Forward", nd).in("x", xs(kind, rng, c), n, d);
        KernelCase.Builder iv = KernelCase.of(k + "Inverse", nd).in("y", ys(kind, rng, c), n, d);
        KernelCase.Builder bw = KernelCase.of(k + "Backward", nd).in("x", xs(kind, rng, c), n, d);
        KernelCase.Builder ib = KernelCase.of(k + "InverseBackward", nd).in("x", xsInverse(kind, rng, c), n, d);
        for (KernelCase.Builder q : List.of(fw, iv, bw, ib)) {
            if (slope || affine) q.in("a", a, 1);
            if (affine) q.in("b", b, 1);
        }
        fw.out("y", n, d).acc("ld", rand(rng, n, -5, 5), n);
        iv.out("x", n, d).acc("ld", rand(rng, n, -5, 5), n);
        bw.in("gy", rand(rng, c, -1, 1), n, d).in("gLd", rand(rng, n, -1, 1), n).out("gx", n, d);
        ib.in("gx", rand(rng, c, -1, 1), n, d).in("gLd", rand(rng, n, -1, 1), n).out("gy", n, d);
        if (slope || affine) {
            bw.matmul().acc("ga", rand(rng, 1, -1, 1), 1);
            ib.matmul().acc("ga", rand(rng, 1, -1, 1), 1);
        }
        if (affine) {
            bw.acc("gb", rand(rng, 1, -1, 1), 1);
            ib.acc("gb", rand(rng, 1, -1, 1), 1);
        }
        if (bench) {
            fw.traffic(rowBytes, flops);
            iv.traffic(rowBytes, flops);
            bw.traffic(backBytes, flops);
            ib.traffic(backBytes, flops);
        }
        switch (kind) {
            case CpuPointwise.SIGMOID -> {
                cs.add(fw.run((be, g) -> be.pointwise().sigmoidForward(g.t("x"), g.t("y"), g.t("ld"))));
                cs.add(iv.run((be, g) -> be.pointwise().sigmoidInverse(g.t("y"), g.t("x"), g.t("ld"))));
                cs.add(bw.run((be, g) -> be.pointwise().sigmoidBackward(g.t("x"), g.t("gy"), g.t("gLd"), g.t("gx"))));
                cs.add(ib.run((be, g) -> be.pointwise().sigmoidInverseBackward(g.t("x"), g.t("gx"), g.t("gLd"), g.t("gy"))));
            }
            case CpuPointwise.LOGIT_MAP -> {
                cs.add(fw.run((be, g) -> be.pointwise().logitMapForward(g.t("x"), g.t("y"), g.t("ld"))));
                cs.add(iv.run((be, g) -> be.pointwise().logitMapInverse(g.t("y"), g.t("x"), g.t("ld"))));
                cs.add(bw.run((be, g) -> be.pointwise().logitMapBackward(g.t("x"), g.t("gy"), g.t("gLd"), g.t("gx"))));
                cs.add(ib.run((be, g) -> be.pointwise().logitMapInverseBackward(g.t("x"), g.t("gx"), g.t("gLd"), g.t("gy"))));
            }
            case CpuPointwise.TANH -> {
                cs.add(fw.run((be, g) -> be.pointwise().tanhForward(g.t("x"), g.t("y"), g.t("ld"))));
                cs.add(iv.run((be, g) -> be.pointwise().tanhInverse(g.t("y"), g.t("x"), g.t("ld"))));
                cs.add(bw.run((be, g) -> be.pointwise().tanhBackward(g.t("x"), g.t("gy"), g.t("gLd"), g.t("gx"))));
                cs.add(ib.run((be, g) -> be.pointwise().tanhInverseBackward(g.t("x"), g.t("gx"), g.t("gLd"), g.t("gy"))));
            }
            case CpuPointwise.LEAKY_RELU -> {
                cs.add(fw.run((be, g) -> be.pointwise().leakyReluForward(g.t("x"), g.t("a"), g.t("y"), g.t("ld"))));
                cs.add(iv.run((be, g) -> be.pointwise().leakyReluInverse(g.t("y"), g.t("a"), g.t("x"), g.t("ld"))));
                cs.add(bw.run((be, g) -> be.pointwise().leakyReluBackward(g.t("x"), g.t("a"), g.t("gy"), g.t("gLd"), g.t("gx"), g.t("ga"))));
                cs.add(ib.run((be, g) -> be.pointwise().leakyReluInverseBackward(g.t("x"), g.t("a"), g.t("gx"), g.t("gLd"), g.t("gy"), g.t("ga"))));
            }
            default -> {
                cs.add(fw.run((be, g) -> be.pointwise().scalarAffineForward(g.t("x"), g.t("a"), g.t("b"), g.t("y"), g.t("ld"))));
                cs.add(iv.run((be, g) -> be.pointwise().scalarAffineInverse(g.t("y"), g.t("a"), g.t("b"), g.t("x"), g.t("ld"))));
                cs.add(bw.run((be, g) -> be.pointwise().scalarAffineBackward(g.t("x"), g.t("a"), g.t("b"), g.t("gy"), g.t("gLd"), g.t("gx"), g.t("ga"), g.t("gb"))));
                cs.add(ib.run((be, g) -> be.pointwise().scalarAffineInverseBackward(g.t("x"), g.t("a"), g.t("b"), g.t("gx"), g.t("gLd"), g.t("gy"), g.t("ga"), g.t("gb"))));
            }
        }
    }

    private static void mixture(List<KernelCase> cs, int n, int d, int k, boolean logit, SplittableRandom rng, boolean bench) {
        String nd = n + "x" + d + " K" + k + (logit ? " logit" : "");
        int c = n * d, dk = d * k;
        float[] a = rand(rng, dk, -1, 1), mu = rand(rng, dk, -2, 2), ls = rand(rng, dk, -1, 0.5);
        float[] x = logit ? withEdges(rng, c, -4, 4, 60f, -60f, 1e4f, -1e4f, 8f, -8f) : withEdges(rng, c, -4, 4, 8f, -8f, 0f);
        float[] y = logit ? withEdges(rng, c, -6, 6, 30f, -30f, 0f) : withEdges(rng, c, 0.001, 0.999, 1e-6f, 0.999999f, 0.5f);
        float[] xb = withEdges(rng, c, -4, 4, 8f, -8f, 0f);
        KernelCase.Builder fw = KernelCase.of("mixCdfForward", nd).matmul().in("x", x, n, d);
        KernelCase.Builder iv = KernelCase.of("mixCdfInverse", nd).matmul().in("y", y, n, d);
        KernelCase.Builder bw = KernelCase.of("mixCdfBackward", nd).matmul().in("x", xb, n, d);
        for (KernelCase.Builder q : List.of(fw, iv, bw)) q.in("logits", a, d, k).in("means", mu, d, k).in("logScales", ls, d, k);
        fw.out("y", n, d).acc("ld", rand(rng, n, -5, 5), n);
        iv.out("x", n, d).acc("ld", rand(rng, n, -5, 5), n);
        bw.in("gy", rand(rng, c, -1, 1), n, d).in("gLd", rand(rng, n, -1, 1), n).out("gx", n, d)
                .acc("gLogits", rand(rng, dk, -1, 1), d, k).acc("gMeans", rand(rng, dk, -1, 1), d, k).acc("gLogScales", rand(rng, dk, -1, 1), d, k);
        if (bench) {
            // FLOPs (estimates, exp/log counted as one): ~60 per component and evaluation (log Φ by series or continued
            // fraction ~40, the three log-sum-exps ~20); the inverse ~30 evaluations; the backward two evaluations + ~40
            double ev = 60.0 * c * k, f = 4.0;
            fw.traffic(f * (2.0 * c + 3 * dk + 2 * n), ev);
            iv.traffic(f * (2.0 * c + 3 * dk + 2 * n), 30 * ev);
            bw.traffic(f * (3.0 * c + n + 6 * dk), 2 * ev + 40.0 * c * k);
        }
        cs.add(fw.run((be, g) -> be.pointwise().mixCdfForward(g.t("x"), g.t("logits"), g.t("means"), g.t("logScales"), logit, g.t("y"), g.t("ld"))));
        cs.add(iv.run((be, g) -> be.pointwise().mixCdfInverse(g.t("y"), g.t("logits"), g.t("means"), g.t("logScales"), logit, g.t("x"), g.t("ld"))));
        cs.add(bw.run((be, g) -> be.pointwise().mixCdfBackward(g.t("x"), g.t("logits"), g.t("means"), g.t("logScales"), logit, g.t("gy"), g.t("gLd"),
                g.t("gx"), g.t("gLogits"), g.t("gMeans"), g.t("gLogScales"))));
    }

    @Override public List<KernelCase> parity(SplittableRandom rng) {
        List<KernelCase> cs = new ArrayList<>();
        for (int kind = 0; kind < NAMES.length; kind++)
            for (int[] s : SIZES) elementwise(cs, kind, s[0], s[1], rng, false);
        for (int[] s : MIX) for (boolean logit : new boolean[] {false, true}) mixture(cs, s[0], s[1], s[2], logit, rng, false);
        return cs;
    }

    @Override public List<KernelCase> bench(int n, SplittableRandom rng) {
        List<KernelCase> cs = new ArrayList<>();
        for (int kind = 0; kind < NAMES.length; kind++) elementwise(cs, kind, n, 64, rng, true);
        mixture(cs, n, 1, 8, true, rng, true);
        return cs;
    }
}
