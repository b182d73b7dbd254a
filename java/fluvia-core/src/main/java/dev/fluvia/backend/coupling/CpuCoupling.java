package dev.fluvia.backend.coupling;

import static dev.fluvia.backend.cpu.CpuBackend.h;
import static dev.fluvia.backend.cpu.CpuBackend.ix;

import dev.fluvia.backend.OpChecks;
import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.tensor.Index;
import dev.fluvia.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import dev.fluvia.backend.CouplingScale;

/** The CPU reference of the coupling ops ({@link CouplingOps}): chunked over rows, reductions in a fixed order. */
public final class CpuCoupling implements CouplingOps {
    private static final long TRANSCENDENTAL = CpuBackend.TRANSCENDENTAL;
    private final CpuBackend cpu;

    public CpuCoupling(CpuBackend cpu) { this.cpu = cpu; }

    private static float get(MemorySegment s, long i) { return s.getAtIndex(ValueLayout.JAVA_FLOAT, i); }
    private static void set(MemorySegment s, long i, float v) { s.setAtIndex(ValueLayout.JAVA_FLOAT, i, v); }

    /** log s for SOFTCLAMP, or log sigmoid(h+2) for SIGMOID. */
    static double logScale(CouplingScale sc, float clamp, float raw) {
        if (sc == CouplingScale.SOFTCLAMP) return clamp * Math.tanh(raw / clamp);
        double a = raw + 2.0; // log sigmoid(a) = −softplus(−a)
        return -(Math.max(-a, 0) + Math.log1p(Math.exp(-Math.abs(a))));
    }

    private void additive(Tensor in, Tensor m, Index b, Tensor out, float sign) {
        int n = in.dim(0), d = in.dim(1), k = b.size();
        int[] bi = ix(b);
        MemorySegment is = h(in).segment(), ms = h(m).segment(), os = h(out).segment();
        if (is.address() != os.address()) MemorySegment.copy(is, 0, os, 0, in.numel() * 4);
        cpu.forRows(n, (long) n * k, (lo, hi) -> {
            for (int r = lo; r < hi; r++)
                for (int j = 0; j < k; j++) {
                    long p = (long) r * d + bi[j];
                    set(os, p, get(is, p) + sign * get(ms, (long) r * k + j));
                }
        });
    }

    @Override public void gather(Tensor x, Index idx, Tensor out) {
        CouplingOps.Checks.gather(x, idx, out);
        int n = x.dim(0), d = x.dim(1), k = idx.size();
        int[] id = ix(idx);
        MemorySegment xs = h(x).segment(), os = h(out).segment();
        cpu.forRows(n, (long) n * k, (lo, hi) -> {
            for (int r = lo; r < hi; r++) for (int j = 0; j < k; j++) set(os, (long) r * k + j, get(xs, (long) r * d + id[j]));
        });
    }

    @Override public void scatterAdd(Tensor src, Index idx, Tensor dst) {
        CouplingOps.Checks.scatterAdd(src, idx, dst);
        int n = dst.dim(0), d = dst.dim(1), k = idx.size();
        int[] id = ix(idx);
        MemorySegment ss = h(src).segment(), ds = h(dst).segment();
        cpu.forRows(n, (long) n * k, (lo, hi) -> {
            for (int r = lo; r < hi; r++)
                for (int j = 0; j < k; j++) {
                    long p = (long) r * d + id[j];
                    set(ds, p, get(ds, p) + get(ss, (long) r * k + j));
                }
        });
    }

    @Override public void affineCouplingForward(Tensor x, Tensor h, Index b, CouplingScale sc, float clamp, Tensor y, Tensor ld) {
        CouplingOps.Checks.affineCouplingForward(x, h, b, y, ld);
        int n = x.dim(0), d = x.dim(1), k = b.size();
        int[] bi = ix(b);
        MemorySegment xs = h(x).segment(), hs = h(h).segment(), ys = h(y).segment(), ls = h(ld).segment();
        if (xs.address() != ys.address()) MemorySegment.copy(xs, 0, ys, 0, x.numel() * 4);
        cpu.forRows(n, (long) n * k * TRANSCENDENTAL, (lo, hi) -> {
            for (int r = lo; r < hi; r++) {
                double acc = 0;
                for (int j = 0; j < k; j++) {
                    float raw = get(hs, (long) r * 2 * k + j), t = get(hs, (long) r * 2 * k + k + j);
                    double logs = logScale(sc, clamp, raw);
                    long p = (long) r * d + bi[j];
                    float xv = get(xs, p);
                    float yv = sc == CouplingScale.SOFTCLAMP ? (float) (xv * Math.exp(logs) + t) : (float) ((xv + t) * Math.exp(logs));
                    set(ys, p, yv);
                    acc += logs;
                }
                set(ls, r, (float) (get(ls, r) + acc));
            }
        });
    }

    @Override public void affineCouplingInverse(Tensor y, Tensor h, Index b, CouplingScale sc, float clamp, Tensor x, Tensor ld) {
        CouplingOps.Checks.affineCouplingInverse(y, h, b, x, ld);
        int n = y.dim(0), d = y.dim(1), k = b.size();
        int[] bi = ix(b);
        MemorySegment ys = h(y).segment(), hs = h(h).segment(), xs = h(x).segment(), ls = h(ld).segment();
        if (xs.address() != ys.address()) MemorySegment.copy(ys, 0, xs, 0, y.numel() * 4);
        cpu.forRows(n, (long) n * k * TRANSCENDENTAL, (lo, hi) -> {
            for (int r = lo; r < hi; r++) {
                double acc = 0;
                for (int j = 0; j < k; j++) {
                    float raw = get(hs, (long) r * 2 * k + j), t = get(hs, (long) r * 2 * k + k + j);
                    double logs = logScale(sc, clamp, raw);
                    long p = (long) r * d + bi[j];
                    float yv = get(ys, p);
                    float xv = sc == CouplingScale.SOFTCLAMP ? (float) ((yv - t) * Math.exp(-logs)) : (float) (yv * Math.exp(-logs) - t);
                    set(xs, p, xv);
                    acc -= logs;
                }
                set(ls, r, (float) (get(ls, r) + acc));
            }
        });
    }

    @Override public void affineCouplingBackward(Tensor x, Tensor h, Index b, CouplingScale sc, float clamp,
                                                 Tensor gy, Tensor gLd, Tensor gx, Tensor gh) {
        CouplingOps.Checks.affineCouplingBackward(x, h, b, gy, gLd, gx, gh);
        int n = x.dim(0), d = x.dim(1), k = b.size();
        int[] bi = ix(b);
        MemorySegment xs = h(x).segment(), hs = h(h).segment(), gys = h(gy).segment(), gls = h(gLd).segment(), gxs = h(gx).segment(), ghs = h(gh).segment();
        MemorySegment.copy(gys, 0, gxs, 0, x.numel() * 4);
        cpu.forRows(n, (long) n * k * TRANSCENDENTAL, (lo, hi) -> {
            for (int r = lo; r < hi; r++) {
                float gl = get(gls, r);
                for (int j = 0; j < k; j++) {
                    long hp = (long) r * 2 * k;
                    float raw = get(hs, hp + j), t = get(hs, hp + k + j);
                    long p = (long) r * d + bi[j];
                    float xv = get(xs, p), g = get(gys, p);
                    double gRaw, gT, gX;
                    if (sc == CouplingScale.SOFTCLAMP) {
                        double th = Math.tanh(raw / clamp), logs = clamp * th, s = Math.exp(logs);
                        double gLogs = g * xv * s + gl;          // ∂L/∂log s
                        gRaw = gLogs * (1 - th * th);            // d(c·tanh(h/c))/dh
                        gT = g;
                        gX = g * s;
                    } else {
                        double a = raw + 2.0, s = 1 / (1 + Math.exp(-a));
                        double gS = g * (xv + t);                // ∂L/∂s through y
                        gRaw = gS * s * (1 - s) + gl * (1 - s);  // d log s/da = 1 − s
                        gT = g * s;
                        gX = g * s;
                    }
                    set(gxs, p, (float) gX);
                    set(ghs, hp + j, (float) gRaw);
                    set(ghs, hp + k + j, (float) gT);
                }
            }
        });
    }

    @Override public void additiveCouplingForward(Tensor x, Tensor m, Index b, Tensor y) {
        CouplingOps.Checks.additiveCouplingForward(x, m, b, y);
        additive(x, m, b, y, 1f);
    }

    @Override public void additiveCouplingInverse(Tensor y, Tensor m, Index b, Tensor x) {
        CouplingOps.Checks.additiveCouplingInverse(y, m, b, x);
        additive(y, m, b, x, -1f);
    }
}
