package dev.fluvia.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API kernels of {@link DirectConv}, both with a {@code 6 × 2L} register tile (12 accumulators; L = lanes of the
 * preferred species) and the loops unrolled by two (as {@link GemmVec#kernel}; measured 1.6× faster than the plain loop
 * here): the forward block (6 output channels × 2L consecutive output positions: per tap two loads of the shifted input
 * run and six weight broadcasts) and the weight-gradient block (6 input channels × 2L output channels: per pixel two loads
 * of gy and six input broadcasts). Each lane performs exactly the fma sequence of the scalar twin in {@link DirectConv}.
 * Only loaded when {@link Simd#AVAILABLE}.
 */
final class ConvVec {
    private ConvVec() {}

    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();
    /** Output positions per forward block, output channels per weight-gradient block. */
    static final int QB = 2 * L;

    /** out[r·ldo + q + v] = Σ_t fma(wr[wo + t·OB + r], xp[off[t] + q + v]) over the taps t in order (r &lt; 6, v &lt; QB). */
    static void block(float[] xp, int[] off, int taps, float[] wr, int wo, int q, float[] out, int ldo) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S), c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S), c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S), c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
        // taps in order; unrolled by two (as GemmVec.kernel), with a one-tap tail
        int even = taps & ~1;
        for (int t = 0; t < even; t += 2) {
            {
                int xi = off[t] + q, wi = wo + t * DirectConv.OB;
                FloatVector x0 = FloatVector.fromArray(S, xp, xi), x1 = FloatVector.fromArray(S, xp, xi + L);
                FloatVector a = FloatVector.broadcast(S, wr[wi]);
                c00 = a.fma(x0, c00); c01 = a.fma(x1, c01);
                a = FloatVector.broadcast(S, wr[wi + 1]);
                c10 = a.fma(x0, c10); c11 = a.fma(x1, c11);
                a = FloatVector.broadcast(S, wr[wi + 2]);
                c20 = a.fma(x0, c20); c21 = a.fma(x1, c21);
                a = FloatVector.broadcast(S, wr[wi + 3]);
                c30 = a.fma(x0, c30); c31 = a.fma(x1, c31);
                a = FloatVector.broadcast(S, wr[wi + 4]);
                c40 = a.fma(x0, c40); c41 = a.fma(x1, c41);
                a = FloatVector.broadcast(S, wr[wi + 5]);
                c50 = a.fma(x0, c50); c51 = a.fma(x1, c51);
            }
            {
                int xi = off[(t + 1)] + q, wi = wo + (t + 1) * DirectConv.OB;
                FloatVector x0 = FloatVector.fromArray(S, xp, xi), x1 = FloatVector.fromArray(S, xp, xi + L);
                FloatVector a = FloatVector.broadcast(S, wr[wi]);
                c00 = a.fma(x0, c00); c01 = a.fma(x1, c01);
                a = FloatVector.broadcast(S, wr[wi + 1]);
                c10 = a.fma(x0, c10); c11 = a.fma(x1, c11);
                a = FloatVector.broadcast(S, wr[wi + 2]);
                c20 = a.fma(x0, c20); c21 = a.fma(x1, c21);
                a = FloatVector.broadcast(S, wr[wi + 3]);
                c30 = a.fma(x0, c30); c31 = a.fma(x1, c31);
                a = FloatVector.broadcast(S, wr[wi + 4]);
                c40 = a.fma(x0, c40); c41 = a.fma(x1, c41);
                a = FloatVector.broadcast(S, wr[wi + 5]);
                c50 = a.fma(x0, c50); c51 = a.fma(x1, c51);
            }
        }
        if (even < taps) {
            int t = even;
            {
                int xi = off[t] + q, wi = wo + t * DirectConv.OB;
                FloatVector x0 = FloatVector.fromArray(S, xp, xi), x1 = FloatVector.fromArray(S, xp, xi + L);
                FloatVector a = FloatVector.broadcast(S, wr[wi]);
                c00 = a.fma(x0, c00); c01 = a.fma(x1, c01);
                a = FloatVector.broadcast(S, wr[wi + 1]);
                c10 = a.fma(x0, c10); c11 = a.fma(x1, c11);
                a = FloatVector.broadcast(S, wr[wi + 2]);
                c20 = a.fma(x0, c20); c21 = a.fma(x1, c21);
                a = FloatVector.broadcast(S, wr[wi + 3]);
                c30 = a.fma(x0, c30); c31 = a.fma(x1, c31);
                a = FloatVector.broadcast(S, wr[wi + 4]);
                c40 = a.fma(x0, c40); c41 = a.fma(x1, c41);
                a = FloatVector.broadcast(S, wr[wi + 5]);
                c50 = a.fma(x0, c50); c51 = a.fma(x1, c51);
            }
        }
        c00.intoArray(out, q); c01.intoArray(out, q + L);
        c10.intoArray(out, ldo + q); c11.intoArray(out, ldo + q + L);
        c20.intoArray(out, 2 * ldo + q); c21.intoArray(out, 2 * ldo + q + L);
        c30.intoArray(out, 3 * ldo + q); c31.intoArray(out, 3 * ldo + q + L);
        c40.intoArray(out, 4 * ldo + q); c41.intoArray(out, 4 * ldo + q + L);
        c50.intoArray(out, 5 * ldo + q); c51.intoArray(out, 5 * ldo + q + L);
    }

    /**
     * acc[ao + r·ars + v] += Σ over the pixels p in order of {@code fma(xp[xo + r·plane + pix[p]], gyn[go + p·gs + v], ·)}
     * for r &lt; 6 (input channels, one padded plane apart) and v &lt; QB (output channels): one 6 × 2L tile of a weight
     * gradient, continuing the accumulators stored in acc. pix[p] is pixel p's offset in a padded plane, gs the stride of
     * gy between pixels.
     */
    static void weightBlock(float[] xp, int xo, int plane, int[] pix, float[] gyn, int go, int gs,
                            float[] acc, int ao, int ars) {
        FloatVector c00 = FloatVector.fromArray(S, acc, ao), c01 = FloatVector.fromArray(S, acc, ao + L);
        FloatVector c10 = FloatVector.fromArray(S, acc, ao + ars), c11 = FloatVector.fromArray(S, acc, ao + ars + L);
        FloatVector c20 = FloatVector.fromArray(S, acc, ao + 2 * ars), c21 = FloatVector.fromArray(S, acc, ao + 2 * ars + L);
        FloatVector c30 = FloatVector.fromArray(S, acc, ao + 3 * ars), c31 = FloatVector.fromArray(S, acc, ao + 3 * ars + L);
        FloatVector c40 = FloatVector.fromArray(S, acc, ao + 4 * ars), c41 = FloatVector.fromArray(S, acc, ao + 4 * ars + L);
        FloatVector c50 = FloatVector.fromArray(S, acc, ao + 5 * ars), c51 = FloatVector.fromArray(S, acc, ao + 5 * ars + L);
        int hw = pix.length, even = hw & ~1; // pixels in order; unrolled by two, with a one-pixel tail
        for (int p = 0; p < even; p += 2) {
            {
                int xi = xo + pix[p], gi = go + (p) * gs;
                FloatVector g0 = FloatVector.fromArray(S, gyn, gi), g1 = FloatVector.fromArray(S, gyn, gi + L);
                FloatVector a = FloatVector.broadcast(S, xp[xi]);
                c00 = a.fma(g0, c00); c01 = a.fma(g1, c01);
                a = FloatVector.broadcast(S, xp[xi + plane]);
                c10 = a.fma(g0, c10); c11 = a.fma(g1, c11);
                a = FloatVector.broadcast(S, xp[xi + 2 * plane]);
                c20 = a.fma(g0, c20); c21 = a.fma(g1, c21);
                a = FloatVector.broadcast(S, xp[xi + 3 * plane]);
                c30 = a.fma(g0, c30); c31 = a.fma(g1, c31);
                a = FloatVector.broadcast(S, xp[xi + 4 * plane]);
                c40 = a.fma(g0, c40); c41 = a.fma(g1, c41);
                a = FloatVector.broadcast(S, xp[xi + 5 * plane]);
                c50 = a.fma(g0, c50); c51 = a.fma(g1, c51);
            }
            {
                int xi = xo + pix[p + 1], gi = go + (p + 1) * gs;
                FloatVector g0 = FloatVector.fromArray(S, gyn, gi), g1 = FloatVector.fromArray(S, gyn, gi + L);
                FloatVector a = FloatVector.broadcast(S, xp[xi]);
                c00 = a.fma(g0, c00); c01 = a.fma(g1, c01);
                a = FloatVector.broadcast(S, xp[xi + plane]);
                c10 = a.fma(g0, c10); c11 = a.fma(g1, c11);
                a = FloatVector.broadcast(S, xp[xi + 2 * plane]);
                c20 = a.fma(g0, c20); c21 = a.fma(g1, c21);
                a = FloatVector.broadcast(S, xp[xi + 3 * plane]);
                c30 = a.fma(g0, c30); c31 = a.fma(g1, c31);
                a = FloatVector.broadcast(S, xp[xi + 4 * plane]);
                c40 = a.fma(g0, c40); c41 = a.fma(g1, c41);
                a = FloatVector.broadcast(S, xp[xi + 5 * plane]);
                c50 = a.fma(g0, c50); c51 = a.fma(g1, c51);
            }
        }
        if (even < hw) {
            int p = even;
            {
                int xi = xo + pix[p], gi = go + (p) * gs;
                FloatVector g0 = FloatVector.fromArray(S, gyn, gi), g1 = FloatVector.fromArray(S, gyn, gi + L);
                FloatVector a = FloatVector.broadcast(S, xp[xi]);
                c00 = a.fma(g0, c00); c01 = a.fma(g1, c01);
                a = FloatVector.broadcast(S, xp[xi + plane]);
                c10 = a.fma(g0, c10); c11 = a.fma(g1, c11);
                a = FloatVector.broadcast(S, xp[xi + 2 * plane]);
                c20 = a.fma(g0, c20); c21 = a.fma(g1, c21);
                a = FloatVector.broadcast(S, xp[xi + 3 * plane]);
                c30 = a.fma(g0, c30); c31 = a.fma(g1, c31);
                a = FloatVector.broadcast(S, xp[xi + 4 * plane]);
                c40 = a.fma(g0, c40); c41 = a.fma(g1, c41);
                a = FloatVector.broadcast(S, xp[xi + 5 * plane]);
                c50 = a.fma(g0, c50); c51 = a.fma(g1, c51);
            }
        }
        c00.intoArray(acc, ao); c01.intoArray(acc, ao + L);
        c10.intoArray(acc, ao + ars); c11.intoArray(acc, ao + ars + L);
        c20.intoArray(acc, ao + 2 * ars); c21.intoArray(acc, ao + 2 * ars + L);
        c30.intoArray(acc, ao + 3 * ars); c31.intoArray(acc, ao + 3 * ars + L);
        c40.intoArray(acc, ao + 4 * ars); c41.intoArray(acc, ao + 4 * ars + L);
        c50.intoArray(acc, ao + 5 * ars); c51.intoArray(acc, ao + 5 * ars + L);
    }
}
