package dev.fluvia.backend.maf;

import static dev.fluvia.backend.check.KernelCase.BATCHES;
import static dev.fluvia.backend.check.KernelCase.DIMS;
import static dev.fluvia.backend.check.KernelCase.perm;
import static dev.fluvia.backend.check.KernelCase.rand;

import dev.fluvia.backend.Activation;
import dev.fluvia.backend.check.FamilyBench;
import dev.fluvia.backend.check.KernelCase;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/** The MAF family's validate-and-benchmark entries (kernels/maf.cu against {@link CpuMaf}). */
public final class MafBench implements FamilyBench {
    @Override public String family() { return "maf"; }

    private static List<KernelCase> forwardBackward(SplittableRandom rng, int n, int d, double f) {
        String nd = n + "x" + d;
        return List.of(
                KernelCase.of("mafForward", nd).in("x", rand(rng, n * d, -3, 3), n, d).in("h", rand(rng, n * 2 * d, -3, 3), n, 2 * d)
                        .out("z", n, d).acc("ld", rand(rng, n, -5, 5), n).traffic(f * 4.0 * n * d, 0)
                        .run((be, a) -> be.maf().mafForward(a.t("x"), a.t("h"), 2f, a.t("z"), a.t("ld"))),
                KernelCase.of("mafBackward", nd).in("x", rand(rng, n * d, -3, 3), n, d).in("h", rand(rng, n * 2 * d, -3, 3), n, 2 * d)
                        .in("gz", rand(rng, n * d, -1, 1), n, d).in("gLd", rand(rng, n, -1, 1), n).out("gx", n, d).out("gh", n, 2 * d)
                        .traffic(f * 7.0 * n * d, 0)
                        .run((be, a) -> be.maf().mafBackward(a.t("x"), a.t("h"), 2f, a.t("gz"), a.t("gLd"), a.t("gx"), a.t("gh"))));
    }

    /** mafInverse through a MADE of {@code layers} layers (widths {@code hidden}, output 2D), small weights (well-conditioned recursion). */
    private static KernelCase inverse(SplittableRandom rng, int n, int d, int layers, int hidden, Activation act, int[] order, boolean traffic) {
        KernelCase.Builder b = KernelCase.of("mafInverse", n + "x" + d + " layers " + layers + " hidden " + hidden).matmul();
        String[] ws = new String[layers], bs = new String[layers];
        int in = d;
        double flops = 0;
        for (int l = 0; l < layers; l++) {
            int o = l == layers - 1 ? 2 * d : hidden;
            ws[l] = "w" + l;
            bs[l] = "b" + l;
            b.in(ws[l], rand(rng, o * in, -0.3 / Math.sqrt(in), 0.3 / Math.sqrt(in)), o, in).in(bs[l], rand(rng, o, -0.2, 0.2), o);
            flops += 2.0 * o * in;
            in = o;
        }
        final double fl = flops * n * d;
        return b.index("order", order).in("z", rand(rng, n * d, -2, 2), n, d).out("x", n, d).acc("ld", rand(rng, n, -5, 5), n)
                .traffic(traffic ? 4.0 * 2 * n * d : 0, traffic ? fl : 0)
                .run((be, a) -> be.maf().mafInverse(a.ts(ws), a.ts(bs), act, a.ix("order"), 2f, a.t("z"), a.t("x"), a.t("ld")));
    }

    @Override public List<KernelCase> parity(SplittableRandom rng) {
        List<KernelCase> cs = new ArrayList<>();
        for (int d : DIMS) for (int n : BATCHES) cs.addAll(forwardBackward(rng, n, d, 0));
        for (int d : DIMS) for (int layers = 1; layers <= 3; layers++)
            cs.add(inverse(rng, d == 784 ? 5 : 37, d, layers, d == 784 ? 64 : 2 * d + 7, Activation.TANH, perm(rng, d), false));
        return cs;
    }

    @Override public List<KernelCase> bench(int n, SplittableRandom rng) {
        List<KernelCase> cs = new ArrayList<>(forwardBackward(rng, n, 784, 4.0));
        cs.add(inverse(rng, n, 64, 3, 1024, Activation.RELU, IntStream.range(0, 64).toArray(), true));
        return cs;
    }
}
