package dev.fluvia.backend.image;

import static dev.fluvia.backend.check.KernelCase.rand;

import dev.fluvia.backend.check.FamilyBench;
import dev.fluvia.backend.check.KernelCase;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** The image family's validate-and-benchmark entries (kernels/image.cu against {@link CpuImage}). */
public final class ImageBench implements FamilyBench {
    @Override public String family() { return "image"; }

    private static List<KernelCase> cases(SplittableRandom rng, int n, int c, int h, int w, double f) {
        int total = n * c * h * w;
        String size = n + "x" + c + "x" + h + "x" + w;
        float[] x = rand(rng, total, -2, 2), u = rand(rng, total, 0.02, 0.98), g = rand(rng, n, -1, 1);
        List<KernelCase> cs = new ArrayList<>();
        cs.add(KernelCase.of("squeeze", size).tol(0, 0).in("x", x, n, c, h, w).out("y", n, 4 * c, h / 2, w / 2).traffic(f * 2.0 * total, 0)
                .run((be, a) -> be.image().squeeze(a.t("x"), a.t("y"))));
        cs.add(KernelCase.of("unsqueeze", size).tol(0, 0).in("y", x, n, 4 * c, h / 2, w / 2).out("x", n, c, h, w).traffic(f * 2.0 * total, 0)
                .run((be, a) -> be.image().unsqueeze(a.t("y"), a.t("x"))));
        int cp = Math.max(1, c / 2);
        cs.add(KernelCase.of("sliceChannels", size).tol(0, 0).in("x", x, n, c, h, w).out("y", n, cp, h, w).traffic(f * 2.0 * n * cp * h * w, 0)
                .run((be, a) -> be.image().sliceChannels(a.t("x"), c - cp, a.t("y"))));
        cs.add(KernelCase.of("placeChannels", size).tol(0, 0).in("src", rand(rng, n * cp * h * w, -2, 2), n, cp, h, w).acc("dst", x, n, c, h, w)
                .traffic(f * 2.0 * n * cp * h * w, 0)
                .run((be, a) -> be.image().placeChannels(a.t("src"), c - cp, a.t("dst"))));
        cs.add(KernelCase.of("logitForward", size).in("x", u, n, c, h, w).out("y", n, c, h, w).acc("ld", g, n).traffic(f * 2.0 * total, 0)
                .run((be, a) -> be.image().logitForward(a.t("x"), 0.05f, a.t("y"), a.t("ld"))));
        cs.add(KernelCase.of("logitInverse", size).in("y", x, n, c, h, w).out("x", n, c, h, w).acc("ld", g, n).traffic(f * 2.0 * total, 0)
                .run((be, a) -> be.image().logitInverse(a.t("y"), 0.05f, a.t("x"), a.t("ld"))));
        cs.add(KernelCase.of("logitBackward", size).in("x", u, n, c, h, w).in("gy", rand(rng, total, -1, 1), n, c, h, w).in("gLd", g, n)
                .out("gx", n, c, h, w).traffic(f * 3.0 * total, 0)
                .run((be, a) -> be.image().logitBackward(a.t("x"), 0.05f, a.t("gy"), a.t("gLd"), a.t("gx"))));
        return cs;
    }

    @Override public List<KernelCase> parity(SplittableRandom rng) {
        List<KernelCase> cs = new ArrayList<>(cases(rng, 33, 5, 6, 10, 0));
        cs.addAll(cases(rng, 37, 3, 4, 2, 0));
        cs.addAll(cases(rng, 1, 1, 2, 2, 0));
        return cs;
    }

    @Override public List<KernelCase> bench(int n, SplittableRandom rng) { return cases(rng, Math.max(1, n / 16), 48, 16, 16, 4.0); }
}
