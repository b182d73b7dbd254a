package dev.fluvia.backend.lu;

import static dev.fluvia.backend.check.KernelCase.DIMS;
import static dev.fluvia.backend.check.KernelCase.perm;
import static dev.fluvia.backend.check.KernelCase.rand;

import dev.fluvia.backend.check.FamilyBench;
import dev.fluvia.backend.check.KernelCase;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** The LU family's validate-and-benchmark entries (kernels/lu.cu against {@link CpuLu}). */
public final class LuBench implements FamilyBench {
    @Override public String family() { return "lu"; }

    private static float[] signs(SplittableRandom rng, int c) {
        float[] s = new float[c];
        for (int i = 0; i < c; i++) s[i] = rng.nextBoolean() ? 1 : -1;
        return s;
    }

    /** The factors of one C: perm, lower, upper, logs, sign (lower/upper small, so that the solve is well-conditioned). */
    private static KernelCase.Builder factors(KernelCase.Builder b, SplittableRandom rng, int c, int[] p, float[] lo, float[] up, float[] logs, float[] sg) {
        return b.index("perm", p).in("lower", lo, c, c).in("upper", up, c, c).in("logs", logs, c).in("sign", sg, c);
    }

    private static List<KernelCase> cases(SplittableRandom rng, int c, List<int[]> solveShapes, boolean traffic) {
        List<KernelCase> cs = new ArrayList<>();
        int[] p = perm(rng, c);
        float[] lo = rand(rng, c * c, -0.3, 0.3), up = rand(rng, c * c, -0.3, 0.3), logs = rand(rng, c, -0.5, 0.5), sg = signs(rng, c);
        cs.add(factors(KernelCase.of("luAssemble", "C=" + c).matmul(), rng, c, p, lo, up, logs, sg).out("w", c, c)
                .run((be, a) -> be.lu().luAssemble(a.ix("perm"), a.t("lower"), a.t("upper"), a.t("logs"), a.t("sign"), a.t("w"))));
        for (int[] sh : solveShapes) {
            int total = 1;
            for (int v : sh) total *= v;
            String size = String.join("x", java.util.Arrays.stream(sh).mapToObj(Integer::toString).toList());
            double bytes = traffic ? 4.0 * 2 * total : 0, flops = traffic ? 2.0 * c * total : 0;
            cs.add(factors(KernelCase.of("luSolve", size).matmul(), rng, c, p, lo, up, logs, sg).in("y", rand(rng, total, -2, 2), sh).out("x", sh)
                    .traffic(bytes, flops)
                    .run((be, a) -> be.lu().luSolve(a.ix("perm"), a.t("lower"), a.t("upper"), a.t("logs"), a.t("sign"), a.t("y"), a.t("x"))));
        }
        cs.add(factors(KernelCase.of("luWeightBackward", "C=" + c).matmul(), rng, c, p, lo, up, logs, sg).in("gw", rand(rng, c * c, -1, 1), c, c)
                .acc("glower", rand(rng, c * c, -1, 1), c, c).acc("gupper", rand(rng, c * c, -1, 1), c, c).acc("glogs", rand(rng, c, -1, 1), c)
                .run((be, a) -> be.lu().luWeightBackward(a.ix("perm"), a.t("lower"), a.t("upper"), a.t("logs"), a.t("sign"), a.t("gw"),
                        a.t("glower"), a.t("gupper"), a.t("glogs"))));
        return cs;
    }

    @Override public List<KernelCase> parity(SplittableRandom rng) {
        List<KernelCase> cs = new ArrayList<>();
        for (int c : DIMS) {
            if (c == 784) c = 97;  // the CPU reference solve is O(C²) per row; 97 keeps the parity run fast
            cs.addAll(cases(rng, c, List.of(new int[] {37, c}, new int[] {333, c}, new int[] {3, c, 5, 7}), false));
        }
        return cs;
    }

    @Override public List<KernelCase> bench(int n, SplittableRandom rng) {
        return cases(rng, 48, List.of(new int[] {Math.max(1, n / 16), 48, 16, 16}), true);
    }
}
