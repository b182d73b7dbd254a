package dev.fluvia.backend.image;

import static dev.fluvia.backend.cpu.CpuBackend.h;
import static dev.fluvia.backend.cpu.CpuBackend.ix;

import dev.fluvia.backend.OpChecks;
import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.backend.cpu.VecOps;
import dev.fluvia.tensor.Index;
import dev.fluvia.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** The CPU reference of the image ops ({@link ImageOps}): chunked over rows, reductions in a fixed order. */
public final class CpuImage implements ImageOps {
    private static final long TRANSCENDENTAL = CpuBackend.TRANSCENDENTAL;
    private final CpuBackend cpu;

    public CpuImage(CpuBackend cpu) { this.cpu = cpu; }

    private static int hw(Tensor x) { return OpChecks.planeSize(x); }

    private static float get(MemorySegment s, long i) { return s.getAtIndex(ValueLayout.JAVA_FLOAT, i); }
    private static void set(MemorySegment s, long i, float v) { s.setAtIndex(ValueLayout.JAVA_FLOAT, i, v); }

    private void logit(Tensor in, float lambda, Tensor out, Tensor ld, boolean inverse) {
        int n = in.rows(), d = in.rowSize();
        double a = 1 - 2.0 * lambda, logA = Math.log(a);
        MemorySegment is = h(in).segment(), os = h(out).segment(), ls = h(ld).segment();
        cpu.forRows(n, (long) n * d * CpuBackend.TRANSCENDENTAL, (lo, hi) -> {
            for (int r = lo; r < hi; r++) {
                double acc = 0;
                for (int j = 0; j < d; j++) {
                    long i = (long) r * d + j;
                    double v = get(is, i), p;
                    if (inverse) {
                        p = 1 / (1 + Math.exp(-v));
                        set(os, i, (float) ((p - lambda) / a));
                    } else {
                        p = lambda + a * v;
                        set(os, i, (float) (Math.log(p) - Math.log1p(-p)));
                    }
                    acc += logA - Math.log(p) - Math.log1p(-p);
                }
                set(ls, r, (float) (get(ls, r) + (inverse ? -acc : acc)));
            }
        });
    }

    private static void channelCopy(Tensor full, int start, Tensor part, boolean toPart) {
        int n = full.dim(0), c = full.dim(1), cp = part.dim(1);
        long hw = (long) full.dim(2) * full.dim(3), bytes = cp * hw * 4;
        MemorySegment fs = h(full).segment(), ps = h(part).segment();
        for (int r = 0; r < n; r++) {
            long fo = ((long) r * c + start) * hw * 4, po = (long) r * cp * hw * 4;
            if (toPart) MemorySegment.copy(fs, fo, ps, po, bytes); else MemorySegment.copy(ps, po, fs, fo, bytes);
        }
    }

    private void squeezeCopy(Tensor x, Tensor y, boolean toSqueezed) {
        int n = x.dim(0), c = x.dim(1), hh = x.dim(2), ww = x.dim(3), h2 = hh / 2, w2 = ww / 2;
        MemorySegment xs = h(x).segment(), ys = h(y).segment();
        cpu.forRows(n, x.numel(), (lo, hi) -> {
            for (int r = lo; r < hi; r++)
                for (int ch = 0; ch < c; ch++)
                    for (int i = 0; i < 2; i++)
                        for (int j = 0; j < 2; j++)
                            for (int h = 0; h < h2; h++)
                                for (int w = 0; w < w2; w++) {
                                    long yi = (((long) r * 4 * c + 4 * ch + 2 * i + j) * h2 + h) * w2 + w;
                                    long xi = (((long) r * c + ch) * hh + 2 * h + i) * ww + 2 * w + j;
                                    if (toSqueezed) set(ys, yi, get(xs, xi)); else set(xs, xi, get(ys, yi));
                                }
        });
    }

    @Override public void squeeze(Tensor x, Tensor y) {
        ImageOps.Checks.squeeze(x, y);
        squeezeCopy(x, y, true);
    }

    @Override public void unsqueeze(Tensor y, Tensor x) {
        ImageOps.Checks.unsqueeze(y, x);
        squeezeCopy(x, y, false);
    }

    @Override public void sliceChannels(Tensor x, int start, Tensor y) {
        ImageOps.Checks.sliceChannels(x, start, y);
        channelCopy(x, start, y, true);
    }

    @Override public void placeChannels(Tensor src, int start, Tensor dst) {
        ImageOps.Checks.placeChannels(src, start, dst);
        channelCopy(dst, start, src, false);
    }

    @Override public void logitForward(Tensor x, float lambda, Tensor y, Tensor ld) {
        ImageOps.Checks.logitForward(x, lambda, y, ld);
        logit(x, lambda, y, ld, false);
    }

    @Override public void logitInverse(Tensor y, float lambda, Tensor x, Tensor ld) {
        ImageOps.Checks.logitInverse(y, lambda, x, ld);
        logit(y, lambda, x, ld, true);
    }

    @Override public void logitBackward(Tensor x, float lambda, Tensor gy, Tensor gLd, Tensor gx) {
        ImageOps.Checks.logitBackward(x, lambda, gy, gLd, gx);
        int n = x.rows(), d = x.rowSize();
        double a = 1 - 2.0 * lambda;
        MemorySegment xs = h(x).segment(), gys = h(gy).segment(), gls = h(gLd).segment(), gxs = h(gx).segment();
        cpu.forRows(n, (long) n * d * CpuBackend.TRANSCENDENTAL, (lo, hi) -> {
            for (int r = lo; r < hi; r++) {
                double gl = get(gls, r);
                for (int j = 0; j < d; j++) {
                    long i = (long) r * d + j;
                    double p = lambda + a * get(xs, i), q = p * (1 - p);
                    set(gxs, i, (float) (get(gys, i) * a / q + gl * a * (2 * p - 1) / q));
                }
            }
        });
    }
}
