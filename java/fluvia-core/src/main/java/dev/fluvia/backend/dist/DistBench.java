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

    @Override public List<KernelCase> parity(SplittableRandom rng) {
        List<KernelCase> cs = new ArrayList<>();
        for (int d : DIMS) for (int n : BATCHES) cs.addAll(vectors(rng, n, d, 0));
        for (int[] sh : List.of(new int[] {37, 3, 5, 7}, new int[] {3, 4, 8, 8}, new int[] {1, 1, 1, 1})) cs.addAll(conditional(rng, sh, 0));
        return cs;
    }

    @Override public List<KernelCase> bench(int n, SplittableRandom rng) {
        List<KernelCase> cs = new ArrayList<>(vectors(rng, n, 784, 4.0));
        cs.addAll(conditional(rng, new int[] {Math.max(1, n / 16), 48, 16, 16}, 4.0));
        return cs;
    }
}
