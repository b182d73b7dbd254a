package dev.fluvia.backend.elementwise;

import static dev.fluvia.backend.check.KernelCase.BATCHES;
import static dev.fluvia.backend.check.KernelCase.DIMS;
import static dev.fluvia.backend.check.KernelCase.rand;

import dev.fluvia.backend.check.FamilyBench;
import dev.fluvia.backend.check.KernelCase;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** The elementwise family's validate-and-benchmark entries (kernels/elementwise.cu against {@link CpuElementwise}). */
public final class ElementwiseBench implements FamilyBench {
    @Override public String family() { return "elementwise"; }

    /** Inputs inside each map's domain (log of positives). */
    private static float[] input(SplittableRandom rng, Unary f, int n) {
        return f == Unary.LOG ? rand(rng, n, 0.01, 5) : rand(rng, n, -4, 4);
    }

    private static List<KernelCase> cases(SplittableRandom rng, int n, int d, boolean all, double f) {
        String nd = n + "x" + d;
        List<KernelCase> cs = new ArrayList<>();
        cs.add(KernelCase.of("scale", nd).acc("t", rand(rng, n * d, -3, 3), n, d).traffic(f * 2.0 * n * d, 0)
                .run((be, a) -> be.elementwise().scale(a.t("t"), -1.7f)));
        cs.add(KernelCase.of("axpy", nd).in("x", rand(rng, n * d, -3, 3), n, d).acc("y", rand(rng, n * d, -3, 3), n, d).traffic(f * 3.0 * n * d, 0)
                .run((be, a) -> be.elementwise().axpy(0.3f, a.t("x"), a.t("y"))));
        for (Unary u : all ? Unary.values() : new Unary[] {Unary.SOFTPLUS})
            cs.add(KernelCase.of("map " + u, nd).in("x", input(rng, u, n * d), n, d).out("y", n, d).traffic(f * 2.0 * n * d, 0)
                    .run((be, a) -> be.elementwise().map(u, a.t("x"), a.t("y"))));
        for (Binary b : all ? Binary.values() : new Binary[] {Binary.MUL}) {
            float[] x = rand(rng, n * d, -3, 3);
            cs.add(KernelCase.of("map " + b + " (same shape)", nd).in("a", x, n, d).in("b", rand(rng, n * d, 0.5, 2), n, d).out("out", n, d)
                    .traffic(f * 3.0 * n * d, 0).run((be, a) -> be.elementwise().map(b, a.t("a"), a.t("b"), a.t("out"))));
            cs.add(KernelCase.of("map " + b + " (row broadcast)", nd).in("a", x, n, d).in("b", rand(rng, d, 0.5, 2), d).out("out", n, d)
                    .traffic(f * 2.0 * n * d, 0).run((be, a) -> be.elementwise().map(b, a.t("a"), a.t("b"), a.t("out"))));
            cs.add(KernelCase.of("map " + b + " (column broadcast)", nd).in("a", x, n, d).in("b", rand(rng, n, 0.5, 2), n, 1).out("out", n, d)
                    .traffic(f * 2.0 * n * d, 0).run((be, a) -> be.elementwise().map(b, a.t("a"), a.t("b"), a.t("out"))));
        }
        cs.add(KernelCase.of("rowSum", nd).in("x", rand(rng, n * d, -3, 3), n, d).out("out", n).traffic(f * n * d, 0)
                .run((be, a) -> be.elementwise().rowSum(a.t("x"), a.t("out"))));
        cs.add(KernelCase.of("rowLogSumExp", nd).in("x", rand(rng, n * d, -30, 30), n, d).out("out", n).traffic(f * n * d, 0)
                .run((be, a) -> be.elementwise().rowLogSumExp(a.t("x"), a.t("out"))));
        return cs;
    }

    @Override public List<KernelCase> parity(SplittableRandom rng) {
        List<KernelCase> cs = new ArrayList<>();
        for (int d : DIMS) for (int n : BATCHES) cs.addAll(cases(rng, n, d, n == 37 || d == 3, 0));
        return cs;
    }

    @Override public List<KernelCase> bench(int n, SplittableRandom rng) { return cases(rng, n, 1024, false, 4.0); }
}
