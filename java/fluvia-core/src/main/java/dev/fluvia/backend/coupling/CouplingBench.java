package dev.fluvia.backend.coupling;

import static dev.fluvia.backend.check.KernelCase.BATCHES;
import static dev.fluvia.backend.check.KernelCase.DIMS;
import static dev.fluvia.backend.check.KernelCase.perm;
import static dev.fluvia.backend.check.KernelCase.rand;

import dev.fluvia.backend.CouplingScale;
import dev.fluvia.backend.check.FamilyBench;
import dev.fluvia.backend.check.KernelCase;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/** The coupling family's validate-and-benchmark entries (kernels/coupling.cu against {@link CpuCoupling}). */
public final class CouplingBench implements FamilyBench {
    @Override public String family() { return "coupling"; }

    @Override public List<KernelCase> parity(SplittableRandom rng) {
        List<KernelCase> cs = new ArrayList<>();
        for (int d : DIMS) for (int n : BATCHES) {
            String nd = n + "x" + d;
            // gather / scatterAdd: a full permutation, a subset, and an index list with a repeat (serial scatter)
            int[] p = perm(rng, d);
            int[] sub = Arrays.copyOf(p, Math.min(Math.max(1, d / 2 + 1), d));
            for (int[] ids : List.of(p, sub, new int[] {0, d - 1, 0})) {
                int k = ids.length;
                cs.add(KernelCase.of("gather", nd + " k" + k).in("x", rand(rng, n * d, -2, 2), n, d).index("idx", ids).out("out", n, k)
                        .run((be, a) -> be.coupling().gather(a.t("x"), a.ix("idx"), a.t("out"))));
                cs.add(KernelCase.of("scatterAdd", nd + " k" + k).in("src", rand(rng, n * k, -2, 2), n, k).index("idx", ids)
                        .acc("dst", rand(rng, n * d, -2, 2), n, d)
                        .run((be, a) -> be.coupling().scatterAdd(a.t("src"), a.ix("idx"), a.t("dst"))));
            }
            int k = Math.max(1, d / 2);
            int[] b = Arrays.copyOf(perm(rng, d), k);
            for (CouplingScale sc : CouplingScale.values()) {
                cs.add(KernelCase.of("affineCouplingForward " + sc, nd).in("x", rand(rng, n * d, -3, 3), n, d).in("h", rand(rng, n * 2 * k, -4, 4), n, 2 * k)
                        .index("b", b).out("y", n, d).acc("ld", rand(rng, n, -5, 5), n)
                        .run((be, a) -> be.coupling().affineCouplingForward(a.t("x"), a.t("h"), a.ix("b"), sc, 2f, a.t("y"), a.t("ld"))));
                cs.add(KernelCase.of("affineCouplingInverse " + sc, nd).in("y", rand(rng, n * d, -3, 3), n, d).in("h", rand(rng, n * 2 * k, -4, 4), n, 2 * k)
                        .index("b", b).out("x", n, d).acc("ld", rand(rng, n, -5, 5), n)
                        .run((be, a) -> be.coupling().affineCouplingInverse(a.t("y"), a.t("h"), a.ix("b"), sc, 2f, a.t("x"), a.t("ld"))));
                cs.add(KernelCase.of("affineCouplingBackward " + sc, nd).in("x", rand(rng, n * d, -3, 3), n, d).in("h", rand(rng, n * 2 * k, -4, 4), n, 2 * k)
                        .index("b", b).in("gy", rand(rng, n * d, -1, 1), n, d).in("gLd", rand(rng, n, -1, 1), n).out("gx", n, d).out("gh", n, 2 * k)
                        .run((be, a) -> be.coupling().affineCouplingBackward(a.t("x"), a.t("h"), a.ix("b"), sc, 2f, a.t("gy"), a.t("gLd"), a.t("gx"), a.t("gh"))));
            }
            cs.add(KernelCase.of("additiveCouplingForward", nd).in("x", rand(rng, n * d, -3, 3), n, d).in("m", rand(rng, n * k, -3, 3), n, k)
                    .index("b", b).out("y", n, d)
                    .run((be, a) -> be.coupling().additiveCouplingForward(a.t("x"), a.t("m"), a.ix("b"), a.t("y"))));
            cs.add(KernelCase.of("additiveCouplingInverse", nd).in("y", rand(rng, n * d, -3, 3), n, d).in("m", rand(rng, n * k, -3, 3), n, k)
                    .index("b", b).out("x", n, d)
                    .run((be, a) -> be.coupling().additiveCouplingInverse(a.t("y"), a.t("m"), a.ix("b"), a.t("x"))));
        }
        return cs;
    }

    @Override public List<KernelCase> bench(int n, SplittableRandom rng) {
        int d = 784, k = d / 2;
        int[] p = new int[d];
        for (int i = 0; i < d; i++) p[i] = (i * 389) % d;
        int[] b = Arrays.copyOf(p, k);
        String nd = n + "x" + d;
        double f = 4.0;
        List<KernelCase> cs = new ArrayList<>();
        cs.add(KernelCase.of("affineCouplingForward", nd).in("x", rand(rng, n * d, -2, 2), n, d).in("h", rand(rng, n * 2 * k, -2, 2), n, 2 * k)
                .index("b", b).out("y", n, d).acc("ld", new float[n], n).traffic(f * (2.0 * n * d + 2.0 * n * k), 0)
                .run((be, a) -> be.coupling().affineCouplingForward(a.t("x"), a.t("h"), a.ix("b"), CouplingScale.SOFTCLAMP, 2f, a.t("y"), a.t("ld"))));
        cs.add(KernelCase.of("affineCouplingInverse", nd).in("y", rand(rng, n * d, -2, 2), n, d).in("h", rand(rng, n * 2 * k, -2, 2), n, 2 * k)
                .index("b", b).out("x", n, d).acc("ld", new float[n], n).traffic(f * (2.0 * n * d + 2.0 * n * k), 0)
                .run((be, a) -> be.coupling().affineCouplingInverse(a.t("y"), a.t("h"), a.ix("b"), CouplingScale.SIGMOID, 2f, a.t("x"), a.t("ld"))));
        cs.add(KernelCase.of("affineCouplingBackward", nd).in("x", rand(rng, n * d, -2, 2), n, d).in("h", rand(rng, n * 2 * k, -2, 2), n, 2 * k)
                .index("b", b).in("gy", rand(rng, n * d, -1, 1), n, d).in("gLd", rand(rng, n, -1, 1), n).out("gx", n, d).out("gh", n, 2 * k)
                .traffic(f * (3.0 * n * d + 4.0 * n * k), 0)
                .run((be, a) -> be.coupling().affineCouplingBackward(a.t("x"), a.t("h"), a.ix("b"), CouplingScale.SOFTCLAMP, 2f, a.t("gy"), a.t("gLd"), a.t("gx"), a.t("gh"))));
        cs.add(KernelCase.of("additiveCouplingForward", nd).in("x", rand(rng, n * d, -2, 2), n, d).in("m", rand(rng, n * k, -2, 2), n, k)
                .index("b", b).out("y", n, d).traffic(f * (2.0 * n * d + n * k), 0)
                .run((be, a) -> be.coupling().additiveCouplingForward(a.t("x"), a.t("m"), a.ix("b"), a.t("y"))));
        cs.add(KernelCase.of("additiveCouplingInverse", nd).in("y", rand(rng, n * d, -2, 2), n, d).in("m", rand(rng, n * k, -2, 2), n, k)
                .index("b", b).out("x", n, d).traffic(f * (2.0 * n * d + n * k), 0)
                .run((be, a) -> be.coupling().additiveCouplingInverse(a.t("y"), a.t("m"), a.ix("b"), a.t("x"))));
        cs.add(KernelCase.of("gather (permutation)", nd).in("x", rand(rng, n * d, -2, 2), n, d).index("p", p).out("y", n, d).traffic(f * 2.0 * n * d, 0)
                .run((be, a) -> be.coupling().gather(a.t("x"), a.ix("p"), a.t("y"))));
        cs.add(KernelCase.of("scatterAdd", nd).in("x", rand(rng, n * d, -2, 2), n, d).index("p", p).acc("y", rand(rng, n * d, -2, 2), n, d)
                .traffic(f * 3.0 * n * d, 0)
                .run((be, a) -> be.coupling().scatterAdd(a.t("x"), a.ix("p"), a.t("y"))));
        return cs;
    }
}
