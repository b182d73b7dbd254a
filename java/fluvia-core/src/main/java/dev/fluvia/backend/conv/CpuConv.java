package dev.fluvia.backend.conv;

import static dev.fluvia.backend.cpu.CpuBackend.h;
import static dev.fluvia.backend.cpu.CpuBackend.ix;

import dev.fluvia.backend.OpChecks;
import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.backend.cpu.DirectConv;
import dev.fluvia.backend.cpu.VecOps;
import dev.fluvia.tensor.Index;
import dev.fluvia.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** The CPU reference of the conv ops ({@link ConvOps}): chunked over rows, reductions in a fixed order. */
public final class CpuConv implements ConvOps {
    private static final long TRANSCENDENTAL = CpuBackend.TRANSCENDENTAL;
    private final CpuBackend cpu;

    public CpuConv(CpuBackend cpu) { this.cpu = cpu; }

    private static int hw(Tensor x) { return OpChecks.planeSize(x); }

    private static float get(MemorySegment s, long i) { return s.getAtIndex(ValueLayout.JAVA_FLOAT, i); }
    private static void set(MemorySegment s, long i, float v) { s.setAtIndex(ValueLayout.JAVA_FLOAT, i, v); }

    /** W'[c, (o·k + i)·k + j] = W[o, c, k−1−i, k−1−j]: the weights of the transposed convolution, in a scoped buffer. */
    private MemorySegment flippedTranspose(MemorySegment ws, int co, int ci, int k) {
        int kk = k * k;
        MemorySegment wf = h(cpu.alloc(ci, co * kk)).segment();
        for (int o = 0; o < co; o++)
            for (int c = 0; c < ci; c++)
                for (int t = 0; t < kk; t++)
                    set(wf, ((long) c * co + o) * kk + t, get(ws, ((long) o * ci + c) * kk + kk - 1 - t));
        return wf;
    }

    /**
     * y = W ⋆ x + b by the direct kernel ({@link DirectConv#forward}): every output is one fma chain over the taps
     * (c, i, j) in order, plus the bias; samples and output channels are split over the pool without any reduction
     * between tasks, so the result does not depend on the thread count.
     */
    @Override public void conv2dForward(Tensor x, Tensor w, Tensor bias, Tensor y) {
        int k = ConvOps.Checks.conv2dForward(x, w, bias, y);
        DirectConv.forward(cpu, h(x).segment(), h(w).segment(), bias == null ? null : h(bias).segment(), x.dim(0), x.dim(1), x.dim(2), x.dim(3), k,
                w.dim(0), h(y).segment());
    }

    /**
     * Gradients of {@link #conv2dForward}: {@code gw +=} {@link DirectConv#weightGrad} (one fma chain per weight over the
     * samples and pixels in order); {@code gx} is the transposed convolution, itself a direct convolution of gy:
     * {@code gx = conv(gy, W')} with W'[c, o, i, j] = W[o, c, k−1−i, k−1−j] (for k = 1 simply Wᵀ), same padding.
     * gb is reduced from gy over fixed 64-sample chunks, as the other bias gradients of the backend.
     */
    @Override public void conv2dBackward(Tensor x, Tensor w, Tensor gy, Tensor gx, Tensor gw, Tensor gb) {
        int k = ConvOps.Checks.conv2dBackward(x, w, gy, gx, gw, gb);
        int n = x.dim(0), ci = x.dim(1), hh = x.dim(2), ww = x.dim(3), co = w.dim(0), hw = hh * ww;
        MemorySegment gys = h(gy).segment();
        DirectConv.weightGrad(cpu, h(x).segment(), gys, n, ci, hh, ww, k, co, h(gw).segment());
        if (gx != null)
            try (var s = cpu.scope()) {
                DirectConv.forward(cpu, gys, flippedTranspose(h(w).segment(), co, ci, k), null, n, co, hh, ww, k, ci, h(gx).segment());
            }
        if (gb != null) {
            MemorySegment gbs = h(gb).segment();
            double[] acc = cpu.reduceRows(n, co, (long) n * co * hw, (lo, hi, a) -> {
                for (int r = lo; r < hi; r++)
                    for (int o = 0; o < co; o++) { // four interleaved partial sums per row, combined in a fixed order
                        long base = ((long) r * co + o) * hw;
                        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
                        int p = 0;
                        for (; p + 4 <= hw; p += 4) {
                            s0 += get(gys, base + p); s1 += get(gys, base + p + 1);
                            s2 += get(gys, base + p + 2); s3 += get(gys, base + p + 3);
                        }
                        for (; p < hw; p++) s0 += get(gys, base + p);
                        a[o] += (s0 + s1) + (s2 + s3);
                    }
            });
            for (int o = 0; o < co; o++) set(gbs, o, (float) (get(gbs, o) + acc[o]));
        }
    }
}
