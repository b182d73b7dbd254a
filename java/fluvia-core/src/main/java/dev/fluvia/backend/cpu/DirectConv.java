package dev.fluvia.backend.cpu;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * Direct k × k "same" convolution (k = 1 or 3, stride 1, zero padding) for the CPU backend: the forward pass and the
 * weight gradient; the input gradient is a forward pass of gy with transposed, flipped weights (see {@link dev.fluvia.backend.conv.ConvOps}).
 *
 * <p><b>Why not im2col + GEMM.</b> The column matrix is ci·k² times the image and every element of it has to be written,
 * then packed by the GEMM, for only co multiply-adds; with the few output channels of a coupling's last convolution, or the
 * few pixels of small images, moving it costs more than the arithmetic. Here no column matrix exists: each sample's channels
 * are copied once into zero-padded planes of (H + 2p) × (W + 2p) (p = k/2), and on that padded grid the input of tap
 * (c, i, j) for output position q = h·(W + 2p) + w is the buffer element {@code q + c·plane + i·(W + 2p) + j}. A run of
 * consecutive outputs therefore reads one contiguous run of the buffer per tap, with no edge cases; the 2p positions per
 * row with w ≥ W are computed and dropped. The register tile is {@link #OB} output channels × a run of positions
 * ({@link ConvVec}), the same shape as the GEMM's micro-kernel but fed straight from the image.
 *
 * <p><b>Determinism.</b> Every output is {@code acc = 0; acc = fma(w_t, x_t, acc)} over the taps t = (c·k + i)·k + j in
 * order, then {@code + bias}; every weight-gradient element is one fma chain over the samples and then the pixels
 * (row-major) in order, added to gw at the end. Tasks split the outputs (or the weight elements) and never share a sum,
 * and the vector kernels perform exactly the scalar kernels' operations per element, so the results are bit-identical
 * between runs, thread counts and the vector/scalar paths.
 */
public final class DirectConv {
    private DirectConv() {}

    /** Output channels per register block of the forward pass, input channels per block of the weight gradient. */
    static final int OB = 6;
    /** Output positions per scalar forward block (a multiple of 4). */
    private static final int SCALAR_QB = 8;
    /** Output channels per scalar weight-gradient tile. */
    private static final int SCALAR_OW = 4;
    /** Forward tasks wanted at least: small batches split the output channels too. */
    private static final int MIN_TASKS = 16;
    /** Multiply-adds per task aimed at (forking costs about a microsecond). How work is split never changes the result. */
    private static final long TASK_WORK = 1L << 18;
    /** Output channels per weight-gradient task (rounded to whole tiles). */
    private static final int OUT_PER_TASK = 64;
    /** Floats of the per-group buffers of the weight gradient (8 MiB); the group size does not affect the result. */
    private static final long GROUP_FLOATS = 2L << 20;

    /** Per-thread buffers: padded input and output of {@link #forward}, and a {@link #stage} buffer. */
    private static final ThreadLocal<float[][]> BUF = ThreadLocal.withInitial(() -> new float[3][0]);

    /**
     * y[s, o, h, w] = Σ_{c,i,j} W[o, c, i, j] · x[s, c, h + i − k/2, w + j − k/2] (+ bias[o]) for every sample s, with the
     * tap order and rounding of the class comment. x: [n, ci, H, W], w: [co, ci·k·k] (row-major [co, ci, k, k]),
     * bias: [co] or null, y: [n, co, H, W].
     */
    public static void forward(CpuBackend be, MemorySegment x, MemorySegment w, MemorySegment bias, int n, int ci, int hh, int ww,
                        int k, int co, MemorySegment y) {
        int pad = k / 2, pw = ww + 2 * pad, plane = (hh + 2 * pad) * pw, outs = hh * pw, kk = k * k, taps = ci * kk;
        // tasks: (run of samples, run of output blocks), about TASK_WORK multiply-adds each; a task copies each of its samples'
        // input once, so output blocks are only split when there are fewer sample runs than MIN_TASKS
        int blocks = (co + OB - 1) / OB, per = perTask((long) co * outs * taps, n), groups = (n + per - 1) / per;
        int runs = Math.min(blocks, (MIN_TASKS + groups - 1) / groups), perRun = (blocks + runs - 1) / runs;
        boolean vec = be.vectorized();
        int qb = vec ? ConvVec.QB : SCALAR_QB, padded = (outs + qb - 1) / qb * qb;
        int[] off = new int[taps];                       // buffer offset of tap t for output position 0
        for (int t = 0; t < taps; t++) off[t] = t / kk * plane + t % kk / k * pw + t % k;
        float[] wr = new float[blocks * taps * OB];      // wr[(b·taps + t)·OB + r] = W[b·OB + r, t], 0 past co
        for (int o = 0; o < co; o++)
            for (int t = 0; t < taps; t++) wr[((o / OB) * taps + t) * OB + o % OB] = w.getAtIndex(HostTensor.F, (long) o * taps + t);
        float[] bs = new float[co];
        if (bias != null) for (int o = 0; o < co; o++) bs[o] = bias.getAtIndex(HostTensor.F, o);
        int need = ci * plane + qb + 2 * pad;            // the last run of positions reads up to qb + 2·pad past the planes
        be.forChunks(groups * runs, (long) n * co * outs * taps, task -> {
            int s0 = task / runs * per, s1 = Math.min(n, s0 + per), b0 = task % runs * perRun, b1 = Math.min(blocks, b0 + perRun);
            float[][] buf = BUF.get();
            if (buf[0].length < need) buf[0] = new float[need];
            if (buf[1].length < OB * padded) buf[1] = new float[OB * padded];
            float[] xp = buf[0], out = buf[1], img = pad == 0 ? null : stage(ci * hh * ww);
            for (int s = s0; s < s1; s++) {
                if (pad == 0) { // the planes are the image itself
                    MemorySegment.copy(x, HostTensor.F, (long) s * ci * plane * 4, xp, 0, ci * plane);
                    Arrays.fill(xp, ci * plane, need, 0f);
                } else {
                    MemorySegment.copy(x, HostTensor.F, (long) s * ci * hh * ww * 4, img, 0, ci * hh * ww);
                    Arrays.fill(xp, 0, need, 0f);
                    for (int c = 0; c < ci; c++)
                        for (int h = 0; h < hh; h++) System.arraycopy(img, (c * hh + h) * ww, xp, c * plane + (h + pad) * pw + pad, ww);
                }
                for (int b = b0; b < b1; b++) {
                    int wo = b * taps * OB, rows = Math.min(OB, co - b * OB);
                    for (int q = 0; q < padded; q += qb) {   // out[r·padded + q]: OB channels over the padded grid
                        if (vec) ConvVec.block(xp, off, taps, wr, wo, q, out, padded);
                        else scalarBlock(xp, off, taps, wr, wo, q, qb, out, padded);
                    }
                    for (int r = 0; r < rows; r++) {          // keep the W valid positions of each grid row, add the bias
                        int o = b * OB + r, src = r * padded;
                        if (pad != 0) for (int h = 0; h < hh; h++) System.arraycopy(out, src + h * pw, out, src + h * ww, ww);
                        if (bias != null) for (int v = src, e = src + hh * ww; v < e; v++) out[v] += bs[o];
                        MemorySegment.copy(out, src, y, HostTensor.F, ((long) s * co + o) * hh * ww * 4, hh * ww);
                    }
                }
            }
        });
    }

    /** Items per task so that a task does about {@link #TASK_WORK} operations: between 1 and n. */
    private static int perTask(long workPerItem, int n) {
        return (int) Math.max(1, Math.min(n, TASK_WORK / Math.max(1, workPerItem)));
    }

    /** This thread's staging buffer of at least n floats (one sample's image or gradient as stored). */
    private static float[] stage(int n) {
        float[][] buf = BUF.get();
        if (buf[2].length < n) buf[2] = new float[n];
        return buf[2];
    }

    /** out[r·ldo + q + v] = Σ_t fma(wr[wo + t·OB + r], xp[off[t] + q + v]) in t order: the scalar twin of {@link ConvVec#block}. */
    static void scalarBlock(float[] xp, int[] off, int taps, float[] wr, int wo, int q, int qb, float[] out, int ldo) {
        for (int r = 0; r < OB; r++)
            for (int v = 0; v < qb; v += 4) {
                float a0 = 0f, a1 = 0f, a2 = 0f, a3 = 0f;
                for (int t = 0; t < taps; t++) {
                    float wv = wr[wo + t * OB + r];
                    int xi = off[t] + q + v;
                    a0 = Math.fma(wv, xp[xi], a0); a1 = Math.fma(wv, xp[xi + 1], a1);
                    a2 = Math.fma(wv, xp[xi + 2], a2); a3 = Math.fma(wv, xp[xi + 3], a3);
                }
                int oi = r * ldo + q + v;
                out[oi] = a0; out[oi + 1] = a1; out[oi + 2] = a2; out[oi + 3] = a3;
            }
    }

    /**
     * gw[o, c, i, j] += Σ_s Σ_{h,w} gy[s, o, h, w] · x[s, c, h + i − k/2, w + j − k/2] (0 outside the image): the weight
     * gradient of {@link #forward}, with the rounding of the class comment (the float accumulators live in one array for
     * the whole call, so neither the groups of samples below nor the split into tasks change a bit).
     *
     * <p>Per group of samples x is laid out as in {@link #forward} (zero-padded planes, input channels padded to whole
     * blocks of {@link #OB}) and gy position-major in tiles of ow output channels ({@code gyn[s, o / ow, p, o % ow]}, o padded
     * with zeros), so that a tile of OB input channels × ow output channels at one tap reads, per pixel, one input value per
     * channel (a broadcast) and one contiguous run of gy. Tasks are (block of input channels, run of output channels, tap).
     */
    public static void weightGrad(CpuBackend be, MemorySegment x, MemorySegment gy, int n, int ci, int hh, int ww, int k, int co,
                           MemorySegment gw) {
        boolean vec = be.vectorized();
        int ow = vec ? ConvVec.QB : SCALAR_OW, cop = (co + ow - 1) / ow * ow, cbn = (ci + OB - 1) / OB, cip = cbn * OB;
        int pad = k / 2, kk = k * k, pw = ww + 2 * pad, plane = (hh + 2 * pad) * pw, hw = hh * ww, ars = kk * cop;
        int perTask = Math.max(1, OUT_PER_TASK / ow) * ow, oruns = (cop + perTask - 1) / perTask, tasks = cbn * oruns * kk;
        int g = (int) Math.max(1, Math.min(n, GROUP_FLOATS / ((long) cip * plane + (long) hw * cop)));
        int[] pix = new int[hw];                         // pixel p = (h, w) sits at h·pw + w of a padded plane
        for (int p = 0; p < hw; p++) pix[p] = p / ww * pw + p % ww;
        // acc[c·ars + t·cop + o] is the running sum of gw[o, c, t]; padded rows and columns stay unused
        float[] xp = new float[g * cip * plane], gyn = new float[g * hw * cop], acc = new float[cip * ars];
        for (int n0 = 0; n0 < n; n0 += g) {
            int gc = Math.min(g, n - n0), s0 = n0;
            int per = perTask((long) (ci + co) * hw, gc);      // staging: one copy per element
            be.forChunks((gc + per - 1) / per, (long) gc * (ci + co) * hw, task -> {
                float[] stage = stage(Math.max(ci, co) * hw);
                for (int s = task * per, se = Math.min(gc, s + per); s < se; s++) {
                    int xb = s * cip * plane, gb = s * hw * cop;
                    MemorySegment.copy(x, HostTensor.F, (long) (s0 + s) * ci * hw * 4, stage, 0, ci * hw);
                    for (int c = 0; c < ci; c++)
                        for (int h = 0; h < hh; h++) System.arraycopy(stage, (c * hh + h) * ww, xp, xb + c * plane + (h + pad) * pw + pad, ww);
                    MemorySegment.copy(gy, HostTensor.F, (long) (s0 + s) * co * hw * 4, stage, 0, co * hw);
                    for (int o = 0; o < co; o++)
                        for (int p = 0, d = gb + o / ow * hw * ow + o % ow, src = o * hw; p < hw; p++) gyn[d + p * ow] = stage[src + p];
                }
            });
            be.forChunks(tasks, (long) gc * hw * ci * cop * kk, task -> {
                int b = task / (oruns * kk), o0 = task / kk % oruns * perTask, o1 = Math.min(cop, o0 + perTask), t = task % kk;
                for (int s = 0; s < gc; s++) {
                    int xo = s * cip * plane + b * OB * plane + t / k * pw + t % k;
                    for (int ob = o0; ob < o1; ob += ow) {
                        int go = s * hw * cop + ob * hw, ao = b * OB * ars + t * cop + ob;
                        if (vec) ConvVec.weightBlock(xp, xo, plane, pix, gyn, go, ow, acc, ao, ars);
                        else scalarWeightBlock(xp, xo, plane, pix, gyn, go, ow, acc, ao, ars);
                    }
                }
            });
        }
        for (int o = 0; o < co; o++)
            for (int c = 0; c < ci; c++)
                for (int t = 0; t < kk; t++) {
                    long i = ((long) o * ci + c) * kk + t;
                    gw.setAtIndex(HostTensor.F, i, gw.getAtIndex(HostTensor.F, i) + acc[c * ars + t * cop + o]);
                }
    }

    /** The scalar twin of {@link ConvVec#weightBlock}, {@link #SCALAR_OW} output channels wide. */
    static void scalarWeightBlock(float[] xp, int xo, int plane, int[] pix, float[] gyn, int go, int gs,
                                  float[] acc, int ao, int ars) {
        for (int r = 0; r < OB; r++) {
            int a = ao + r * ars;
            float a0 = acc[a], a1 = acc[a + 1], a2 = acc[a + 2], a3 = acc[a + 3];
            for (int p = 0; p < pix.length; p++) {
                float xv = xp[xo + r * plane + pix[p]];
                int gi = go + p * gs;
                a0 = Math.fma(xv, gyn[gi], a0); a1 = Math.fma(xv, gyn[gi + 1], a1);
                a2 = Math.fma(xv, gyn[gi + 2], a2); a3 = Math.fma(xv, gyn[gi + 3], a3);
            }
            acc[a] = a0; acc[a + 1] = a1; acc[a + 2] = a2; acc[a + 3] = a3;
        }
    }
}
