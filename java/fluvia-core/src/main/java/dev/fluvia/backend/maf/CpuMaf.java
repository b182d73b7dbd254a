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
import dev.fluvia.backend.dense.PrefixLayout;

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
        if (layers >= 2 && n > 0 && prefixInverse(w, b, outs, ins, act, ord, clamp, z, x, ld)) return;
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

    /**
     * {@link #mafInverse} through the degree blocks of the MADE ({@link PrefixLayout}, derived from the weights' zero pattern
     * with the input degrees of {@code order}): a hidden unit of key m (it depends on the dims produced at steps &lt; m) is
     * final from step m on, so step s computes only the units of key s — one block of rows per hidden layer, a
     * prefix-sparse product against the units of key ≤ s below — and the two output rows of its dim against the prefix of
     * the last hidden layer it sees. Over the D steps each hidden unit is computed once: the work of one masked forward pass
     * instead of D dense ones, and the activations stay in the chunk's buffers across the steps. The first layer is kept as
     * a pre-activation updated by a rank-1 term per dim, as in the dense path. Returns false (the dense path then runs)
     * when an output row depends on a hidden unit that its dim cannot have yet: weights that are not autoregressive in
     * {@code order}, for which the sampling direction is not the inverse anyway.
     */
    private boolean prefixInverse(float[][] w, float[][] b, int[] outs, int[] ins, Activation act, int[] ord, float clamp,
                                  Tensor z, Tensor x, Tensor ld) {
        int n = z.dim(0), d = z.dim(1), layers = w.length, hid = layers - 1;
        int[] dims = new int[layers + 1];
        dims[0] = d;
        for (int i = 0; i < layers; i++) dims[i + 1] = outs[i];
        int[] mIn = new int[d];
        for (int t = 0; t < d; t++) mIn[ord[t]] = t + 1;
        PrefixLayout lay = PrefixLayout.derive(java.util.Arrays.asList(w), dims, mIn);
        // block bounds: hidden layer l, step s: rows [lo[l][s], lo[l][s + 1]) have key s (keys above d − 1 are never needed)
        int[][] lo = new int[hid][d + 1];
        for (int l = 0; l < hid; l++) {
            int[] keys = lay.keys(l);
            for (int s = 0; s <= d; s++) { int c = 0; while (c < keys.length && keys[c] < s) c++; lo[l][s] = c; }
        }
        int[] outExt = lay.extent(layers - 1);
        for (int j = 0; j < d; j++) { // output rows of dim j may only see hidden units of key < m_in(j)
            int lim = lo[hid - 1][mIn[j]];
            if (outExt[j] > lim || outExt[d + j] > lim) return false;
        }
        int h0 = outs[0];
        float[] w0 = new float[h0 * d], b0 = new float[h0];
        lay.permuteWeight(0, MemorySegment.ofArray(w[0]), null, w0);
        lay.permuteBias(0, b[0], b0);
        float[] wOut = new float[2 * d * ins[layers - 1]];
        lay.permuteWeight(layers - 1, MemorySegment.ofArray(w[layers - 1]), null, wOut);
        // the deeper hidden layers' blocks, contiguous [rows × extent] in off-heap scratch (the GEMM's packing cache keys
        // on addresses), and their permuted biases
        long[][] wOff = new long[hid][d];
        int[][] ext = new int[hid][d];
        long total = 0;
        for (int l = 1; l < hid; l++)
            for (int s = 0; s < d; s++) {
                int e = 0;
                for (int o = lo[l][s]; o < lo[l][s + 1]; o++) e = Math.max(e, lay.extent(l)[o]);
                ext[l][s] = e;
                wOff[l][s] = total;
                total += 4L * (lo[l][s + 1] - lo[l][s]) * e;
            }
        long biasOff = total;
        for (int l = 1; l < hid; l++) total += 4L * outs[l];
        MemorySegment blocks = cpu.takeScratch(Math.max(4, total));
        try {
            for (int l = 1; l < hid; l++) {
                float[] full = new float[outs[l] * ins[l]], pbias = new float[outs[l]];
                lay.permuteWeight(l, MemorySegment.ofArray(w[l]), null, full);
                lay.permuteBias(l, b[l], pbias);
                for (int s = 0; s < d; s++)
                    for (int o = lo[l][s], q = 0; o < lo[l][s + 1]; o++, q++)
                        MemorySegment.copy(full, o * ins[l], blocks, ValueLayout.JAVA_FLOAT, wOff[l][s] + 4L * q * ext[l][s], ext[l][s]);
                long bo = biasOff;
                for (int k = 1; k < l; k++) bo += 4L * outs[k];
                MemorySegment.copy(pbias, 0, blocks, ValueLayout.JAVA_FLOAT, bo, outs[l]);
            }
            MemorySegment zs = h(z).segment(), xs = h(x).segment(), ls = h(ld).segment();
            int maxW = 1;
            for (int l = 0; l < hid; l++) maxW = Math.max(maxW, outs[l]);
            int widest = maxW, kOut = ins[layers - 1];
            cpu.forRows(n, Long.MAX_VALUE, (r0, r1) -> {
                int m = r1 - r0;
                float[] a1 = new float[m * h0];
                for (int r = 0; r < m; r++) System.arraycopy(b0, 0, a1, r * h0, h0);
                float[][] hs = new float[hid][];
                for (int l = 0; l < hid; l++) hs[l] = new float[m * outs[l]];
                double[] acc = new double[m];
                MemorySegment aSeg = cpu.takeScratch(4L * m * widest), cSeg = cpu.takeScratch(4L * m * widest);
                try {
                    for (int s = 0; s < d; s++) {
                        int dim = ord[s];
                        for (int o = lo[0][s]; o < lo[0][s + 1]; o++) // first layer: the units of key s, from the kept pre-activation
                            for (int r = 0; r < m; r++) hs[0][r * h0 + o] = act.apply(a1[r * h0 + o]);
                        for (int l = 1; l < hid; l++) {
                            int rlo = lo[l][s], rows = lo[l][s + 1] - rlo, e = ext[l][s], wl = outs[l], wp = outs[l - 1];
                            if (rows == 0) continue;
                            float[] prev = hs[l - 1], cur = hs[l];
                            for (int r = 0; r < m; r++) MemorySegment.copy(prev, r * wp, aSeg, ValueLayout.JAVA_FLOAT, 4L * r * e, e);
                            long bo = biasOff;
                            for (int k = 1; k < l; k++) bo += 4L * outs[k];
                            cpu.gemmSegments(false, true, m, rows, e, 1f, aSeg, blocks.asSlice(wOff[l][s], Math.max(4, 4L * rows * e)), 0f, cSeg,
                                    blocks.asSlice(bo + 4L * rlo, 4L * rows), act, null);
                            for (int r = 0; r < m; r++) MemorySegment.copy(cSeg, ValueLayout.JAVA_FLOAT, 4L * r * rows, cur, r * wl + rlo, rows);
                        }
                        float[] last = hs[hid - 1];
                        int e1 = outExt[dim], e2 = outExt[d + dim], w1 = dim * kOut, w2 = (d + dim) * kOut;
                        for (int r = 0; r < m; r++) {
                            double s1 = b[layers - 1][dim], s2 = b[layers - 1][d + dim];
                            int hb = r * kOut;
                            for (int q = 0; q < e1; q++) s1 += wOut[w1 + q] * last[hb + q];
                            for (int q = 0; q < e2; q++) s2 += wOut[w2 + q] * last[hb + q];
                            double a = clamp * Math.tanh((float) s2 / clamp);
                            long p = (long) (r0 + r) * d + dim;
                            float xv = (float) (get(zs, p) * Math.exp(a) + (float) s1);
                            set(xs, p, xv);
                            acc[r] += a;
                            for (int o = 0; o < h0; o++) a1[r * h0 + o] += w0[o * d + dim] * xv; // rank-1 update
                        }
                    }
                } finally {
                    cpu.returnScratch(aSeg);
                    cpu.returnScratch(cSeg);
                }
                for (int r = 0; r < m; r++) set(ls, r0 + r, (float) (get(ls, r0 + r) + acc[r]));
            });
        } finally {
            cpu.returnScratch(blocks);
        }
        return true;
    }
}
