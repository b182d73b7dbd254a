package dev.fluvia.backend.conv;

import static dev.fluvia.backend.check.KernelCase.rand;

import dev.fluvia.backend.check.FamilyBench;
import dev.fluvia.backend.check.KernelCase;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** The conv family's validate-and-benchmark entries (cuBLAS + kernels/conv.cu against {@link CpuConv}). */
public final class ConvBench implements FamilyBench {
    @Override public String family() { return "conv"; }

    private static List<KernelCase> cases(SplittableRandom rng, int k, int n, int ci, int co, int h, int w, boolean traffic) {
        String size = "k" + k + " " + n + "x" + ci + "x" + h + "x" + w + "->" + co;
        float[] x = rand(rng, n * ci * h * w, -2, 2), wt = rand(rng, co * ci * k * k, -0.5, 0.5);
        double flops = traffic ? 2.0 * n * co * ci * k * k * h * w : 0, bytes = traffic ? 4.0 * ((double) n * (ci + co) * h * w + co * ci * k * k) : 0;
        return List.of(
                KernelCase.of("conv2dForward", size).matmul().in("x", x, n, ci, h, w).in("w", wt, co, ci, k, k).in("bias", rand(rng, co, -1, 1), co)
                        .out("y", n, co, h, w).traffic(bytes, flops)
                        .run((be, a) -> be.conv().conv2dForward(a.t("x"), a.t("w"), a.t("bias"), a.t("y"))),
                KernelCase.of("conv2dBackward", size).matmul().in("x", x, n, ci, h, w).in("w", wt, co, ci, k, k).in("gy", rand(rng, n * co * h * w, -1, 1), n, co, h, w)
                        .out("gx", n, ci, h, w).acc("gw", rand(rng, co * ci * k * k, -1, 1), co, ci, k, k).acc("gb", rand(rng, co, -1, 1), co)
                        .traffic(2 * bytes, 2 * flops)
                        .run((be, a) -> be.conv().conv2dBackward(a.t("x"), a.t("w"), a.t("gy"), a.t("gx"), a.t("gw"), a.t("gb"))));
    }

    @Override public List<KernelCase> parity(SplittableRandom rng) {
        List<KernelCase> cs = new ArrayList<>();
        for (int k : new int[] {1, 3})
            for (int[] s : new int[][] {{1, 3, 5, 4, 7}, {37, 8, 16, 6, 6}, {5, 12, 3, 16, 16}}) cs.addAll(cases(rng, k, s[0], s[1], s[2], s[3], s[4], false));
        return cs;
    }

    @Override public List<KernelCase> bench(int n, SplittableRandom rng) {
        List<KernelCase> cs = new ArrayList<>(cases(rng, 3, Math.max(1, n / 64), 48, 512, 16, 16, true));
        cs.addAll(cases(rng, 1, Math.max(1, n / 64), 512, 512, 16, 16, true));
        return cs;
    }
}
