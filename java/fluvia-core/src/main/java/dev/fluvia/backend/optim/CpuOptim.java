package dev.fluvia.backend.optim;

import static dev.fluvia.backend.cpu.CpuBackend.h;
import static dev.fluvia.backend.cpu.CpuBackend.ix;

import dev.fluvia.backend.OpChecks;
import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.backend.cpu.VecOps;
import dev.fluvia.tensor.Index;
import dev.fluvia.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** The CPU reference of the optim ops ({@link OptimOps}): chunked over rows, reductions in a fixed order. */
public final class CpuOptim implements OptimOps {
    private static final long TRANSCENDENTAL = CpuBackend.TRANSCENDENTAL;
    private final CpuBackend cpu;

    public CpuOptim(CpuBackend cpu) { this.cpu = cpu; }

    private static int hw(Tensor x) { return OpChecks.planeSize(x); }

    private static float get(MemorySegment s, long i) { return s.getAtIndex(ValueLayout.JAVA_FLOAT, i); }
    private static void set(MemorySegment s, long i, float v) { s.setAtIndex(ValueLayout.JAVA_FLOAT, i, v); }

    @Override public void adamUpdate(Tensor p, Tensor g, Tensor m, Tensor v, float lr, float beta1, float beta2, float eps, float weightDecay, int step) {
        OptimOps.Checks.adamUpdate(p, g, m, v);
        // float32 throughout, the same operations in the same order on the vector and the scalar path
        float bc1 = (float) (1 - Math.pow(beta1, step)), bc2 = (float) (1 - Math.pow(beta2, step));
        float omb1 = 1f - beta1, omb2 = 1f - beta2;
        MemorySegment ps = h(p).segment(), gs = h(g).segment(), ms = h(m).segment(), vs = h(v).segment();
        cpu.forFlat(p.numel(), (lo, hi) -> {
            long i = cpu.vectorized() ? VecOps.adam(ps, gs, ms, vs, lo, hi, beta1, beta2, omb1, omb2, bc1, bc2, eps, lr, weightDecay) : lo;
            for (; i < hi; i++) {
                float gi = get(gs, i);
                float mi = get(ms, i) * beta1 + gi * omb1;
                float vi = get(vs, i) * beta2 + gi * omb2 * gi;
                set(ms, i, mi); set(vs, i, vi);
                float upd = mi / bc1 / ((float) Math.sqrt(vi / bc2) + eps);
                float pi = get(ps, i);
                set(ps, i, pi - (upd + pi * weightDecay) * lr);
            }
        });
    }

    /** The status's clip factor applied to g in place (as GradClip does), or null when the step is skipped. */
    private double[] stepArgs(Tensor g, dev.fluvia.backend.reduce.StepStatus st) {
        double[] s = dev.fluvia.backend.reduce.CpuReduce.slots(st);
        if (s[dev.fluvia.backend.reduce.StepStatus.SKIP] != 0) return null;
        float scale = (float) s[dev.fluvia.backend.reduce.StepStatus.SCALE];
        if (scale != 1f) cpu.elementwise().scale(g, scale);
        return new double[] {s[dev.fluvia.backend.reduce.StepStatus.LR], s[dev.fluvia.backend.reduce.StepStatus.T]};
    }

    @Override public void adamStep(Tensor p, Tensor g, Tensor m, Tensor v, dev.fluvia.backend.reduce.StepStatus st, float beta1, float beta2, float eps, float weightDecay) {
        OptimOps.Checks.adamStep(p, g, m, v);
        double[] a = stepArgs(g, st);
        if (a != null) adamUpdate(p, g, m, v, (float) a[0], beta1, beta2, eps, weightDecay, (int) a[1]);
    }

    @Override public void adamaxStep(Tensor p, Tensor g, Tensor m, Tensor u, dev.fluvia.backend.reduce.StepStatus st, float beta1, float beta2, float eps) {
        OptimOps.Checks.adamaxStep(p, g, m, u);
        double[] a = stepArgs(g, st);
        if (a != null) adamaxUpdate(p, g, m, u, (float) a[0], beta1, beta2, eps, (int) a[1]);
    }

    @Override public void adamaxUpdate(Tensor p, Tensor g, Tensor m, Tensor u, float lr, float beta1, float beta2, float eps, int step) {
        OptimOps.Checks.adamaxUpdate(p, g, m, u);
        double bc1 = 1 - Math.pow(beta1, step);
        MemorySegment ps = h(p).segment(), gs = h(g).segment(), ms = h(m).segment(), us = h(u).segment();
        for (long i = 0, n = p.numel(); i < n; i++) {
            float gi = get(gs, i);
            float mi = beta1 * get(ms, i) + (1 - beta1) * gi;
            float ui = Math.max(beta2 * get(us, i), Math.abs(gi));
            set(ms, i, mi); set(us, i, ui);
            set(ps, i, (float) (get(ps, i) - lr / bc1 * mi / (ui + eps)));
        }
    }
}
