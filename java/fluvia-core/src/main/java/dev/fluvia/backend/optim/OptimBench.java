package dev.fluvia.backend.optim;

import static dev.fluvia.backend.check.KernelCase.BATCHES;
import static dev.fluvia.backend.check.KernelCase.DIMS;
import static dev.fluvia.backend.check.KernelCase.rand;

import dev.fluvia.backend.check.FamilyBench;
import dev.fluvia.backend.check.KernelCase;
import dev.fluvia.backend.reduce.StepStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** The optim family's validate-and-benchmark entries (kernels/optim.cu against {@link CpuOptim}). */
public final class OptimBench implements FamilyBench {
    @Override public String family() { return "optim"; }

    private static List<KernelCase> cases(SplittableRandom rng, int sz, String size, double f) {
        return List.of(
                KernelCase.of("adamUpdate", size).acc("p", rand(rng, sz, -1, 1), sz).in("g", rand(rng, sz, -1, 1), sz)
                        .acc("m", rand(rng, sz, -0.1, 0.1), sz).acc("v", rand(rng, sz, 0.001, 0.1), sz).traffic(f * 7.0 * sz, 0)
                        .run((be, a) -> be.optim().adamUpdate(a.t("p"), a.t("g"), a.t("m"), a.t("v"), 1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, 7)),
                KernelCase.of("adamaxUpdate", size).acc("p", rand(rng, sz, -1, 1), sz).in("g", rand(rng, sz, -1, 1), sz)
                        .acc("m", rand(rng, sz, -0.1, 0.1), sz).acc("u", rand(rng, sz, 0.001, 0.1), sz).traffic(f * 7.0 * sz, 0)
                        .run((be, a) -> be.optim().adamaxUpdate(a.t("p"), a.t("g"), a.t("m"), a.t("u"), 2e-3f, 0.9f, 0.999f, 1e-8f, 3)));
    }

    /** adamStep / adamaxStep with a status (lr, t, clip factor, skip flag) set on the host. */
    private static List<KernelCase> steps(SplittableRandom rng, int sz, String size, double f, float scale, boolean skip) {
        String what = size + (skip ? " skipped" : scale != 1f ? " clipped" : "");
        return List.of(
                KernelCase.of("adamStep", what).acc("p", rand(rng, sz, -1, 1), sz).in("g", rand(rng, sz, -1, 1), sz)
                        .acc("m", rand(rng, sz, -0.1, 0.1), sz).acc("v", rand(rng, sz, 0.001, 0.1), sz).traffic(f * 7.0 * sz, 0)
                        .run((be, a) -> {
                            try (StepStatus st = status(be, 1e-3, 7, scale, skip)) {
                                be.optim().adamStep(a.t("p"), a.t("g"), a.t("m"), a.t("v"), st, 0.9f, 0.999f, 1e-8f, 0.01f);
                            }
                        }),
                KernelCase.of("adamaxStep", what).acc("p", rand(rng, sz, -1, 1), sz).in("g", rand(rng, sz, -1, 1), sz)
                        .acc("m", rand(rng, sz, -0.1, 0.1), sz).acc("u", rand(rng, sz, 0.001, 0.1), sz).traffic(f * 7.0 * sz, 0)
                        .run((be, a) -> {
                            try (StepStatus st = status(be, 2e-3, 3, scale, skip)) {
                                be.optim().adamaxStep(a.t("p"), a.t("g"), a.t("m"), a.t("u"), st, 0.9f, 0.999f, 1e-8f);
                            }
                        }));
    }

    private static StepStatus status(dev.fluvia.backend.Backend be, double lr, int t, float scale, boolean skip) {
        StepStatus st = be.reduce().stepStatus();
        st.begin(lr, t);
        st.set(StepStatus.SCALE, scale);
        st.set(StepStatus.SKIP, skip ? 1 : 0);
        return st;
    }

    @Override public List<KernelCase> parity(SplittableRandom rng) {
        List<KernelCase> cs = new ArrayList<>();
        for (int d : DIMS) for (int n : BATCHES) cs.addAll(cases(rng, n * d, n + "x" + d, 0));
        for (int sz : new int[] {1, 4097}) {
            cs.addAll(steps(rng, sz, "" + sz, 0, 1f, false));
            cs.addAll(steps(rng, sz, "" + sz, 0, 0.375f, false));
            cs.addAll(steps(rng, sz, "" + sz, 0, 0.375f, true));
        }
        return cs;
    }

    @Override public List<KernelCase> bench(int n, SplittableRandom rng) {
        List<KernelCase> cs = new ArrayList<>(cases(rng, 1 << 22, "4M", 4.0));
        cs.addAll(steps(rng, 1 << 22, "4M", 4.0, 0.375f, false));
        return cs;
    }
}
