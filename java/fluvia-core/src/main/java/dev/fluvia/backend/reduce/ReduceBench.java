package dev.fluvia.backend.reduce;

import static dev.fluvia.backend.check.KernelCase.BATCHES;
import static dev.fluvia.backend.check.KernelCase.DIMS;
import static dev.fluvia.backend.check.KernelCase.rand;

import dev.fluvia.backend.check.FamilyBench;
import dev.fluvia.backend.check.KernelCase;
import dev.fluvia.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The reduce family's validate-and-benchmark entries (kernels/reduce.cu against {@link CpuReduce}). The scalar results of
 * {@code sum}, {@code sumSquares}, {@code allFinite} and {@code gradStatus} are written into a small output tensor, so that
 * they are compared like every other output.
 */
public final class ReduceBench implements FamilyBench {
    @Override public String family() { return "reduce"; }

    private static List<KernelCase> flat(SplittableRandom rng, int size, double f) {
        List<KernelCase> cs = new ArrayList<>();
        float[] data = rand(rng, size, -2, 2);
        cs.add(KernelCase.of("sum", "" + size).in("t", data, size).out("r", 1).traffic(f * size, 0)
                .run((be, a) -> be.upload(new float[] {(float) be.reduce().sum(a.t("t"))}, a.t("r"))));
        cs.add(KernelCase.of("sumSquares", "" + size).in("t", data, size).out("r", 1).traffic(f * size, 0)
                .run((be, a) -> be.upload(new float[] {(float) be.reduce().sumSquares(a.t("t"))}, a.t("r"))));
        float[] bad = data.clone();
        bad[size / 2] = Float.NaN;
        float[] inf = data.clone();
        inf[size - 1] = Float.NEGATIVE_INFINITY;
        for (float[] d : List.of(data, bad, inf))
            cs.add(KernelCase.of("allFinite", size + (d == data ? "" : d == bad ? " with a NaN" : " with -inf")).in("t", d, size).out("r", 1).traffic(f * size, 0)
                    .run((be, a) -> be.upload(new float[] {be.reduce().allFinite(a.t("t")) ? 1 : 0}, a.t("r"))));
        return cs;
    }

    private static KernelCase gradStatus(SplittableRandom rng, int[] sizes, boolean nan) {
        KernelCase.Builder b = KernelCase.of("gradStatus", sizes.length + " tensors" + (nan ? " (one NaN)" : ""));
        String[] names = new String[sizes.length];
        for (int i = 0; i < sizes.length; i++) {
            float[] d = rand(rng, sizes[i], -2, 2);
            if (nan && i == sizes.length / 2) d[d.length / 2] = Float.NaN;
            names[i] = "t" + i;
            b.in(names[i], d, sizes[i]);
        }
        return b.out("r", 2).run((be, a) -> {
            List<Tensor> ts = new ArrayList<>(a.ts(names));
            ts.add(null);  // a parameter without a gradient is skipped
            double[] s = be.reduce().gradStatus(ts);
            be.upload(new float[] {s[0] > 0 ? 1 : 0, nan ? 0 : (float) s[1]}, a.t("r"));
        });
    }

    /** The step-status ops: each case writes the slots it checks into the float output r (float32 of the float64 slots). */
    private static List<KernelCase> status(SplittableRandom rng, int size, boolean nan) {
        List<KernelCase> cs = new ArrayList<>();
        String sz = size + (nan ? " (one NaN)" : "");
        float[] data = rand(rng, size, -2, 2);
        if (nan) data[size / 3] = Float.NaN;
        cs.add(KernelCase.of("stepStatus", sz).out("r", 3).run((be, a) -> {
            try (StepStatus st = be.reduce().stepStatus()) {
                st.begin(0.25, 7);
                st.set(StepStatus.LOSS, -1.5);
                double[] r = st.read();
                be.upload(new float[] {(float) r[StepStatus.LR], (float) r[StepStatus.T], (float) r[StepStatus.LOSS]}, a.t("r"));
            }
        }));
        cs.add(KernelCase.of("sumInto", sz).in("t", data, size).out("r", 1).traffic(4.0 * size, 0).run((be, a) -> {
            try (StepStatus st = be.reduce().stepStatus()) {
                st.begin(0, 1);
                be.reduce().sumInto(a.t("t"), -size, st, StepStatus.LOSS);
                double l = st.read()[StepStatus.LOSS];
                be.upload(new float[] {nan ? (Double.isNaN(l) ? 1 : 0) : (float) l}, a.t("r"));
            }
        }));
        int half = size / 2;
        cs.add(KernelCase.of("gradStatusInto", sz).in("t0", java.util.Arrays.copyOf(data, half), half)
                .in("t1", java.util.Arrays.copyOfRange(data, half, size), size - half).out("r", 2).traffic(4.0 * size, 0).run((be, a) -> {
            try (StepStatus st = be.reduce().stepStatus()) {
                st.begin(0, 1);
                List<Tensor> ts = new ArrayList<>(a.ts("t0", "t1"));
                ts.add(null);
                be.reduce().gradStatusInto(ts, st);
                double[] r = st.read();
                be.upload(new float[] {r[StepStatus.BAD] > 0 ? 1 : 0, nan ? 0 : (float) r[StepStatus.SQ]}, a.t("r"));
            }
        }));
        return cs;
    }

    /** clipScale on set slots: {loss, bad, Σg², maxNorm} → r = {scale, skip}. */
    private static KernelCase clipScale(String what, double loss, double bad, double sq, double maxNorm) {
        return KernelCase.of("clipScale", what).out("r", 2).run((be, a) -> {
            try (StepStatus st = be.reduce().stepStatus()) {
                st.begin(0, 1);
                st.set(StepStatus.LOSS, loss);
                st.set(StepStatus.BAD, bad);
                st.set(StepStatus.SQ, sq);
                be.reduce().clipScale(st, maxNorm);
                double[] r = st.read();
                be.upload(new float[] {(float) r[StepStatus.SCALE], (float) r[StepStatus.SKIP]}, a.t("r"));
            }
        });
    }

    private static List<KernelCase> clipScales() {
        return List.of(clipScale("clipped", 0.5, 0, 37.25, 1.5), clipScale("below the norm", 0.5, 0, 1.25, 1.5),
                clipScale("off", 0.5, 0, 1e6, 0), clipScale("non-finite loss", Double.NaN, 0, 4, 1),
                clipScale("infinite loss", Double.POSITIVE_INFINITY, 0, 4, 1), clipScale("non-finite gradient", 0.5, 2, Double.NaN, 1),
                clipScale("infinite norm", 0.5, 0, Double.POSITIVE_INFINITY, 1));
    }

    private static List<KernelCase> logDet(SplittableRandom rng, int n, int d, double f) {
        String nd = n + "x" + d;
        return List.of(
                KernelCase.of("addScaledSum", nd).acc("ld", rand(rng, n, -5, 5), n).in("v", rand(rng, d, -1, 1), d).traffic(f * (2.0 * n + d), 0)
                        .run((be, a) -> be.reduce().addScaledSum(a.t("ld"), a.t("v"), 3f)),
                KernelCase.of("addScaledTotal", nd).acc("g", rand(rng, d, -1, 1), d).in("gLd", rand(rng, n, -1, 1), n).traffic(f * (n + 2.0 * d), 0)
                        .run((be, a) -> be.reduce().addScaledTotal(a.t("g"), a.t("gLd"), -2f)));
    }

    @Override public List<KernelCase> parity(SplittableRandom rng) {
        List<KernelCase> cs = new ArrayList<>();
        for (int size : new int[] {1, 37, 4097, 1_000_003}) cs.addAll(flat(rng, size, 0));
        cs.add(gradStatus(rng, new int[] {1, 37, 4097, 300_001}, false));
        cs.add(gradStatus(rng, new int[] {1, 37, 4097, 300_001}, true));
        for (int d : DIMS) for (int n : BATCHES) cs.addAll(logDet(rng, n, d, 0));
        for (int size : new int[] {1, 4097, 300_001}) cs.addAll(status(rng, size, false));
        cs.addAll(status(rng, 4097, true));
        cs.addAll(clipScales());
        return cs;
    }

    @Override public List<KernelCase> bench(int n, SplittableRandom rng) {
        List<KernelCase> cs = new ArrayList<>(flat(rng, 1 << 22, 4.0).subList(0, 3));
        cs.add(gradStatus(rng, new int[] {1 << 20, 1 << 18, 4097, 64}, false));
        cs.addAll(logDet(rng, n, 784, 4.0));
        cs.addAll(status(rng, 1 << 22, false));
        cs.add(clipScales().get(0));
        return cs;
    }
}
