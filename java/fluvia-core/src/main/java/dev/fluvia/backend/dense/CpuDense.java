package dev.fluvia.backend.dense;

import static dev.fluvia.backend.cpu.CpuBackend.h;
import static dev.fluvia.backend.cpu.CpuBackend.ix;

import dev.fluvia.backend.OpChecks;
import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.backend.cpu.VecOps;
import dev.fluvia.tensor.Index;
import dev.fluvia.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import dev.fluvia.backend.Activation;

/** The CPU reference of the dense ops ({@link DenseOps}): chunked over rows, reductions in a fixed order. */
public final class CpuDense implements DenseOps {
    private static final long TRANSCENDENTAL = CpuBackend.TRANSCENDENTAL;
    private final CpuBackend cpu;

    public CpuDense(CpuBackend cpu) { this.cpu = cpu; }

    private static int hw(Tensor x) { return OpChecks.planeSize(x); }

    private static float get(MemorySegment s, long i) { return s.getAtIndex(ValueLayout.JAVA_FLOAT, i); }
    private static void set(MemorySegment s, long i, float v) { s.setAtIndex(ValueLayout.JAVA_FLOAT, i, v); }

    @Override public void gemm(boolean transA, boolean transB, float alpha, Tensor a, Tensor b, float beta, Tensor c) {
        dev.fluvia.backend.OpChecks.GemmDims g = DenseOps.Checks.gemm(transA, transB, a, b, c);
        cpu.gemmSegments(transA, transB, g.m(), g.n(), g.k(), alpha, h(a).segment(), h(b).segment(), beta, h(c).segment(), null, null, null);
    }

    @Override public void linearForward(Tensor x, Tensor w, Tensor bias, Activation act, Tensor pre, Tensor y) {
        DenseOps.Checks.linearForward(x, w, bias, pre, y);
        int n = x.dim(0), in = x.dim(1), out = w.dim(0);
        // y = act(x·wᵀ + bias), with pre = x·wᵀ + bias; bias and activation are applied in the GEMM's write-back
        cpu.gemmSegments(false, true, n, out, in, 1f, h(x).segment(), h(w).segment(), 0f, h(y).segment(),
                bias == null ? null : h(bias).segment(), act, pre == null ? null : h(pre).segment());
    }

    @Override public void mlpForward(Tensor x, java.util.List<Tensor> weights, java.util.List<Tensor> biases,
                                     java.util.List<Index> extents, Activation act, Tensor y) {
        DenseOps.Checks.mlpForward(x, weights, biases, extents, y);
        int n = x.dim(0), layers = weights.size();
        int[] dims = new int[layers + 1];
        dims[0] = x.dim(1);
        for (int i = 0; i < layers; i++) dims[i + 1] = weights.get(i).dim(0);
        if (dev.fluvia.backend.cpu.MlpForward.applies(cpu, n, dims, act)) { // all layers per block of rows, in cache
            MemorySegment[] ws = new MemorySegment[layers], bs = new MemorySegment[layers];
            int[][] ext = new int[layers][];
            for (int i = 0; i < layers; i++) {
                ws[i] = h(weights.get(i)).segment();
                bs[i] = biases.get(i) == null ? null : h(biases.get(i)).segment();
                ext[i] = extents == null || extents.get(i) == null ? null : ix(extents.get(i));
            }
            dev.fluvia.backend.cpu.MlpForward.run(cpu, n, dims, h(x).segment(), ws, bs, ext, act, h(y).segment());
            return;
        }
        // few rows, no Vector API, or an activation without a lane-wise form: the chain of layers
        MlpChain.run(this, x, weights, biases, extents, act, y, width -> cpu.allocUninitialized(n, width), t -> { });
    }

    @Override public void prefixLinearForward(Tensor x, Tensor w, Index extent, Tensor bias, Activation act, Tensor pre, Tensor y) {
        DenseOps.Checks.prefixLinearForward(x, w, extent, bias, pre, y);
        int n = x.dim(0), in = x.dim(1), out = w.dim(0);
        dev.fluvia.backend.cpu.CpuGemm.linearPrefix(cpu, n, out, in, h(x).segment(), h(w).segment(), ix(extent),
                bias == null ? null : h(bias).segment(), act, pre == null ? null : h(pre).segment(), h(y).segment());
    }

    @Override public void activationBackward(Activation act, Tensor pre, Tensor y, Tensor gy, Tensor gpre) {
        DenseOps.Checks.activationBackward(act, pre, y, gy, gpre);
        MemorySegment ps = pre == null ? h(y).segment() : h(pre).segment(), ys = h(y).segment(), g = h(gy).segment(), o = h(gpre).segment();
        int rows = gy.rows(), rs = gy.rowSize();
        cpu.forRows(rows, (long) rows * rs, (lo, hi) -> {
            long i = (long) lo * rs, e = (long) hi * rs;
            if (cpu.vectorized()) i = VecOps.activationBackward(act, ps, ys, g, o, i, e);
            for (; i < e; i++) set(o, i, get(g, i) * act.derivative(get(ps, i), get(ys, i)));
        });
    }

    @Override public void linearBackward(Tensor x, Tensor w, Tensor gpre, Tensor gx, Tensor gw, Tensor gb) {
        DenseOps.Checks.linearBackward(x, w, gpre, gx, gw, gb);
        int n = x.dim(0), in = x.dim(1), out = w.dim(0);
        if (gx != null) {
            cpu.gemmSegments(false, false, n, in, out, 1f, h(gpre).segment(), h(w).segment(), 0f, h(gx).segment(), null, null, null);
        }
        cpu.gemmSegments(true, false, out, in, n, 1f, h(gpre).segment(), h(x).segment(), 1f, h(gw).segment(), null, null, null);
        if (gb != null) biasGradient(n, out, gpre, gb);
    }

    @Override public void prefixLinearBackward(Tensor x, Tensor w, Index extent, Tensor gpre, Tensor gx, Tensor gw, Tensor gb) {
        DenseOps.Checks.prefixLinearBackward(x, w, extent, gpre, gx, gw, gb);
        int n = x.dim(0), in = x.dim(1), out = w.dim(0);
        int[] ext = ix(extent);
        if (gx != null) dev.fluvia.backend.cpu.GemmPrefix.inputGradient(cpu, n, in, out, h(gpre).segment(), h(w).segment(), ext, h(gx).segment());
        dev.fluvia.backend.cpu.GemmPrefix.weightGradient(cpu, n, in, out, h(gpre).segment(), h(x).segment(), ext, h(gw).segment());
        if (gb != null) biasGradient(n, out, gpre, gb);
    }

    /** gb += Σ_n gpre, the order of {@link #linearBackward}. */
    private void biasGradient(int n, int out, Tensor gpre, Tensor gb) {
        MemorySegment g = h(gpre).segment(), b = h(gb).segment();
        // per chunk: float column sums in row order (vectorised across columns); chunks merged in float64, in order
        double[] acc = cpu.reduceRows(n, out, (long) n * out, (lo, hi, a) -> {
            float[] part = new float[out];
            int o = cpu.vectorized() ? VecOps.columnSums(g, out, lo, hi, part) : 0;
            for (; o < out; o++) { float s = 0f; for (int r = lo; r < hi; r++) s += get(g, (long) r * out + o); part[o] = s; }
            for (o = 0; o < out; o++) a[o] += part[o];
        });
        for (int o = 0; o < out; o++) set(b, o, (float) (get(b, o) + acc[o]));
    }

    @Override public void applyMask(Tensor w, Tensor mask, Tensor out) {
        DenseOps.Checks.applyMask(w, mask, out);
        MemorySegment a = h(w).segment(), m = h(mask).segment(), o = h(out).segment();
        for (long i = 0, e = w.numel(); i < e; i++) set(o, i, get(a, i) * get(m, i));
    }

    @Override public void activate(Activation act, Tensor x, Tensor y) {
        DenseOps.Checks.activate(x, y);
        MemorySegment xs = h(x).segment(), ys = h(y).segment();
        cpu.forFlat(x.numel(), (lo, hi) -> {
            long i = cpu.vectorized() ? dev.fluvia.backend.cpu.ActivationVec.apply(act, xs, ys, lo, hi) : lo;
            if (act == Activation.RELU) for (; i < hi; i++) { float v = get(xs, i); set(ys, i, v > 0 ? v : 0f); }
            else for (; i < hi; i++) set(ys, i, act.apply(get(xs, i)));
        });
    }
}
