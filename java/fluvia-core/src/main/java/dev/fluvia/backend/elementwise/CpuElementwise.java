package dev.fluvia.backend.elementwise;

import static dev.fluvia.backend.cpu.CpuBackend.h;

import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.backend.cpu.VecOps;
import dev.fluvia.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** The CPU reference of the elementwise ops ({@link ElementwiseOps}): flat blocks or row chunks, fixed order. */
public final class CpuElementwise implements ElementwiseOps {
    private final CpuBackend cpu;

    public CpuElementwise(CpuBackend cpu) { this.cpu = cpu; }

    private static float get(MemorySegment s, long i) { return s.getAtIndex(ValueLayout.JAVA_FLOAT, i); }
    private static void set(MemorySegment s, long i, float v) { s.setAtIndex(ValueLayout.JAVA_FLOAT, i, v); }

    @Override public void scale(Tensor t, float s) {
        MemorySegment m = h(t).segment();
        cpu.forFlat(t.numel(), (lo, hi) -> {
            long i = cpu.vectorized() ? VecOps.scale(m, s, lo, hi) : lo;
            for (; i < hi; i++) set(m, i, get(m, i) * s);
        });
    }

    @Override public void axpy(float a, Tensor x, Tensor y) {
        Checks.axpy(x, y);
        MemorySegment xs = h(x).segment(), ys = h(y).segment();
        cpu.forFlat(x.numel(), (lo, hi) -> {
            long i = cpu.vectorized() ? VecOps.axpy(a, xs, ys, lo, hi) : lo;
            for (; i < hi; i++) set(ys, i, get(ys, i) + a * get(xs, i));
        });
    }

    @Override public void map(Unary f, Tensor x, Tensor y) {
        Checks.map(x, y);
        MemorySegment xs = h(x).segment(), ys = h(y).segment();
        cpu.forFlat(x.numel(), (lo, hi) -> {
            for (long i = lo; i < hi; i++) set(ys, i, (float) f.apply(get(xs, i)));
        });
    }

    @Override public void map(Binary f, Tensor a, Tensor b, Tensor out) {
        int mode = Checks.map(a, b, out);
        long cols = a.rowSize();
        MemorySegment as = h(a).segment(), bs = h(b).segment(), os = h(out).segment();
        cpu.forFlat(a.numel(), (lo, hi) -> {
            for (long i = lo; i < hi; i++) {
                long bi = mode == 0 ? i : mode == 1 ? i % cols : i / cols;
                set(os, i, (float) f.apply(get(as, i), get(bs, bi)));
            }
        });
    }

    @Override public void rowSum(Tensor x, Tensor out) {
        Checks.rowSum(x, out);
        int n = x.rows(), d = x.rowSize();
        MemorySegment xs = h(x).segment(), os = h(out).segment();
        cpu.forRows(n, (long) n * d, (lo, hi) -> {
            for (int r = lo; r < hi; r++) {
                double s = 0;
                for (int j = 0; j < d; j++) s += get(xs, (long) r * d + j);
                set(os, r, (float) s);
            }
        });
    }

    @Override public void rowLogSumExp(Tensor x, Tensor out) {
        Checks.rowLogSumExp(x, out);
        int n = x.rows(), d = x.rowSize();
        MemorySegment xs = h(x).segment(), os = h(out).segment();
        cpu.forRows(n, (long) n * d * CpuBackend.TRANSCENDENTAL, (lo, hi) -> {
            for (int r = lo; r < hi; r++) {
                double m = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < d; j++) m = Math.max(m, get(xs, (long) r * d + j));
                double s = 0;
                if (m != Double.NEGATIVE_INFINITY) for (int j = 0; j < d; j++) s += Math.exp(get(xs, (long) r * d + j) - m);
                set(os, r, (float) (m == Double.NEGATIVE_INFINITY ? m : m + Math.log(s)));
            }
        });
    }

    /** t[:] = value (the façade's {@code fill}). */
    public void fill(Tensor t, float value) {
        MemorySegment s = h(t).segment();
        cpu.forFlat(t.numel(), (lo, hi) -> {
            long i = cpu.vectorized() ? VecOps.fill(s, value, lo, hi) : lo;
            for (; i < hi; i++) set(s, i, value);
        });
    }
}
