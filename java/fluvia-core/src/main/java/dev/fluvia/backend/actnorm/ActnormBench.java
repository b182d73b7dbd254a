package dev.fluvia.backend.actnorm;

import static dev.fluvia.backend.check.KernelCase.BATCHES;
import static dev.fluvia.backend.check.KernelCase.DIMS;
import static dev.fluvia.backend.check.KernelCase.rand;

import dev.fluvia.backend.check.FamilyBench;
import dev.fluvia.backend.check.KernelCase;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/** The actnorm family's validate-and-benchmark entries (kernels/actnorm.cu against {@link CpuActnorm}). */
public final class ActnormBench implements FamilyBench {
    @Override public String family() { return "actnorm"; }

    /** Vectors [N, D] for every D and N, and images [N, C, H, W] with odd H, W. */
    static List<int[]> shapes() {
        List<int[]> s = new ArrayList<>();
        for (int d : DIMS) for (int n : BATCHES) s.add(new int[] {n, d});
        s.add(new int[] {5, 3, 7, 9});
        s.add(new int[] {37, 12, 5, 3});
        s.add(new int[] {67, 2, 1, 1});
        return s;
    }

    static String name(int[] sh) { return String.join("x", Arrays.stream(sh).mapToObj(Integer::toString).toList()); }

    static int total(int[] sh) { int t = 1; for (int v : sh) t *= v; return t; }

    @Override public List<KernelCase> parity(SplittableRandom rng) {
        List<KernelCase> cs = new ArrayList<>();
        for (int[] sh : shapes()) cs.addAll(cases(rng, sh, 0));
        return cs;
    }

    private static List<KernelCase> cases(SplittableRandom rng, int[] sh, double bytesPerElement) {
        int n = sh[0], c = sh[1], total = total(sh);
        String size = name(sh);
        List<KernelCase> cs = new ArrayList<>();
        cs.add(KernelCase.of("actnormForward", size).in("x", rand(rng, total, -3, 3), sh).in("logs", rand(rng, c, -1, 1), c).in("bias", rand(rng, c, -1, 1), c)
                .out("y", sh).acc("ld", rand(rng, n, -5, 5), n).traffic(bytesPerElement * 2 * total, 0)
                .run((be, a) -> be.actnorm().actnormForward(a.t("x"), a.t("logs"), a.t("bias"), a.t("y"), a.t("ld"))));
        cs.add(KernelCase.of("actnormForward (no bias, no ld)", size).in("x", rand(rng, total, -3, 3), sh).in("logs", rand(rng, c, -1, 1), c)
                .out("y", sh).traffic(bytesPerElement * 2 * total, 0)
                .run((be, a) -> be.actnorm().actnormForward(a.t("x"), a.t("logs"), null, a.t("y"), null)));
        cs.add(KernelCase.of("actnormInverse", size).in("y", rand(rng, total, -3, 3), sh).in("logs", rand(rng, c, -1, 1), c).in("bias", rand(rng, c, -1, 1), c)
                .out("x", sh).acc("ld", rand(rng, n, -5, 5), n).traffic(bytesPerElement * 2 * total, 0)
                .run((be, a) -> be.actnorm().actnormInverse(a.t("y"), a.t("logs"), a.t("bias"), a.t("x"), a.t("ld"))));
        cs.add(KernelCase.of("actnormBackward", size).in("x", rand(rng, total, -3, 3), sh).in("logs", rand(rng, c, -1, 1), c)
                .in("gy", rand(rng, total, -1, 1), sh).in("gLd", rand(rng, n, -1, 1), n).out("gx", sh)
                .acc("glogs", rand(rng, c, -1, 1), c).acc("gbias", rand(rng, c, -1, 1), c).traffic(bytesPerElement * 3 * total, 0)
                .run((be, a) -> be.actnorm().actnormBackward(a.t("x"), a.t("logs"), a.t("gy"), a.t("gLd"), a.t("gx"), a.t("glogs"), a.t("gbias"))));
        cs.add(KernelCase.of("actnormInitStats", size).in("x", rand(rng, total, -3, 3), sh).out("mean", c).out("std", c).traffic(bytesPerElement * total, 0)
                .run((be, a) -> be.actnorm().actnormInitStats(a.t("x"), a.t("mean"), a.t("std"))));
        return cs;
    }

    @Override public List<KernelCase> bench(int n, SplittableRandom rng) {
        List<KernelCase> cs = new ArrayList<>(cases(rng, new int[] {n, 784}, 4.0));
        cs.addAll(cases(rng, new int[] {Math.max(1, n / 16), 48, 16, 16}, 4.0).stream().map(c -> new KernelCase(c.op() + " (NCHW)", c.size(), c.atol(),
                c.rtol(), c.args(), c.body(), c.bytes(), c.flops())).toList());
        return cs;
    }
}
