package dev.fluvia.backend.pointwise;

import static dev.fluvia.backend.cpu.CpuBackend.h;

import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The CPU reference of the pointwise ops ({@link PointwiseOps}): the arithmetic of {@code kernels/pointwise.cu} in Java —
 * the element-wise maps in float32 (per-row log-det sums and parameter-gradient sums in double), the mixture CDF in float64
 * per element — so that the kernels' parity is checked against the same algorithm; the float64 oracles of the tests judge both.
 */
public final class CpuPointwise implements PointwiseOps {
    private static final long TRANSCENDENTAL = CpuBackend.TRANSCENDENTAL;
    static final int SIGMOID = 0, LOGIT_MAP = 1, TANH = 2, LEAKY_RELU = 3, SCALAR_AFFINE = 4;
    private static final float LN2 = (float) 0.693147180559945309417232121458176568;
    private final CpuBackend cpu;

    public CpuPointwise(CpuBackend cpu) { this.cpu = cpu; }

    private static float get(MemorySegment s, long i) { return s.getAtIndex(ValueLayout.JAVA_FLOAT, i); }
    private static void set(MemorySegment s, long i, float v) { s.setAtIndex(ValueLayout.JAVA_FLOAT, i, v); }
    private static float exp(float v) { return (float) Math.exp(v); }
    private static float log(float v) { return (float) Math.log(v); }
    private static float log1p(float v) { return (float) Math.log1p(v); }
    private static float tanh(float v) { return (float) Math.tanh(v); }

    // ------------------------------------------------------------------ per element (kernels/pointwise.cu, line by line)

    static float sigmoid(float v) {
        if (v >= 0f) return 1f / (1f + exp(-v));
        float e = exp(v);
        return e / (1f + e);
    }

    private static float softplus(float v) { return Math.max(v, 0f) + log1p(exp(-Math.abs(v))); }

    static float f(int kind, float x, float a, float b) {
        return switch (kind) {
            case SIGMOID -> sigmoid(x);
            case LOGIT_MAP -> log(x) - log1p(-x);
            case TANH -> tanh(x);
            case LEAKY_RELU -> x >= 0f ? x : exp(a) * x;
            default -> exp(a) * x + b;
        };
    }

    static float inv(int kind, float y, float a, float b) {
        return switch (kind) {
            case SIGMOID -> log(y) - log1p(-y);
            case LOGIT_MAP -> sigmoid(y);
            case TANH -> 0.5f * (log1p(y) - log1p(-y));
            case LEAKY_RELU -> y >= 0f ? y : exp(-a) * y;
            default -> (y - b) * exp(-a);
        };
    }

    static float logDeriv(int kind, float x, float a, float b) {
        return switch (kind) {
            case SIGMOID -> { float m = Math.abs(x); yield -m - 2f * log1p(exp(-m)); }
            case LOGIT_MAP -> -log(x) - log1p(-x);
            case TANH -> 2f * (LN2 - x - softplus(-2f * x));
            case LEAKY_RELU -> x >= 0f ? 0f : a;
            default -> a;
        };
    }

    static float deriv(int kind, float x, float a, float b) {
        return switch (kind) {
            case SIGMOID, TANH -> exp(logDeriv(kind, x, a, b));
            case LOGIT_MAP -> 1f / (x * (1f - x));
            case LEAKY_RELU -> x >= 0f ? 1f : exp(a);
            default -> exp(a);
        };
    }

    static float logDerivDeriv(int kind, float x, float a, float b) {
        return switch (kind) {
            case SIGMOID -> -tanh(0.5f * x);
            case LOGIT_MAP -> -1f / x + 1f / (1f - x);
            case TANH -> -2f * tanh(x);
            default -> 0f;
        };
    }

    static boolean inDomain(int kind, boolean inverse, float v) {
        if (kind == SIGMOID && inverse) return v > 0f && v < 1f;
        if (kind == LOGIT_MAP && !inverse) return v > 0f && v < 1f;
        if (kind == TANH && inverse) return v > -1f && v < 1f;
        return true;
    }

    private static void paramGrad(int kind, float x, float gy, float gl, float a, double[] acc) {
        if (kind == LEAKY_RELU) {
            if (x < 0f) acc[0] += gy * exp(a) * x + gl;
        } else if (kind == SCALAR_AFFINE) {
            acc[0] += gy * exp(a) * x + gl;
            acc[1] += gy;
        }
    }

    private static float scalar(Tensor t) { return t == null ? 0f : get(h(t).segment(), 0); }

    /** The row loop of every element-wise forward and inverse (pwRows); returns the first index outside the domain, or −1. */
    private long rows(int kind, boolean inverse, Tensor in, Tensor pa, Tensor pb, Tensor out, Tensor ld) {
        int n = in.dim(0), d = in.dim(1);
        float a = scalar(pa), b = scalar(pb);
        MemorySegment is = h(in).segment(), os = h(out).segment(), ls = h(ld).segment();
        AtomicLong first = new AtomicLong(Long.MAX_VALUE);
        cpu.forRows(n, (long) n * d * TRANSCENDENTAL, (lo, hi) -> {
            long bad = Long.MAX_VALUE;
            for (int r = lo; r < hi; r++) {
                double acc = 0;
                for (int j = 0; j < d; j++) {
                    long e = (long) r * d + j;
                    float v = get(is, e), o, l;
                    if (!inDomain(kind, inverse, v)) bad = Math.min(bad, e);
                    if (!inverse) { o = f(kind, v, a, b); l = logDeriv(kind, v, a, b); }
                    else if (kind == LOGIT_MAP) { o = inv(kind, v, a, b); l = logDeriv(SIGMOID, v, a, b); }
                    else { o = inv(kind, v, a, b); l = -logDeriv(kind, o, a, b); }
                    set(os, e, o);
                    acc += l;
                }
                set(ls, r, (float) (get(ls, r) + acc));
            }
            long bb = bad;
            first.accumulateAndGet(bb, Math::min);
        });
        return first.get() == Long.MAX_VALUE ? -1 : first.get();
    }

    /** The element loop of every element-wise backward (pwBack); adds the two parameter sums into g0, g1 (nullable). */
    private void back(int kind, boolean inverse, Tensor x, Tensor pa, Tensor pb, Tensor g, Tensor gLd, Tensor gOut, Tensor g0, Tensor g1) {
        int n = x.dim(0), d = x.dim(1);
        float a = scalar(pa), b = scalar(pb);
        MemorySegment xs = h(x).segment(), gs = h(g).segment(), gls = h(gLd).segment(), os = h(gOut).segment();
        double[] acc = cpu.reduceRows(n, 2, (long) n * d * TRANSCENDENTAL, (lo, hi, part) -> {
            for (int r = lo; r < hi; r++) {
                float gl = get(gls, r);
                for (int j = 0; j < d; j++) {
                    long e = (long) r * d + j;
                    float xv = get(xs, e), gv = get(gs, e);
                    if (!inverse) {
                        set(os, e, gv * deriv(kind, xv, a, b) + gl * logDerivDeriv(kind, xv, a, b));
                        paramGrad(kind, xv, gv, gl, a, part);
                    } else {
                        float w = (gv - gl * logDerivDeriv(kind, xv, a, b)) / deriv(kind, xv, a, b);
                        set(os, e, w);
                        paramGrad(kind, xv, -w, -gl, a, part);
                    }
                }
            }
        });
        if (g0 != null) add(g0, acc[0]);
        if (g1 != null) add(g1, acc[1]);
    }

    private static void add(Tensor g, double v) {
        MemorySegment s = h(g).segment();
        set(s, 0, (float) (get(s, 0) + v));
    }

    // ------------------------------------------------------------------ the element-wise ops

    @Override public void sigmoidForward(Tensor x, Tensor y, Tensor ld) {
        Checks.sigmoidForward(x, y, ld);
        rows(SIGMOID, false, x, null, null, y, ld);
    }

    @Override public long sigmoidInverse(Tensor y, Tensor x, Tensor ld) {
        Checks.sigmoidInverse(y, x, ld);
        return rows(SIGMOID, true, y, null, null, x, ld);
    }

    @Override public void sigmoidBackward(Tensor x, Tensor gy, Tensor gLd, Tensor gx) {
        Checks.sigmoidBackward(x, gy, gLd, gx);
        back(SIGMOID, false, x, null, null, gy, gLd, gx, null, null);
    }

    @Override public void sigmoidInverseBackward(Tensor x, Tensor gx, Tensor gLd, Tensor gy) {
        Checks.sigmoidInverseBackward(x, gx, gLd, gy);
        back(SIGMOID, true, x, null, null, gx, gLd, gy, null, null);
    }

    @Override public long logitMapForward(Tensor x, Tensor y, Tensor ld) {
        Checks.logitMapForward(x, y, ld);
        return rows(LOGIT_MAP, false, x, null, null, y, ld);
    }

    @Override public void logitMapInverse(Tensor y, Tensor x, Tensor ld) {
        Checks.logitMapInverse(y, x, ld);
        rows(LOGIT_MAP, true, y, null, null, x, ld);
    }

    @Override public void logitMapBackward(Tensor x, Tensor gy, Tensor gLd, Tensor gx) {
        Checks.logitMapBackward(x, gy, gLd, gx);
        back(LOGIT_MAP, false, x, null, null, gy, gLd, gx, null, null);
    }

    @Override public void logitMapInverseBackward(Tensor x, Tensor gx, Tensor gLd, Tensor gy) {
        Checks.logitMapInverseBackward(x, gx, gLd, gy);
        back(LOGIT_MAP, true, x, null, null, gx, gLd, gy, null, null);
    }

    @Override public void tanhForward(Tensor x, Tensor y, Tensor ld) {
        Checks.tanhForward(x, y, ld);
        rows(TANH, false, x, null, null, y, ld);
    }

    @Override public long tanhInverse(Tensor y, Tensor x, Tensor ld) {
        Checks.tanhInverse(y, x, ld);
        return rows(TANH, true, y, null, null, x, ld);
    }

    @Override public void tanhBackward(Tensor x, Tensor gy, Tensor gLd, Tensor gx) {
        Checks.tanhBackward(x, gy, gLd, gx);
        back(TANH, false, x, null, null, gy, gLd, gx, null, null);
    }

    @Override public void tanhInverseBackward(Tensor x, Tensor gx, Tensor gLd, Tensor gy) {
        Checks.tanhInverseBackward(x, gx, gLd, gy);
        back(TANH, true, x, null, null, gx, gLd, gy, null, null);
    }

    @Override public void leakyReluForward(Tensor x, Tensor logSlope, Tensor y, Tensor ld) {
        Checks.leakyReluForward(x, logSlope, y, ld);
        rows(LEAKY_RELU, false, x, logSlope, null, y, ld);
    }

    @Override public void leakyReluInverse(Tensor y, Tensor logSlope, Tensor x, Tensor ld) {
        Checks.leakyReluInverse(y, logSlope, x, ld);
        rows(LEAKY_RELU, true, y, logSlope, null, x, ld);
    }

    @Override public void leakyReluBackward(Tensor x, Tensor logSlope, Tensor gy, Tensor gLd, Tensor gx, Tensor gLogSlope) {
        Checks.leakyReluBackward(x, logSlope, gy, gLd, gx, gLogSlope);
        back(LEAKY_RELU, false, x, logSlope, null, gy, gLd, gx, gLogSlope, null);
    }

    @Override public void leakyReluInverseBackward(Tensor x, Tensor logSlope, Tensor gx, Tensor gLd, Tensor gy, Tensor gLogSlope) {
        Checks.leakyReluInverseBackward(x, logSlope, gx, gLd, gy, gLogSlope);
        back(LEAKY_RELU, true, x, logSlope, null, gx, gLd, gy, gLogSlope, null);
    }

    @Override public void scalarAffineForward(Tensor x, Tensor logScale, Tensor shift, Tensor y, Tensor ld) {
        Checks.scalarAffineForward(x, logScale, shift, y, ld);
        rows(SCALAR_AFFINE, false, x, logScale, shift, y, ld);
    }

    @Override public void scalarAffineInverse(Tensor y, Tensor logScale, Tensor shift, Tensor x, Tensor ld) {
        Checks.scalarAffineInverse(y, logScale, shift, x, ld);
        rows(SCALAR_AFFINE, true, y, logScale, shift, x, ld);
    }

    @Override public void scalarAffineBackward(Tensor x, Tensor logScale, Tensor shift, Tensor gy, Tensor gLd, Tensor gx, Tensor gLogScale, Tensor gShift) {
        Checks.scalarAffineBackward(x, logScale, shift, gy, gLd, gx, gLogScale, gShift);
        back(SCALAR_AFFINE, false, x, logScale, shift, gy, gLd, gx, gLogScale, gShift);
    }

    @Override public void scalarAffineInverseBackward(Tensor x, Tensor logScale, Tensor shift, Tensor gx, Tensor gLd, Tensor gy, Tensor gLogScale, Tensor gShift) {
        Checks.scalarAffineInverseBackward(x, logScale, shift, gx, gLd, gy, gLogScale, gShift);
        back(SCALAR_AFFINE, true, x, logScale, shift, gx, gLd, gy, gLogScale, gShift);
    }

    // ------------------------------------------------------------------ the mixture CDF (float64 per element)

    private static final double LOG_SQRT_PI = 0.5 * Math.log(Math.PI), HALF_LOG_2PI = 0.5 * Math.log(2.0 * Math.PI), LOG_HALF = Math.log(0.5);

    static double erfSeries(double u) {
        double u2 = u * u, term = u, sum = u;
        for (int k = 1; k < 200; k++) {
            term *= -u2 / k;
            double add = term / (2 * k + 1);
            sum += add;
            if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
        }
        return 2.0 / Math.sqrt(Math.PI) * sum;
    }

    static double logCf(double u) {
        double tiny = 1e-300, f = u, c = u, dd = 0.0;
        for (int k = 1; k < 500; k++) {
            double a = k / 2.0;
            dd = u + a * dd;
            dd = Math.abs(dd) < tiny ? tiny : dd;
            c = u + a / c;
            c = Math.abs(c) < tiny ? tiny : c;
            dd = 1.0 / dd;
            double delta = c * dd;
            f *= delta;
            if (Math.abs(delta - 1.0) < 1e-16) break;
        }
        return -Math.log(f);
    }

    /** {log Φ(t), log Φ(−t)} (pwLogPhiPair). */
    static void logPhiPair(double t, double[] out) {
        double u = -t / Math.sqrt(2.0), lu, lnu;
        if (Math.abs(u) <= 2.0) {
            double e = erfSeries(u);
            lu = Math.log1p(-e);
            lnu = Math.log1p(e);
        } else if (u > 2.0) {
            lu = -u * u - LOG_SQRT_PI + logCf(u);
            lnu = Math.log(2.0 - Math.exp(lu));
        } else {
            lnu = -u * u - LOG_SQRT_PI + logCf(-u);
            lu = Math.log(2.0 - Math.exp(lnu));
        }
        out[0] = LOG_HALF + lu;
        out[1] = LOG_HALF + lnu;
    }

    /** One dimension's parameters: rows of logits, means, log scales starting at off. */
    private record Mix(MemorySegment a, MemorySegment mu, MemorySegment ls, long off, int k, double lse) {
        static Mix of(MemorySegment a, MemorySegment mu, MemorySegment ls, long off, int k) {
            double m = Double.NEGATIVE_INFINITY, s = 0;
            for (int c = 0; c < k; c++) {
                double v = get(a, off + c);
                if (v > m) { s = s * Math.exp(m - v) + 1.0; m = v; } else s += Math.exp(v - m);
            }
            return new Mix(a, mu, ls, off, k, m + Math.log(s));
        }

        /** out: logQ, lcdf, lsurv, t, sd of component c at x (pwComponent). */
        void component(int c, double x, double[] pair, double[] out) {
            double lpi = get(a, off + c) - lse, l = get(ls, off + c), sd = Math.exp(l), t = (x - get(mu, off + c)) / sd;
            out[0] = lpi + (-0.5 * t * t - HALF_LOG_2PI) - l;
            logPhiPair(t, pair);
            out[1] = lpi + pair[0];
            out[2] = lpi + pair[1];
            out[3] = t;
            out[4] = sd;
        }

        double pi(int c) { return Math.exp(get(a, off + c) - lse); }

        /** {log p, log F, log(1 − F)} at x (pwMixEval). */
        void eval(double x, double[] pair, double[] comp, double[] out) {
            double mp = Double.NEGATIVE_INFINITY, sp = 0, mf = Double.NEGATIVE_INFINITY, sf = 0, mg = Double.NEGATIVE_INFINITY, sg = 0;
            for (int c = 0; c < k; c++) {
                component(c, x, pair, comp);
                double q = comp[0], f = comp[1], g = comp[2];
                if (q > mp) { sp = sp * Math.exp(mp - q) + 1.0; mp = q; } else sp += Math.exp(q - mp);
                if (f > mf) { sf = sf * Math.exp(mf - f) + 1.0; mf = f; } else sf += Math.exp(f - mf);
                if (g > mg) { sg = sg * Math.exp(mg - g) + 1.0; mg = g; } else sg += Math.exp(g - mg);
            }
            out[0] = mp + Math.log(sp);
            out[1] = mf + Math.log(sf);
            out[2] = mg + Math.log(sg);
        }
    }

    private static double y(boolean logit, double[] e) { return logit ? e[1] - e[2] : Math.exp(e[1]); }
    private static double ld(boolean logit, double[] e) { return logit ? e[0] - e[1] - e[2] : e[0]; }
    private static double dy(boolean logit, double[] e) { return logit ? Math.exp(e[0] - e[1]) + Math.exp(e[0] - e[2]) : Math.exp(e[0]); }

    /** pwMixSolve. */
    static double solve(Mix m, boolean logit, double target, double[] pair, double[] comp, double[] e) {
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY, width = 0;
        for (int c = 0; c < m.k(); c++) {
            lo = Math.min(lo, get(m.mu(), m.off() + c));
            hi = Math.max(hi, get(m.mu(), m.off() + c));
            width = Math.max(width, Math.exp(get(m.ls(), m.off() + c)));
        }
        lo -= 10.0 * width;
        hi += 10.0 * width;
        for (int it = 0; it < 200; it++) { m.eval(lo, pair, comp, e); if (y(logit, e) < target) break; lo -= (hi - lo); }
        for (int it = 0; it < 200; it++) { m.eval(hi, pair, comp, e); if (y(logit, e) > target) break; hi += (hi - lo); }
        double x = 0.5 * (lo + hi);
        for (int it = 0; it < 300; it++) {
            m.eval(x, pair, comp, e);
            double g = y(logit, e) - target;
            if (g == 0.0) return x;
            if (g > 0.0) hi = x; else lo = x;
            double next = x - g / dy(logit, e);
            if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
            double step = Math.abs(next - x);
            x = next;
            if (step <= 1e-13 * (1.0 + Math.abs(x)) || hi - lo <= 1e-13 * (1.0 + Math.abs(x))) return x;
        }
        return x;
    }

    private long mixRows(Tensor in, Tensor logits, Tensor means, Tensor logScales, boolean logit, Tensor out, Tensor ld, boolean inverse) {
        int n = in.dim(0), d = in.dim(1), k = logits.dim(1);
        MemorySegment is = h(in).segment(), os = h(out).segment(), ls = h(ld).segment(),
                as = h(logits).segment(), ms = h(means).segment(), ss = h(logScales).segment();
        AtomicLong first = new AtomicLong(Long.MAX_VALUE);
        cpu.forRows(n, (long) n * d * k * TRANSCENDENTAL * (inverse ? 64 : 4), (lo, hi) -> {
            double[] pair = new double[2], comp = new double[5], e = new double[3];
            Mix[] mix = new Mix[d];
            for (int j = 0; j < d; j++) mix[j] = Mix.of(as, ms, ss, (long) j * k, k);
            long bad = Long.MAX_VALUE;
            for (int r = lo; r < hi; r++) {
                double acc = 0;
                for (int j = 0; j < d; j++) {
                    long el = (long) r * d + j;
                    float v = get(is, el);
                    if (!inverse) {
                        mix[j].eval(v, pair, comp, e);
                        set(os, el, (float) y(logit, e));
                        acc += ld(logit, e);
                        continue;
                    }
                    boolean inside = logit ? Float.isFinite(v) : (v > 0f && v < 1f);
                    if (!inside) { bad = Math.min(bad, el); set(os, el, 0f); continue; }
                    double xv = solve(mix[j], logit, v, pair, comp, e);
                    mix[j].eval(xv, pair, comp, e);
                    set(os, el, (float) xv);
                    acc -= ld(logit, e);
                }
                set(ls, r, (float) (get(ls, r) + acc));
            }
            long bb = bad;
            first.accumulateAndGet(bb, Math::min);
        });
        return first.get() == Long.MAX_VALUE ? -1 : first.get();
    }

    @Override public void mixCdfForward(Tensor x, Tensor logits, Tensor means, Tensor logScales, boolean logit, Tensor y, Tensor ld) {
        Checks.mixCdfForward(x, logits, means, logScales, y, ld);
        mixRows(x, logits, means, logScales, logit, y, ld, false);
    }

    @Override public long mixCdfInverse(Tensor y, Tensor logits, Tensor means, Tensor logScales, boolean logit, Tensor x, Tensor ld) {
        Checks.mixCdfInverse(y, logits, means, logScales, x, ld);
        return mixRows(y, logits, means, logScales, logit, x, ld, true);
    }

    @Override public void mixCdfBackward(Tensor x, Tensor logits, Tensor means, Tensor logScales, boolean logit, Tensor gy, Tensor gLd, Tensor gx,
                                         Tensor gLogits, Tensor gMeans, Tensor gLogScales) {
        Checks.mixCdfBackward(x, logits, means, logScales, gy, gLd, gx, gLogits, gMeans, gLogScales);
        int n = x.dim(0), d = x.dim(1), k = logits.dim(1), dk = d * k;
        MemorySegment xs = h(x).segment(), gys = h(gy).segment(), gls = h(gLd).segment(), gxs = h(gx).segment(),
                as = h(logits).segment(), ms = h(means).segment(), ss = h(logScales).segment();
        double[] acc = cpu.reduceRows(n, 3 * dk, (long) n * dk * TRANSCENDENTAL * 8, (lo, hi, part) -> {
            double[] pair = new double[2], comp = new double[5], e = new double[3];
            for (int j = 0; j < d; j++) {
                Mix m = Mix.of(as, ms, ss, (long) j * k, k);
                int ga = j * k, gm = dk + j * k, gs = 2 * dk + j * k;
                for (int r = lo; r < hi; r++) {
                    long el = (long) r * d + j;
                    double xv = get(xs, el), g = get(gys, el), gl = get(gls, r);
                    m.eval(xv, pair, comp, e);
                    double lp = e[0], lf = e[1], lgg = e[2], gxv = 0;
                    for (int c = 0; c < k; c++) {
                        m.component(c, xv, pair, comp);
                        double q = comp[0], f = comp[1], s = comp[2], t = comp[3], sd = comp[4];
                        double rr = Math.exp(q - lp), pi = m.pi(c);
                        gxv += gl * (-rr * t / sd);
                        part[gm + c] += gl * rr * t / sd;
                        part[gs + c] += gl * rr * (t * t - 1.0);
                        part[ga + c] += gl * (rr - pi);
                        if (!logit) {
                            double qc = Math.exp(q);
                            part[gm + c] += g * -qc;
                            part[gs + c] += g * -t * sd * qc;
                            part[ga + c] += g * (Math.exp(f) - pi * Math.exp(lf));
                        } else {
                            double qf = Math.exp(q - lf), qg = Math.exp(q - lgg);
                            double aMu = -qf, bMu = -qg, aS = -t * sd * qf, bS = -t * sd * qg;
                            double aA = Math.exp(f - lf) - pi, bA = pi - Math.exp(s - lgg);
                            part[gm + c] += g * (aMu + bMu) + gl * (-aMu + bMu);
                            part[gs + c] += g * (aS + bS) + gl * (-aS + bS);
                            part[ga + c] += g * (aA + bA) + gl * (-aA + bA);
                        }
                    }
                    if (!logit) gxv += g * Math.exp(lp);
                    else {
                        double aX = Math.exp(lp - lf), bX = Math.exp(lp - lgg);
                        gxv += g * (aX + bX) + gl * (-aX + bX);
                    }
                    set(gxs, el, (float) gxv);
                }
            }
        });
        MemorySegment[] gsg = {h(gLogits).segment(), h(gMeans).segment(), h(gLogScales).segment()};
        for (int p = 0; p < 3; p++)
            for (int i = 0; i < dk; i++) set(gsg[p], i, (float) (get(gsg[p], i) + acc[p * dk + i]));
    }
}
