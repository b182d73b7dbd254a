package dev.fluvia.backend.spline;

import static dev.fluvia.backend.cpu.CpuBackend.h;

import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The CPU reference of the spline ops ({@link SplineOps}): the arithmetic of {@code kernels/spline.cu} in Java, float32
 * throughout (the per-row log-det sum in double), so that the kernel's parity is checked against the same algorithm; the
 * float64 {@code dev.fluvia.transforms.RqSpline} is the oracle both are tested against.
 */
public final class CpuSpline implements SplineOps {
    private static final long TRANSCENDENTAL = CpuBackend.TRANSCENDENTAL;
    private final CpuBackend cpu;

    public CpuSpline(CpuBackend cpu) { this.cpu = cpu; }

    private static float get(MemorySegment s, long i) { return s.getAtIndex(ValueLayout.JAVA_FLOAT, i); }
    private static void set(MemorySegment s, long i, float v) { s.setAtIndex(ValueLayout.JAVA_FLOAT, i, v); }
    private static float exp(float v) { return (float) Math.exp(v); }
    private static float log(float v) { return (float) Math.log(v); }

    // ------------------------------------------------------------------ per element (kernels/spline.cu, line by line)

    /** A view of one element's parameters: {@code p[off ..]}. */
    private record P(MemorySegment s, long off) {
        float at(int i) { return get(s, off + i); }
    }

    /** [max, Σ exp(u − max)] of u = p[base .. base + K − 1]. */
    private static float[] stats(P p, int base, int k) {
        float m = p.at(base);
        for (int i = 1; i < k; i++) m = Math.max(m, p.at(base + i));
        float s = 0f;
        for (int i = 0; i < k; i++) s += exp(p.at(base + i) - m);
        return new float[] {m, s};
    }

    private static float knot(P p, int base, int K, float[] st, float min, float bound, int j) {
        if (j == K) return bound;
        float c = 0f, scale = 1f - K * min;
        for (int i = 0; i < j; i++) c += min + scale * (exp(p.at(base + i) - st[0]) / st[1]);
        return -bound + 2f * bound * c;
    }

    /** The bin of v; lw[0] = its left knot, lw[1] its width, lw[2] (when lw has room) its right knot. */
    private static int bin(P p, int base, int K, float[] st, float min, float bound, float v, float[] lw) {
        float c = 0f, scale = 1f - K * min, left = -bound;
        for (int k = 0; k < K; k++) {
            c += min + scale * (exp(p.at(base + k) - st[0]) / st[1]);
            float right = k == K - 1 ? bound : -bound + 2f * bound * c;
            if (v < right || k == K - 1) {
                lw[0] = left;
                lw[1] = right - left;
                if (lw.length > 2) lw[2] = right;
                return k;
            }
            left = right;
        }
        return K - 1;
    }

    private static float softplus(float v) { return Math.max(v, 0f) + (float) Math.log1p(exp(-Math.abs(v))); }

    private static float sigmoid(float v) {
        if (v >= 0f) return 1f / (1f + exp(-v));
        float e = exp(v);
        return e / (1f + e);
    }

    private static float derivative(P p, int K, float minD, float c0, int j) {
        return (j == 0 || j == K) ? 1f : minD + softplus(p.at(2 * K + j - 1) + c0);
    }

    /**
     * Knot {@code j} (0..K) of the widths ({@code heights == false}) or heights of the element whose parameters start at
     * {@code h[off]}, as the kernel computes it (the parity entries put inputs exactly on knots with it).
     */
    public static float knotOf(float[] h, int off, Spec sp, boolean heights, int j) {
        P p = new P(MemorySegment.ofArray(h), off);
        int base = heights ? sp.bins() : 0;
        float[] st = stats(p, base, sp.bins());
        return knot(p, base, sp.bins(), st, heights ? sp.minHeight() : sp.minWidth(), sp.bound(), j);
    }

    static float c0(float minD) { return (float) Math.log(Math.expm1(1.0 - (double) minD)); }

    /** out[0] = g(x), out[1] = log g'(x). */
    static void forwardOne(P p, Spec sp, float c0, float x, float[] out) {
        float bound = sp.bound();
        int K = sp.bins();
        if (!(x >= -bound && x <= bound)) { out[0] = x; out[1] = 0f; return; }
        float[] sw = stats(p, 0, K), sh = stats(p, K, K), lw = new float[2];
        int k = bin(p, 0, K, sw, sp.minWidth(), bound, x, lw);
        float xk = lw[0], w = lw[1];
        float yk = knot(p, K, K, sh, sp.minHeight(), bound, k), h = knot(p, K, K, sh, sp.minHeight(), bound, k + 1) - yk;
        float s = h / w, xi = Math.min(1f, Math.max(0f, (x - xk) / w)), t = xi * (1f - xi);
        float dk = derivative(p, K, sp.minDerivative(), c0, k), dk1 = derivative(p, K, sp.minDerivative(), c0, k + 1);
        float den = s + (dk1 + dk - 2f * s) * t;
        out[0] = yk + h * (s * xi * xi + dk * t) / den;
        float m = dk1 * xi * xi + 2f * s * t + dk * (1f - xi) * (1f - xi);
        out[1] = 2f * log(s) + log(m) - 2f * log(den);
    }

    /** out[0] = g⁻¹(y), out[1] = −log g'(x): the root from the nearer end of the bin (kernels/spline.cu's splineInverseOne). */
    static void inverseOne(P p, Spec sp, float c0, float y, float[] out) {
        float bound = sp.bound();
        int K = sp.bins();
        if (!(y >= -bound && y <= bound)) { out[0] = y; out[1] = 0f; return; }
        float[] sw = stats(p, 0, K), sh = stats(p, K, K), lh = new float[3];
        int k = bin(p, K, K, sh, sp.minHeight(), bound, y, lh);
        float yk = lh[0], h = lh[1], yk1 = lh[2];
        float xk = knot(p, 0, K, sw, sp.minWidth(), bound, k), xk1 = knot(p, 0, K, sw, sp.minWidth(), bound, k + 1), w = xk1 - xk;
        float s = h / w;
        float dk = derivative(p, K, sp.minDerivative(), c0, k), dk1 = derivative(p, K, sp.minDerivative(), c0, k + 1);
        float e = dk1 + dk - 2f * s, dl = y - yk, dr = yk1 - y;
        boolean fromRight = dr < dl;
        float d0 = fromRight ? dk1 : dk, d1 = fromRight ? dk : dk1, near = fromRight ? dr : dl, far = fromRight ? dl : dr;
        float b = h * d0 - near * e, c = -s * near, u = h * d0 - near * (d0 + d1);
        float disc = Math.max(0f, u * u + 4f * s * s * near * far);
        float denom = -b - (float) Math.sqrt(disc);
        float q = denom == 0f ? 0f : 2f * c / denom;
        q = Math.min(1f, Math.max(0f, q));
        out[0] = fromRight ? xk1 - q * w : xk + q * w;
        float t = q * (1f - q), den = s + e * t;
        float m = d1 * q * q + 2f * s * t + d0 * (1f - q) * (1f - q);
        out[1] = -(2f * log(s) + log(m) - 2f * log(den));
    }

    private static void knotGrad(P p, int base, int K, float[] st, float min, float bound, int k, float gLo, float gHi,
                                 MemorySegment gs, long goff) {
        float dot = 0f;
        for (int i = 0; i < K; i++) {
            float gi = (i < k ? gLo : 0f) + (i < k + 1 && k + 1 < K ? gHi : 0f);
            dot += 2f * bound * gi * (exp(p.at(base + i) - st[0]) / st[1]);
        }
        float scale = 1f - K * min;
        for (int i = 0; i < K; i++) {
            float gi = 2f * bound * ((i < k ? gLo : 0f) + (i < k + 1 && k + 1 < K ? gHi : 0f));
            long q = goff + base + i;
            set(gs, q, get(gs, q) + scale * (exp(p.at(base + i) - st[0]) / st[1]) * (gi - dot));
        }
    }

    /** Returns ∂L/∂x of one element and adds ∂L/∂p into gs[goff ..]. */
    static float backwardOne(P p, Spec sp, float c0, float xv, float g, float gl, MemorySegment gs, long goff) {
        float bound = sp.bound();
        int K = sp.bins();
        if (!(xv >= -bound && xv <= bound)) return g;
        float[] sw = stats(p, 0, K), sh = stats(p, K, K), lw = new float[2];
        int k = bin(p, 0, K, sw, sp.minWidth(), bound, xv, lw);
        float xk = lw[0], w = lw[1];
        float yk = knot(p, K, K, sh, sp.minHeight(), bound, k), hh = knot(p, K, K, sh, sp.minHeight(), bound, k + 1) - yk;
        float s = hh / w, xi = Math.min(1f, Math.max(0f, (xv - xk) / w)), t = xi * (1f - xi);
        float dk = derivative(p, K, sp.minDerivative(), c0, k), dk1 = derivative(p, K, sp.minDerivative(), c0, k + 1);
        float ee = dk1 + dk - 2f * s, den = s + ee * t, num = s * xi * xi + dk * t;
        float m = dk1 * xi * xi + 2f * s * t + dk * (1f - xi) * (1f - xi);
        float gyk = g, gH = g * num / den, gN = g * hh / den;
        float gD = -g * hh * num / (den * den) - 2f * gl / den;
        float gS = 2f * gl / s, gM = gl / m;
        float gdk1 = gM * xi * xi, gdk = gM * (1f - xi) * (1f - xi), gxi = gM * (2f * dk1 * xi - 2f * dk * (1f - xi)), gt = gM * 2f * s;
        gS += gM * 2f * t;
        gS += gN * xi * xi; gxi += gN * 2f * s * xi; gdk += gN * t; gt += gN * dk;
        gS += gD; float ge = gD * t; gt += gD * ee;
        gdk1 += ge; gdk += ge; gS -= 2f * ge;
        gxi += gt * (1f - 2f * xi);
        gH += gS / w; float gw = -gS * hh / (w * w);
        float gX = gxi / w, gxk = -gxi / w; gw -= gxi * xi / w;
        float gxk1 = gw; gxk -= gw;
        float gyk1 = gH; gyk -= gH;
        knotGrad(p, 0, K, sw, sp.minWidth(), bound, k, gxk, gxk1, gs, goff);
        knotGrad(p, K, K, sh, sp.minHeight(), bound, k, gyk, gyk1, gs, goff);
        if (k >= 1) {
            long q = goff + 2L * K + k - 1;
            set(gs, q, get(gs, q) + gdk * sigmoid(p.at(2 * K + k - 1) + c0));
        }
        if (k + 1 <= K - 1) {
            long q = goff + 2L * K + k;
            set(gs, q, get(gs, q) + gdk1 * sigmoid(p.at(2 * K + k) + c0));
        }
        return gX;
    }

    // ------------------------------------------------------------------ the ops

    private void rows(Tensor in, Tensor hp, Spec sp, Tensor out, Tensor ld, boolean inverse) {
        int n = in.dim(0), d = in.dim(1), pp = sp.paramsPerDim();
        float c0 = c0(sp.minDerivative());
        MemorySegment is = h(in).segment(), hs = h(hp).segment(), os = h(out).segment(), ls = h(ld).segment();
        cpu.forRows(n, (long) n * d * pp * TRANSCENDENTAL, (lo, hi) -> {
            float[] o = new float[2];
            for (int r = lo; r < hi; r++) {
                double acc = 0;
                for (int j = 0; j < d; j++) {
                    long e = (long) r * d + j;
                    P p = new P(hs, e * pp);
                    if (inverse) inverseOne(p, sp, c0, get(is, e), o);
                    else forwardOne(p, sp, c0, get(is, e), o);
                    set(os, e, o[0]);
                    acc += o[1];
                }
                set(ls, r, (float) (get(ls, r) + acc));
            }
        });
    }

    @Override public void rqSplineForward(Tensor x, Tensor hp, Spec spec, Tensor y, Tensor ld) {
        SplineOps.Checks.rqSplineForward(x, hp, spec, y, ld);
        rows(x, hp, spec, y, ld, false);
    }

    @Override public void rqSplineInverse(Tensor y, Tensor hp, Spec spec, Tensor x, Tensor ld) {
        SplineOps.Checks.rqSplineInverse(y, hp, spec, x, ld);
        rows(y, hp, spec, x, ld, true);
    }

    @Override public void rqSplineBackward(Tensor x, Tensor hp, Spec spec, Tensor gy, Tensor gLd, Tensor gx, Tensor gh) {
        SplineOps.Checks.rqSplineBackward(x, hp, spec, gy, gLd, gx, gh);
        int n = x.dim(0), d = x.dim(1), pp = spec.paramsPerDim();
        float c0 = c0(spec.minDerivative());
        MemorySegment xs = h(x).segment(), hs = h(hp).segment(), gys = h(gy).segment(), gls = h(gLd).segment(),
                gxs = h(gx).segment(), ghs = h(gh).segment();
        cpu.forRows(n, (long) n * d * pp * TRANSCENDENTAL, (lo, hi) -> {
            for (int r = lo; r < hi; r++) {
                float gl = get(gls, r);
                for (int j = 0; j < d; j++) {
                    long e = (long) r * d + j;
                    set(gxs, e, backwardOne(new P(hs, e * pp), spec, c0, get(xs, e), get(gys, e), gl, ghs, e * pp));
                }
            }
        });
    }
}
