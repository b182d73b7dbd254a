package dev.fluvia.backend.reduce;

import static dev.fluvia.backend.cpu.CpuBackend.h;
import static dev.fluvia.backend.cpu.CpuBackend.ix;

import dev.fluvia.backend.OpChecks;
import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.backend.cpu.VecOps;
import dev.fluvia.tensor.Index;
import dev.fluvia.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

/** The CPU reference of the reduce ops ({@link ReduceOps}): chunked over rows, reductions in a fixed order. */
public final class CpuReduce implements ReduceOps {
    private static final long TRANSCENDENTAL = CpuBackend.TRANSCENDENTAL;
    private final CpuBackend cpu;

    public CpuReduce(CpuBackend cpu) { this.cpu = cpu; }

    private static int hw(Tensor x) { return OpChecks.planeSize(x); }

    private static float get(MemorySegment s, long i) { return s.getAtIndex(ValueLayout.JAVA_FLOAT, i); }
    private static void set(MemorySegment s, long i, float v) { s.setAtIndex(ValueLayout.JAVA_FLOAT, i, v); }

    private double[] flatReduce(Tensor t, boolean squares) {
        MemorySegment s = h(t).segment();
        long n = t.numel();
        int block = 1 << 14;
        int chunks = (int) ((n + block - 1) / block);
        double[] parts = new double[chunks];
        cpu.forChunks(chunks, c -> {
            double a = 0;
            for (long i = (long) c * block, e = Math.min(n, (long) (c + 1) * block); i < e; i++) {
                double v = get(s, i);
                a += squares ? v * v : v;
            }
            parts[c] = a;
        });
        return parts;
    }

    @Override public double sum(Tensor t) {
        double a = 0;
        for (double p : flatReduce(t, false)) a += p;
        return a;
    }

    @Override public double sumSquares(Tensor t) {
        double a = 0;
        for (double p : flatReduce(t, true)) a += p;
        return a;
    }

    @Override public boolean allFinite(Tensor t) {
        MemorySegment s = h(t).segment();
        for (long i = 0, n = t.numel(); i < n; i++) if (!Float.isFinite(get(s, i))) return false;
        return true;
    }

    /** The CPU's step status: host memory, so writes and reads are plain array accesses. */
    public static final class HostStatus extends StepStatus {
        private double[] s = fresh(0, 0);

        @Override public void begin(double lr, int t) { s = fresh(lr, t); }
        @Override public void set(int slot, double value) { s[slot] = value; }
        @Override public double[] read() { return s.clone(); }
        @Override public void close() {}

        /** The live slots (the CPU ops read and write them in place). */
        public double[] slots() { return s; }
    }

    /** The CPU slots of a status, or a clear error for another backend's. */
    public static double[] slots(StepStatus st) {
        if (st instanceof HostStatus h) return h.slots();
        throw new IllegalArgumentException("the CPU backend was given a step status of another backend: " + st);
    }

    @Override public StepStatus stepStatus() { return new HostStatus(); }

    @Override public void sumInto(Tensor t, double divisor, StepStatus st, int slot) {
        java.util.Objects.checkIndex(slot, StepStatus.SLOTS);
        slots(st)[slot] = sum(t) / divisor;
    }

    @Override public void gradStatusInto(List<Tensor> ts, StepStatus st) {
        double[] r = gradStatus(ts), s = slots(st);
        s[StepStatus.BAD] = r[0];
        s[StepStatus.SQ] = r[1];
    }

    @Override public void clipScale(StepStatus st, double maxNorm) {
        double[] s = slots(st);
        boolean skip = !Double.isFinite(s[StepStatus.LOSS]) || s[StepStatus.BAD] != 0;
        double norm = Math.sqrt(s[StepStatus.SQ]);
        s[StepStatus.SKIP] = skip ? 1 : 0;
        s[StepStatus.SCALE] = !skip && maxNorm > 0 && norm > maxNorm && Double.isFinite(norm) ? (float) (maxNorm / norm) : 1f;
    }

    @Override public void addScaledSum(Tensor ld, Tensor v, float mult) {
        ReduceOps.Checks.addScaledSum(ld);
        double s = mult * sum(v);
        MemorySegment l = h(ld).segment();
        for (int i = 0; i < ld.dim(0); i++) set(l, i, (float) (get(l, i) + s));
    }

    @Override public void addScaledTotal(Tensor g, Tensor gLd, float mult) {
        ReduceOps.Checks.addScaledTotal(gLd);
        double s = mult * sum(gLd);
        MemorySegment gs = h(g).segment();
        for (long i = 0; i < g.numel(); i++) set(gs, i, (float) (get(gs, i) + s));
    }
}
