package dev.fluvia.backend.coupling;

import static dev.fluvia.backend.cpu.CpuBackend.h;
import static dev.fluvia.backend.cpu.CpuBackend.ix;

import dev.fluvia.backend.OpChecks;
import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.tensor.Index;
import dev.fluvia.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import dev.fluvia.backend.Activation;
import dev.fluvia.backend.CouplingScale;

/**
 * The CPU reference of the coupling ops ({@link CouplingOps}): chunked over rows, reductions in a fixed order. The affine
 * coupling computes in float32 like its kernel ({@code kernels/coupling.cu}: {@code tanhf}/{@code expf} there,
 * {@link Activation#tanh32} / {@link CouplingMath#exp32} here), the per-row log-det summed in double; rows are staged on the
 * heap in blocks and the soft clamp runs lane-wise across rows ({@link CouplingVec}, the same bits as the scalar loop, so the
 * results do not depend on the thread count).
 */
public final class CpuCoupling implements CouplingOps {
    private static final long TRANSCENDENTAL = CpuBackend.TRANSCENDENTAL;
    private final CpuBackend cpu;

    public CpuCoupling(CpuBackend cpu) { this.cpu = cpu; }

    private static float get(MemorySegment s, long i) { return s.getAtIndex(ValueLayout.JAVA_FLOAT, i); }
    private static void set(MemorySegment s, long i, float v) { s.setAtIndex(ValueLayout.JAVA_FLOAT, i, v); }

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
        int br = blockRows(d, k);
        cpu.forRows(n, (long) n * k, (lo, hi) -> { // staged: rows of x in, rows of out back, in bulk copies
            Stage st = STAGE.get().fit(br, d, k);
            for (int r0 = lo; r0 < hi; r0 += br) {
                int cnt = Math.min(br, hi - r0);
                MemorySegment.copy(xs, ValueLayout.JAVA_FLOAT, (long) r0 * d * 4, st.in, 0, cnt * d);
                for (int i = 0; i < cnt; i++) for (int j = 0; j < k; j++) st.hb[i * k + j] = st.in[i * d + id[j]];
                MemorySegment.copy(st.hb, 0, os, ValueLayout.JAVA_FLOAT, (long) r0 * k * 4, cnt * k);
            }
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

    /**
     * Per-thread staging of a block of rows: the rows of the input and of h copied to the heap, one transformed dim's values
     * gathered into contiguous arrays (so the vector bodies run across rows), the outputs scattered back, the block written out
     * with one bulk copy.
     */
    private static final class Stage {
        float[] in = new float[0], hb = new float[0], gb = new float[0];
        final float[] a = new float[BLOCK], t = new float[BLOCK], x = new float[BLOCK], y = new float[BLOCK], l = new float[BLOCK],
                g = new float[BLOCK], gl = new float[BLOCK];
        final double[] acc = new double[BLOCK];

        Stage fit(int rows, int d, int hk) {
            if (in.length < rows * d) { in = new float[rows * d]; gb = new float[rows * d]; }
            if (hb.length < rows * hk) hb = new float[rows * hk];
            return this;
        }
    }

    /** Most rows per staged block (a multiple of every vector length). */
    static final int BLOCK = 256;
    private static final ThreadLocal<Stage> STAGE = ThreadLocal.withInitial(Stage::new);

    /** Rows per block: at most {@link #BLOCK}, fewer for wide rows (about 64 KiB of staged floats per block). */
    private static int blockRows(int d, int k) {
        int w = Math.max(d, 2 * k), b = Math.max(1, (1 << 14) / Math.max(1, w));
        return b >= BLOCK ? BLOCK : b >= 16 ? b & ~15 : b;
    }

    /**
     * Affine coupling forward ({@code inverse} false: in = x, out = y, ld += Σ log s) or inverse (in = y, out = x,
     * ld −= Σ log s), in float32 like {@code kernels/coupling.cu}; the per-row log-det summed in double in j order.
     */
    private void affine(boolean inverse, Tensor inT, Tensor h, Index b, CouplingScale sc, float clamp, Tensor outT, Tensor ld) {
        int n = inT.dim(0), d = inT.dim(1), k = b.size(), hk = 2 * k;
        int[] bi = ix(b);
        MemorySegment is = h(inT).segment(), hs = h(h).segment(), os = h(outT).segment(), ls = h(ld).segment();
        boolean vec = cpu.vectorized() && sc == CouplingScale.SOFTCLAMP;
        int br = blockRows(d, k);
        cpu.forRows(n, (long) n * k * TRANSCENDENTAL, (lo, hi) -> {
            Stage st = STAGE.get().fit(br, d, hk);
            for (int r0 = lo; r0 < hi; r0 += br) {
                int cnt = Math.min(br, hi - r0);
                MemorySegment.copy(is, ValueLayout.JAVA_FLOAT, (long) r0 * d * 4, st.in, 0, cnt * d);
                MemorySegment.copy(hs, ValueLayout.JAVA_FLOAT, (long) r0 * hk * 4, st.hb, 0, cnt * hk);
                java.util.Arrays.fill(st.acc, 0, cnt, 0.0);
                for (int j = 0; j < k; j++) {
                    int col = bi[j];
                    for (int i = 0; i < cnt; i++) { st.a[i] = st.hb[i * hk + j]; st.t[i] = st.hb[i * hk + k + j]; st.x[i] = st.in[i * d + col]; }
                    int i = vec ? CouplingVec.softclamp(inverse, st.a, st.t, st.x, st.y, st.l, clamp, cnt) : 0;
                    for (; i < cnt; i++) {
                        float logs = CouplingMath.logScale32(sc, clamp, st.a[i]), t = st.t[i], v = st.x[i];
                        if (sc == CouplingScale.SOFTCLAMP) st.y[i] = inverse ? (v - t) * CouplingMath.exp32(-logs) : Math.fma(v, CouplingMath.exp32(logs), t);
                        else st.y[i] = inverse ? Math.fma(v, CouplingMath.exp32(-logs), -t) : (v + t) * CouplingMath.exp32(logs);
                        st.l[i] = logs;
                    }
                    for (i = 0; i < cnt; i++) {
                        st.in[i * d + col] = st.y[i];
                        if (inverse) st.acc[i] -= st.l[i]; else st.acc[i] += st.l[i];
                    }
                }
                MemorySegment.copy(st.in, 0, os, ValueLayout.JAVA_FLOAT, (long) r0 * d * 4, cnt * d);
                for (int i = 0; i < cnt; i++) set(ls, r0 + i, (float) (get(ls, r0 + i) + st.acc[i]));
            }
        });
    }

    @Override public void affineCouplingForward(Tensor x, Tensor h, Index b, CouplingScale sc, float clamp, Tensor y, Tensor ld) {
        CouplingOps.Checks.affineCouplingForward(x, h, b, y, ld);
        affine(false, x, h, b, sc, clamp, y, ld);
    }

    @Override public void affineCouplingInverse(Tensor y, Tensor h, Index b, CouplingScale sc, float clamp, Tensor x, Tensor ld) {
        CouplingOps.Checks.affineCouplingInverse(y, h, b, x, ld);
        affine(true, y, h, b, sc, clamp, x, ld);
    }

    @Override public void affineCouplingBackward(Tensor x, Tensor h, Index b, CouplingScale sc, float clamp,
                                                 Tensor gy, Tensor gLd, Tensor gx, Tensor gh) {
        CouplingOps.Checks.affineCouplingBackward(x, h, b, gy, gLd, gx, gh);
        int n = x.dim(0), d = x.dim(1), k = b.size(), hk = 2 * k;
        int[] bi = ix(b);
        MemorySegment xs = h(x).segment(), hs = h(h).segment(), gys = h(gy).segment(), gls = h(gLd).segment(), gxs = h(gx).segment(), ghs = h(gh).segment();
        boolean vec = cpu.vectorized() && sc == CouplingScale.SOFTCLAMP;
        int br = blockRows(d, k);
        cpu.forRows(n, (long) n * k * TRANSCENDENTAL, (lo, hi) -> {
            Stage st = STAGE.get().fit(br, d, hk);
            for (int r0 = lo; r0 < hi; r0 += br) {
                int cnt = Math.min(br, hi - r0);
                MemorySegment.copy(xs, ValueLayout.JAVA_FLOAT, (long) r0 * d * 4, st.in, 0, cnt * d);
                MemorySegment.copy(gys, ValueLayout.JAVA_FLOAT, (long) r0 * d * 4, st.gb, 0, cnt * d);  // becomes gx
                MemorySegment.copy(hs, ValueLayout.JAVA_FLOAT, (long) r0 * hk * 4, st.hb, 0, cnt * hk); // becomes gh
                MemorySegment.copy(gls, ValueLayout.JAVA_FLOAT, (long) r0 * 4, st.gl, 0, cnt);
                for (int j = 0; j < k; j++) {
                    int col = bi[j];
                    for (int i = 0; i < cnt; i++) {
                        st.a[i] = st.hb[i * hk + j]; st.t[i] = st.hb[i * hk + k + j];
                        st.x[i] = st.in[i * d + col]; st.g[i] = st.gb[i * d + col];
                    }
                    // y: ∂L/∂raw, l: ∂L/∂x_b; gT (∂L/∂t) is g (SOFTCLAMP) or g·s = gX (SIGMOID)
                    int i = vec ? CouplingVec.softclampBackward(st.a, st.x, st.g, st.gl, st.y, st.l, clamp, cnt) : 0;
                    for (; i < cnt; i++) {
                        float raw = st.a[i], t = st.t[i], xv = st.x[i], g = st.g[i], gl = st.gl[i];
                        if (sc == CouplingScale.SOFTCLAMP) {
                            float th = Activation.tanh32(raw / clamp), s = CouplingMath.exp32(clamp * th);
                            float gLogs = Math.fma(g * xv, s, gl);          // ∂L/∂log s
                            st.y[i] = gLogs * (1f - th * th);               // d(c·tanh(h/c))/dh
                            st.l[i] = g * s;
                        } else {
                            float s = 1f / (1f + CouplingMath.exp32(-(raw + 2f)));
                            float gS = g * (xv + t);                        // ∂L/∂s through y
                            st.y[i] = gS * s * (1f - s) + gl * (1f - s);    // d log s/da = 1 − s
                            st.l[i] = g * s;
                        }
                    }
                    boolean soft = sc == CouplingScale.SOFTCLAMP;
                    for (i = 0; i < cnt; i++) {
                        st.hb[i * hk + k + j] = soft ? st.g[i] : st.l[i];
                        st.hb[i * hk + j] = st.y[i];
                        st.gb[i * d + col] = st.l[i];
                    }
                }
                MemorySegment.copy(st.gb, 0, gxs, ValueLayout.JAVA_FLOAT, (long) r0 * d * 4, cnt * d);
                MemorySegment.copy(st.hb, 0, ghs, ValueLayout.JAVA_FLOAT, (long) r0 * hk * 4, cnt * hk);
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
