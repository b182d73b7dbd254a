package dev.fluvia.backend.maf;

import static dev.fluvia.backend.cpu.CpuBackend.h;
import static dev.fluvia.backend.cpu.CpuBackend.ix;

import dev.fluvia.backend.OpChecks;
import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.tensor.Index;
import dev.fluvia.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import dev.fluvia.backend.Activation;
import java.util.List;

/** The CPU reference of the maf ops ({@link MafOps}): chunked over rows, reductions in a fixed order. */
public final class CpuMaf implements MafOps {
    private static final long TRANSCENDENTAL = CpuBackend.TRANSCENDENTAL;
    private final CpuBackend cpu;

    public CpuMaf(CpuBackend cpu) { this.cpu = cpu; }

    private static int hw(Tensor x) { return OpChecks.planeSize(x); }

    private static float get(MemorySegment s, long i) { return s.getAtIndex(ValueLayout.JAVA_FLOAT, i); }
    private static void set(MemorySegment s, long i, float v) { s.setAtIndex(ValueLayout.JAVA_FLOAT, i, v); }

    @Override public void mafForward(Tensor x, Tensor hh, float clamp, Tensor z, Tensor ld) {
        MafOps.Checks.mafForward(x, hh, z, ld);
        int n = x.dim(0), d = x.dim(1);
        MemorySegment xs = h(x).segment(), hs = h(hh).segment(), zs = h(z).segment(), ls = h(ld).segment();
        cpu.forRows(n, (long) n * d * TRANSCENDENTAL, (lo, hi) -> {
            for (int r = lo; r < hi; r++) {
                double acc = 0;
                for (int j = 0; j < d; j++) {
                    float mu = get(hs, (long) r * 2 * d + j), raw = get(hs, (long) r * 2 * d + d + j);
                    double a = clamp * Math.tanh(raw / clamp);
                    set(zs, (long) r * d + j, (float) ((get(xs, (long) r * d + j) - mu) * Math.exp(-a)));
                    acc -= a;
                }
                set(ls, r, (float) (get(ls, r) + acc));
            }
        });
    }

    @Override public void mafBackward(Tensor x, Tensor hh, float clamp, Tensor gz, Tensor gLd, Tensor gx, Tensor gh) {
        MafOps.Checks.mafBackward(x, hh, gz, gLd, gx, gh);
        int n = x.dim(0), d = x.dim(1);
        MemorySegment xs = h(x).segment(), hs = h(hh).segment(), gzs = h(gz).segment(), gls = h(gLd).segment(), gxs = h(gx).segment(), ghs = h(gh).segment();
        cpu.forRows(n, (long) n * d * TRANSCENDENTAL, (lo, hi) -> {
            for (int r = lo; r < hi; r++) {
                float gl = get(gls, r);
                for (int j = 0; j < d; j++) {
                    long hp = (long) r * 2 * d;
                    float mu = get(hs, hp + j), raw = get(hs, hp + d + j);
                    double th = Math.tanh(raw / clamp), a = clamp * th, e = Math.exp(-a);
                    float xv = get(xs, (long) r * d + j), g = get(gzs, (long) r * d + j);
                    double zv = (xv - mu) * e;
                    double gA = -g * zv - gl;                  // ∂L/∂α: z depends via exp(−α), ld via −α
                    set(gxs, (long) r * d + j, (float) (g * e));
                    set(ghs, hp + j, (float) (-g * e));         // ∂L/∂μ
                    set(ghs, hp + d + j, (float) (gA * (1 - th * th)));
                }
            }
        });
    }

    @Override public void mafInverse(List<Tensor> weights, List<Tensor> biases, Activation act, Index order, float clamp,
                                     Tensor z, Tensor x, Tensor ld) {
        MafOps.Checks.mafInverse(weights, biases, order, z, x, ld);
        int n = z.dim(0), d = z.dim(1), layers = weights.size();
        float[][] w = new float[layers][], b = new float[layers][];
        int[] outs = new int[layers], ins = new int[layers];
        for (int i = 0; i < layers; i++) {
            w[i] = cpu.toHost(weights.get(i)); b[i] = cpu.toHost(biases.get(i));
            outs[i] = weights.get(i).dim(0); ins[i] = weights.get(i).dim(1);
            MafOps.Checks.mafInverseLayer(weights, biases, i);
        }
        int[] ord = ix(order);
        MemorySegment zs = h(z).segment(), xs = h(x).segment(), ls = h(ld).segment();
        MemorySegment[] wseg = new MemorySegment[layers], bseg = new MemorySegment[layers];
        for (int i = 0; i < layers; i++) { wseg[i] = h(weights.get(i)).segment(); bseg[i] = h(biases.get(i)).segment(); }
        // Rows are processed a chunk at a time. The first layer's pre-activation a1 = W1·x + b1 is kept per row and
        // updated by a rank-1 term when x_d is set (no full first-layer pass per dimension); the deeper hidden layers run
        // as one GEMM per chunk and step (bias + activation in the GEMM epilogue); the output layer only for the two
        // rows (μ_d, raw α_d) of the dimension being produced.
        cpu.forRows(n, Long.MAX_VALUE, (lo, hi) -> {
            int m = hi - lo, h0 = outs[0];
            float[] a1 = new float[m * h0];
            for (int r = 0; r < m; r++) System.arraycopy(b[0], 0, a1, r * h0, h0);
            double[] acc = new double[m];
            // hidden activations of this chunk: pooled off-heap scratch of the backend's shared arena, because the GEMM
            // below hands row blocks of it to the pool's worker threads (a confined arena would throw WrongThreadException)
            MemorySegment[] hs = new MemorySegment[layers];
            try {
                for (int L = 0; L < layers - 1; L++) hs[L] = cpu.takeScratch((long) CpuBackend.CHUNK * outs[L] * 4);
                for (int step = 0; step < d; step++) {
                    int dim = ord[step];
                    for (int L = 0; L < layers - 1; L++) {
                        if (L == 0) for (int i = 0; i < m * h0; i++) set(hs[0], i, act.apply(a1[i]));
                        else cpu.gemmSegments(false, true, m, outs[L], ins[L], 1f, hs[L - 1], wseg[L], 0f, hs[L], bseg[L], act, null);
                    }
                    int lo2 = layers - 1, k = ins[lo2];
                    for (int r = 0; r < m; r++) {
                        double mu, raw;
                        if (layers == 1) {
                            mu = a1[r * h0 + dim]; raw = a1[r * h0 + d + dim];
                        } else {
                            MemorySegment prev = hs[lo2 - 1];
                            double s1 = b[lo2][dim], s2 = b[lo2][d + dim];
                            int w1 = dim * k, w2 = (d + dim) * k;
                            for (int q = 0; q < k; q++) {
                                float pv = get(prev, (long) r * k + q);
                                s1 += w[lo2][w1 + q] * pv;
                                s2 += w[lo2][w2 + q] * pv;
                            }
                            mu = (float) s1; raw = (float) s2;
                        }
                        double a = clamp * Math.tanh((float) raw / clamp);
                        long p = (long) (lo + r) * d + dim;
                        float xv = (float) (get(zs, p) * Math.exp(a) + (float) mu);
                        set(xs, p, xv);
                        acc[r] += a;
                        for (int o = 0; o < h0; o++) a1[r * h0 + o] += w[0][o * ins[0] + dim] * xv; // rank-1 update
                    }
                }
            } finally {
                for (MemorySegment seg : hs) if (seg != null) cpu.returnScratch(seg);
            }
            for (int r = 0; r < m; r++) set(ls, lo + r, (float) (get(ls, lo + r) + acc[r]));
        });
    }
}
