package dev.fluvia.backend.dist;

import static dev.fluvia.backend.check.KernelCase.BATCHES;
import static dev.fluvia.backend.check.KernelCase.DIMS;
import static dev.fluvia.backend.check.KernelCase.rand;

import dev.fluvia.backend.check.FamilyBench;
import dev.fluvia.backend.check.KernelCase;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** The dist family's validate-and-benchmark entries (kernels/dist.cu against {@link CpuDist}). */
public final class DistBench implements FamilyBench {
    @Override public String family() { return "dist"; }

    private static List<KernelCase> vectors(SplittableRandom rng, int n, int d, double f) {
        String nd = n + "x" + d;
        float[] z = rand(rng, n * d, -3, 3), gOut = rand(rng, n, -1, 1), mu = rand(rng, d, -1, 1), ls = rand(rng, d, -0.5, 0.5);
        return List.of(
                KernelCase.of("stdNormalLogProb", nd).in("z", z, n, d).acc("out", rand(rng, n, -5, 5), n).traffic(f * n * d, 0)
                        .run((be, a) -> be.dist().stdNormalLogProb(a.t("z"), a.t("out"))),
                KernelCase.of("stdNormalLogProbBackward", nd).in("z", z, n, d).in("gOut", gOut, n).out("gz", n, d).traffic(f * 2.0 * n * d, 0)
                        .run((be, a) -> be.dist().stdNormalLogProbBackward(a.t("z"), a.t("gOut"), a.t("gz"))),
                KernelCase.of("diagNormalLogProb", nd).in("z", z, n, d).in("mu", mu, d).in("logSigma", ls, d).acc("out", rand(rng, n, -5, 5), n)
                        .traffic(f * n * d, 0)
                        .run((be, a) -> be.dist().diagNormalLogProb(a.t("z"), a.t("mu"), a.t("logSigma"), a.t("out"))),
                KernelCase.of("diagNormalLogProbBackward", nd).in("z", z, n, d).in("mu", mu, d).in("logSigma", ls, d).in("gOut", gOut, n)
                        .out("gz", n, d).acc("gmu", rand(rng, d, -1, 1), d).acc("glogSigma", rand(rng, d, -1, 1), d).traffic(f * 2.0 * n * d, 0)
                        .run((be, a) -> be.dist().diagNormalLogProbBackward(a.t("z"), a.t("mu"), a.t("logSigma"), a.t("gOut"), a.t("gz"), a.t("gmu"), a.t("glogSigma"))));
    }

    /** The per-element conditional Gaussian of images [N, C, H, W] (Glow's learned prior). */
    private static List<KernelCase> conditional(SplittableRandom rng, int[] sh, double f) {
        int n = sh[0], total = 1;
        for (int v : sh) total *= v;
        String size = String.join("x", java.util.Arrays.stream(sh).mapToObj(Integer::toString).toList());
        float[] z = rand(rng, total, -2, 2), mu = rand(rng, total, -1, 1), ls = rand(rng, total, -0.5, 0.5);
        return List.of(
                KernelCase.of("condNormalLogProb", size).in("z", z, sh).in("mu", mu, sh).in("logSigma", ls, sh).acc("out", rand(rng, n, -5, 5), n)
                        .traffic(f * 3.0 * total, 0)
                        .run((be, a) -> be.dist().condNormalLogProb(a.t("z"), a.t("mu"), a.t("logSigma"), a.t("out"))),
                KernelCase.of("condNormalLogProbBackward", size).in("z", z, sh).in("mu", mu, sh).in("logSigma", ls, sh).in("gOut", rand(rng, n, -1, 1), n)
                        .out("gz", sh).out("gmu", sh).out("glogSigma", sh).traffic(f * 6.0 * total, 0)
                        .run((be, a) -> be.dist().condNormalLogProbBackward(a.t("z"), a.t("mu"), a.t("logSigma"), a.t("gOut"), a.t("gz"), a.t("gmu"), a.t("glogSigma"))),
                KernelCase.of("condNormalLogProbBackward (no gz)", size).in("z", z, sh).in("mu", mu, sh).in("logSigma", ls, sh).in("gOut", rand(rng, n, -1, 1), n)
                        .out("gmu", sh).out("glogSigma", sh)
                        .run((be, a) -> be.dist().condNormalLogProbBackward(a.t("z"), a.t("mu"), a.t("logSigma"), a.t("gOut"), null, a.t("gmu"), a.t("glogSigma"))),
                KernelCase.of("condNormalSample", size).in("mu", mu, sh).in("logSigma", ls, sh).in("eps", rand(rng, total, -2, 2), sh).out("z", sh)
                        .traffic(f * 4.0 * total, 0)
                        .run((be, a) -> be.dist().condNormalSample(a.t("mu"), a.t("logSigma"), a.t("eps"), 0.7f, a.t("z"))));
    }

    /** z inside the box [low, high] per row, except every third row, which gets one element outside (or NaN): −∞ there. */
    private static float[] boxed(SplittableRandom rng, int n, int d, float[] lo, float[] hi, boolean nanToo) {
        float[] z = new float[n * d];
        for (int r = 0; r < n; r++) {
            for (int j = 0; j < d; j++) z[r * d + j] = (float) (lo[j] + (hi[j] - lo[j]) * (0.001 + 0.998 * rng.nextDouble()));
            if (r % 3 == 1) {
                int j = rng.nextInt(d);
                z[r * d + j] = rng.nextBoolean() ? hi[j] + 0.5f + (float) rng.nextDouble() : lo[j] - 0.25f;
            }
            if (nanToo && r % 6 == 4) z[r * d + rng.nextInt(d)] = Float.NaN;
            if (r == 0) {  // on the edge: inside the box (the least float > 0 for Beta)
                int j = rng.nextInt(d);
                z[j] = lo[j] == 0 ? Float.MIN_VALUE : lo[j];
            }
        }
        return z;
    }

    /** Uniform draws in (0, 1] with the edge 1 at element 0 (and a tiny one at element 1). */
    private static float[] draws(SplittableRandom rng, int n) {
        float[] u = new float[n];
        for (int i = 0; i < n; i++) u[i] = (float) (1 - rng.nextDouble());
        u[0] = 1f;
        if (n > 1) u[1] = 1e-30f;
        return u;
    }

    private static float[] normals(SplittableRandom rng, int n) {
        float[] e = new float[n];
        for (int i = 0; i < n; i++) e[i] = (float) dev.fluvia.backend.cpu.CpuBackend.gaussian(rng);
        return e;
    }

    /** The zoo bases (issue 11): uniform box, logistic, Beta, Gaussian mixture with k components; f = bytes per element moved. */
    private static List<KernelCase> zoo(SplittableRandom rng, int n, int d, int k, double f) {
        String nd = n + "x" + d, nkd = n + "x" + k + "x" + d;
        List<KernelCase> cs = new ArrayList<>();
        float[] lo = rand(rng, d, -1.5, -0.5), hi = rand(rng, d, 0.5, 1.5), gOut = rand(rng, n, -1, 1);
        float[] zBox = boxed(rng, n, d, lo, hi, true);
        cs.add(KernelCase.of("uniformBoxLogProb", nd).in("z", zBox, n, d).in("low", lo, d).in("high", hi, d).acc("out", rand(rng, n, -5, 5), n)
                .traffic(f * n * d, 0).run((be, a) -> be.dist().uniformBoxLogProb(a.t("z"), a.t("low"), a.t("high"), 1.2345, a.t("out"))));
        cs.add(KernelCase.of("uniformBoxLogProbBackward", nd).in("z", zBox, n, d).in("gOut", gOut, n).out("gz", n, d).traffic(f * n * d, 0)
                .run((be, a) -> be.dist().uniformBoxLogProbBackward(a.t("z"), a.t("gOut"), a.t("gz"))));
        cs.add(KernelCase.of("uniformBoxSample", nd).in("u", draws(rng, n * d), n, d).in("low", lo, d).in("high", hi, d).out("z", n, d)
                .traffic(f * 2.0 * n * d, 0).run((be, a) -> be.dist().uniformBoxSample(a.t("u"), a.t("low"), a.t("high"), a.t("z"))));

        float[] zl = rand(rng, n * d, -8, 8);
        cs.add(KernelCase.of("logisticLogProb", nd).in("z", zl, n, d).acc("out", rand(rng, n, -5, 5), n).traffic(f * n * d, 0)
                .run((be, a) -> be.dist().logisticLogProb(a.t("z"), a.t("out"))));
        cs.add(KernelCase.of("logisticLogProbBackward", nd).in("z", zl, n, d).in("gOut", gOut, n).out("gz", n, d).traffic(f * 2.0 * n * d, 0)
                .run((be, a) -> be.dist().logisticLogProbBackward(a.t("z"), a.t("gOut"), a.t("gz"))));
        cs.add(KernelCase.of("logisticSample", nd).in("u", draws(rng, n * d), n, d).out("z", n, d).traffic(f * 2.0 * n * d, 0)
                .run((be, a) -> be.dist().logisticSample(a.t("u"), 0.8f, a.t("z"))));

        float[] la = rand(rng, d, -1.5, 1.5), lb = rand(rng, d, -1.5, 1.5), zero = new float[d], one = new float[d];
        java.util.Arrays.fill(one, 1f);
        float[] zb = boxed(rng, n, d, zero, one, true);
        cs.add(KernelCase.of("betaLogProb", nd).in("z", zb, n, d).in("logAlpha", la, d).in("logBeta", lb, d).acc("out", rand(rng, n, -5, 5), n)
                .traffic(f * n * d, 0).run((be, a) -> be.dist().betaLogProb(a.t("z"), a.t("logAlpha"), a.t("logBeta"), a.t("out"))));
        cs.add(KernelCase.of("betaLogProbBackward", nd).in("z", zb, n, d).in("logAlpha", la, d).in("logBeta", lb, d).in("gOut", gOut, n)
                .out("gz", n, d).acc("glogAlpha", rand(rng, d, -1, 1), d).acc("glogBeta", rand(rng, d, -1, 1), d).traffic(f * 2.0 * n * d, 0)
                .run((be, a) -> be.dist().betaLogProbBackward(a.t("z"), a.t("logAlpha"), a.t("logBeta"), a.t("gOut"), a.t("gz"), a.t("glogAlpha"), a.t("glogBeta"))));
        cs.add(KernelCase.of("betaLogProbBackward (no gz)", nd).in("z", zb, n, d).in("logAlpha", la, d).in("logBeta", lb, d).in("gOut", gOut, n)
                .acc("glogAlpha", rand(rng, d, -1, 1), d).acc("glogBeta", rand(rng, d, -1, 1), d)
                .run((be, a) -> be.dist().betaLogProbBackward(a.t("z"), a.t("logAlpha"), a.t("logBeta"), a.t("gOut"), null, a.t("glogAlpha"), a.t("glogBeta"))));
        float[] nz = normals(rng, n * d * DistOps.BETA_NORMALS);
        for (int t = 0; t < DistOps.BETA_NORMALS; t++) nz[t] = -10f;  // element 0: every try rejected (1 + c·x ≤ 0): the fallback
        cs.add(KernelCase.of("betaSample", nd).in("logAlpha", la, d).in("logBeta", lb, d).in("normals", nz, n, d * DistOps.BETA_NORMALS)
                .in("uniforms", draws(rng, n * d * DistOps.BETA_UNIFORMS), n, d * DistOps.BETA_UNIFORMS).out("z", n, d)
                .traffic(f * (1.0 + DistOps.BETA_NORMALS + DistOps.BETA_UNIFORMS) * n * d, 0)
                .run((be, a) -> be.dist().betaSample(a.t("logAlpha"), a.t("logBeta"), a.t("normals"), a.t("uniforms"), a.t("z"))));

        float[] lg = rand(rng, k, -1, 1), mu = rand(rng, k * d, -1, 1), ls = rand(rng, k * d, -0.4, 0.4), zg = rand(rng, n * d, -2, 2);
        cs.add(KernelCase.of("gaussianMixtureLogProb", nkd).in("z", zg, n, d).in("logits", lg, k).in("means", mu, k, d).in("logScales", ls, k, d)
                .acc("out", rand(rng, n, -5, 5), n).traffic(f * n * d, 0)
                .run((be, a) -> be.dist().gaussianMixtureLogProb(a.t("z"), a.t("logits"), a.t("means"), a.t("logScales"), a.t("out"))));
        cs.add(KernelCase.of("gaussianMixtureLogProbBackward", nkd).in("z", zg, n, d).in("logits", lg, k).in("means", mu, k, d).in("logScales", ls, k, d)
                .in("gOut", gOut, n).out("gz", n, d).acc("glogits", rand(rng, k, -1, 1), k).acc("gmeans", rand(rng, k * d, -1, 1), k, d)
                .acc("glogScales", rand(rng, k * d, -1, 1), k, d).traffic(f * 2.0 * n * d, 0)
                .run((be, a) -> be.dist().gaussianMixtureLogProbBackward(a.t("z"), a.t("logits"), a.t("means"), a.t("logScales"), a.t("gOut"), a.t("gz"),
                        a.t("glogits"), a.t("gmeans"), a.t("glogScales"))));
        cs.add(KernelCase.of("gaussianMixtureLogProbBackward (no gz)", nkd).in("z", zg, n, d).in("logits", lg, k).in("means", mu, k, d)
                .in("logScales", ls, k, d).in("gOut", gOut, n).acc("glogits", rand(rng, k, -1, 1), k).acc("gmeans", rand(rng, k * d, -1, 1), k, d)
                .acc("glogScales", rand(rng, k * d, -1, 1), k, d)
                .run((be, a) -> be.dist().gaussianMixtureLogProbBackward(a.t("z"), a.t("logits"), a.t("means"), a.t("logScales"), a.t("gOut"), null,
                        a.t("glogits"), a.t("gmeans"), a.t("glogScales"))));
        cs.add(KernelCase.of("gaussianMixtureSample", nkd).in("logits", lg, k).in("means", mu, k, d).in("logScales", ls, k, d).in("u", draws(rng, n), n)
                .in("eps", normals(rng, n * d), n, d).out("z", n, d).traffic(f * 2.0 * n * d, 0)
                .run((be, a) -> be.dist().gaussianMixtureSample(a.t("logits"), a.t("means"), a.t("logScales"), a.t("u"), a.t("eps"), 0.9f, a.t("z"))));
        return cs;
    }

    /** The zoo bases' parity sizes (N, D, K): odd, not multiples of 32, one component and several. */
    private static final int[][] ZOO = {{1, 2, 1}, {37, 3, 3}, {333, 63, 5}, {37, 784, 2}, {70, 5, 40}};

    @Override public List<KernelCase> parity(SplittableRandom rng) {
        List<KernelCase> cs = new ArrayList<>();
        for (int d : DIMS) for (int n : BATCHES) cs.addAll(vectors(rng, n, d, 0));
        for (int[] sh : List.of(new int[] {37, 3, 5, 7}, new int[] {3, 4, 8, 8}, new int[] {1, 1, 1, 1})) cs.addAll(conditional(rng, sh, 0));
        for (int[] z : ZOO) cs.addAll(zoo(rng, z[0], z[1], z[2], 0));
        return cs;
    }

    @Override public List<KernelCase> bench(int n, SplittableRandom rng) {
        List<KernelCase> cs = new ArrayList<>(vectors(rng, n, 784, 4.0));
        cs.addAll(conditional(rng, new int[] {Math.max(1, n / 16), 48, 16, 16}, 4.0));
        cs.addAll(zoo(rng, n, 784, 4, 4.0));
        return cs;
    }
}
