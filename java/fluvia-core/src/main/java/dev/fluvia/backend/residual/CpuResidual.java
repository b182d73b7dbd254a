package dev.fluvia.backend.residual;

import static dev.fluvia.backend.cpu.CpuBackend.h;

import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The CPU reference of the residual ops ({@link ResidualOps}): the arithmetic of {@code kernels/residual.cu} in Java,
 * float32 storage and float64 arithmetic, the parameter gradients summed per 64-row chunk and then in chunk order (the
 * kernels' partials). The float64 host oracles of the tests ({@code PlanarRadialOracles}, {@code SylvesterOracle},
 * {@code ResidualHostOracle}) are the oracle both are held to.
 */
public final class CpuResidual implements ResidualOps {
    private static final long TRANSCENDENTAL = CpuBackend.TRANSCENDENTAL;
    /** Planar root find: |Δa| ≤ ROOT_TOL·(1 + |a|) (the kernel's RESIDUAL_ROOT_TOL). */
    static final double ROOT_TOL = 1e-14;
    static final int MAX_ITER = 200;
    private final CpuBackend cpu;

    public CpuResidual(CpuBackend cpu) { this.cpu = cpu; }

    private static float get(MemorySegment s, long i) { return s.getAtIndex(ValueLayout.JAVA_FLOAT, i); }
    private static void set(MemorySegment s, long i, float v) { s.setAtIndex(ValueLayout.JAVA_FLOAT, i, v); }
    private static MemorySegment seg(Tensor t) { return h(t).segment(); }

    static double softplus(double a) { return a > 0 ? a + Math.log1p(Math.exp(-a)) : Math.log1p(Math.exp(a)); }

    static double sigmoid(double a) {
        if (a >= 0) return 1 / (1 + Math.exp(-a));
        double e = Math.exp(a);
        return e / (1 + e);
    }

    private double[] host(Tensor t) {
        float[] f = cpu.toHost(t);
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }

    // ------------------------------------------------------------------ planar

    /** p = wᵀu, n2 = ‖w‖², c = −1 + softplus(p), k = (c − p)/n2, b; û_j = u_j + k·w_j. */
    private record PlanarScalars(double[] u, double[] w, double p, double n2, double c, double k, double b) {
        double uh(int j) { return u[j] + k * w[j]; }
    }

    private PlanarScalars planar(Tensor u, Tensor w, Tensor b) {
        double[] uu = host(u), ww = host(w);
        double p = 0, n2 = 0;
        for (int j = 0; j < ww.length; j++) { p += ww[j] * uu[j]; n2 += ww[j] * ww[j]; }
        double c = -1 + softplus(p), k = (c - p) / n2;
        if (!(n2 > 0)) c = k * 0.0;   // w = 0: k is ±∞ or NaN, so c (and every output, ld included) is NaN
        return new PlanarScalars(uu, ww, p, n2, c, k, cpu.toHost(b)[0]);
    }

    /**
     * The root a of {@code a + c·tanh(a + b) = s} for c &gt; −1 (strictly increasing): Newton steps safeguarded by bisection
     * inside the bracket {@code [s − |c|, s + |c|]}, to |Δa| ≤ 1e-14·(1 + |a|) (the kernel's {@code planarSolve}).
     */
    public static double planarSolve(double s, double c, double b) {
        double lo = s - Math.abs(c), hi = s + Math.abs(c);
        if (lo == hi) return s;
        double a = s - c * Math.tanh(s + b);
        if (!(a > lo && a < hi)) a = 0.5 * (lo + hi);
        for (int it = 0; it < MAX_ITER; it++) {
            double t = Math.tanh(a + b), g = a + c * t - s;
            if (g == 0) return a;
            if (g > 0) hi = a; else lo = a;
            double next = a - g / (1 + c * (1 - t * t));
            if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
            double step = Math.abs(next - a);
            a = next;
            if (step <= ROOT_TOL * (1 + Math.abs(a)) || hi - lo <= ROOT_TOL * (1 + Math.abs(a))) return a;
        }
        return a;
    }

    private void planarApply(Tensor in, Tensor u, Tensor w, Tensor b, Tensor out, Tensor ld, boolean inverse) {
        int n = in.dim(0), d = in.dim(1);
        PlanarScalars q = planar(u, w, b);
        MemorySegment is = seg(in), os = seg(out), ls = seg(ld);
        cpu.forRows(n, (long) n * d * 4 + n * TRANSCENDENTAL * (inverse ? 2 : 20), (lo, hi) -> {
            for (int r = lo; r < hi; r++) {
                long base = (long) r * d;
                double s = 0;
                for (int j = 0; j < d; j++) s += q.w[j] * get(is, base + j);
                double t = inverse ? Math.tanh(s + q.b) : Math.tanh(planarSolve(s, q.c, q.b) + q.b), sign = inverse ? 1 : -1;
                for (int j = 0; j < d; j++) set(os, base + j, (float) (get(is, base + j) + sign * q.uh(j) * t));
                set(ls, r, (float) (get(ls, r) + sign * Math.log1p(q.c * (1 - t * t))));
            }
        });
    }

    @Override public void planarForward(Tensor x, Tensor u, Tensor w, Tensor b, Tensor z, Tensor ld) {
        ResidualOps.Checks.planarForward(x, u, w, b, z, ld);
        planarApply(x, u, w, b, z, ld, false);
    }

    @Override public void planarInverse(Tensor z, Tensor u, Tensor w, Tensor b, Tensor x, Tensor ld) {
        ResidualOps.Checks.planarInverse(z, u, w, b, x, ld);
        planarApply(z, u, w, b, x, ld, true);
    }

    @Override public void planarBackward(Tensor x, Tensor u, Tensor w, Tensor b, Tensor gz, Tensor gLd, Tensor gx, Tensor gu, Tensor gw, Tensor gb) {
        ResidualOps.Checks.planarBackward(x, u, w, b, gz, gLd, gx, gu, gw, gb);
        planarGrad(false, x, u, w, b, gz, gLd, gx, gu, gw, gb);
    }

    @Override public void planarInverseBackward(Tensor z, Tensor u, Tensor w, Tensor b, Tensor gx, Tensor gLd, Tensor gz, Tensor gu, Tensor gw, Tensor gb) {
        ResidualOps.Checks.planarInverseBackward(z, u, w, b, gx, gLd, gz, gu, gw, gb);
        planarGrad(true, z, u, w, b, gx, gLd, gz, gu, gw, gb);
    }

    /** Per row: ct (∂L/∂û coefficient), cs (input-gradient coefficient), ∂L/∂b, ∂L/∂c; then the columns (planarBackwardChunk). */
    private void planarGrad(boolean generative, Tensor in, Tensor u, Tensor w, Tensor b, Tensor g, Tensor gLd, Tensor gout,
                            Tensor gu, Tensor gw, Tensor gb) {
        int n = in.dim(0), d = in.dim(1);
        if (n == 0 || d == 0) return;
        PlanarScalars q = planar(u, w, b);
        MemorySegment is = seg(in), gs = seg(g), ls = seg(gLd), os = seg(gout);
        double[] acc = cpu.reduceRows(n, 2 * d + 2, (long) n * d * 6 + n * TRANSCENDENTAL * 20, (lo, hi, a) -> {
            for (int r = lo; r < hi; r++) {
                long base = (long) r * d;
                double s = 0, gdot = 0;
                for (int j = 0; j < d; j++) {
                    s += q.w[j] * get(is, base + j);
                    gdot += q.uh(j) * get(gs, base + j);
                }
                double gl = get(ls, r), ct, cs, gbr, gcr;
                if (generative) {
                    double t = Math.tanh(s + q.b), sp = 1 - t * t, den = 1 + q.c * sp;
                    double gden = gl / den, gt = gdot - gden * q.c * 2 * t;
                    gcr = gden * sp;
                    cs = gt * sp;
                    gbr = cs;
                    ct = t;
                } else {
                    double t = Math.tanh(planarSolve(s, q.c, q.b) + q.b), sp = 1 - t * t, den = 1 + q.c * sp;
                    double gden = -gl / den, gt = -gdot - gden * q.c * 2 * t, gpre = gt * sp;
                    gcr = gden * sp - gpre * t / den;
                    gbr = gpre - gpre * q.c * sp / den;
                    cs = gpre / den;
                    ct = -t;
                }
                for (int j = 0; j < d; j++) {
                    double gv = get(gs, base + j);
                    a[j] += ct * gv;
                    a[d + j] += cs * get(is, base + j);
                    set(os, base + j, (float) (gv + cs * q.w[j]));
                }
                a[2 * d] += gbr;
                a[2 * d + 1] += gcr;
            }
        });
        // planarBackwardFinalize
        double gk = 0;
        for (int j = 0; j < d; j++) gk += acc[j] * q.w[j];
        double sig = sigmoid(q.p), gp = acc[2 * d + 1] * sig + gk * (sig - 1) / q.n2;
        MemorySegment us = seg(gu), ws = seg(gw), bs = seg(gb);
        for (int j = 0; j < d; j++) {
            set(us, j, (float) (get(us, j) + acc[j] + gp * q.w[j]));
            set(ws, j, (float) (get(ws, j) + q.k * acc[j] + acc[d + j] - gk * 2 * q.k * q.w[j] / q.n2 + gp * q.u[j]));
        }
        set(bs, 0, (float) (get(bs, 0) + acc[2 * d]));
    }

    // ------------------------------------------------------------------ radial

    /**
     * The non-negative root r of {@code r² + (α + β − ρ)·r − αρ = 0}, i.e. of {@code ρ = r·(1 + β/(α + r))}, for ρ ≥ 0, in
     * the cancellation-free form (the kernel's {@code radialSolve}).
     */
    public static double radialSolve(double rho, double alpha, double beta) {
        if (rho == 0) return 0;
        double bq = alpha + beta - rho, disc = Math.sqrt(bq * bq + 4 * alpha * rho);
        return bq >= 0 ? 2 * alpha * rho / (bq + disc) : (disc - bq) / 2;
    }

    private void radialApply(Tensor in, Tensor z0, Tensor ar, Tensor br, Tensor out, Tensor ld, boolean inverse) {
        int n = in.dim(0), d = in.dim(1);
        double[] c = host(z0);
        double alpha = softplus(cpu.toHost(ar)[0]), beta = -alpha + softplus(cpu.toHost(br)[0]);
        MemorySegment is = seg(in), os = seg(out), ls = seg(ld);
        cpu.forRows(n, (long) n * d * 4 + n * TRANSCENDENTAL * 2, (lo, hi) -> {
            for (int r = lo; r < hi; r++) {
                long base = (long) r * d;
                double s = 0;
                for (int j = 0; j < d; j++) { double y = get(is, base + j) - c[j]; s += y * y; }
                double rad = inverse ? Math.sqrt(s) : radialSolve(Math.sqrt(s), alpha, beta), aa = alpha + rad;
                double hh = 1 + beta / aa, jj = 1 + beta * alpha / (aa * aa);
                for (int j = 0; j < d; j++) {
                    double y = get(is, base + j) - c[j];
                    set(os, base + j, (float) (c[j] + (inverse ? hh * y : y / hh)));
                }
                double l = (d - 1) * Math.log(hh) + Math.log(jj);
                set(ls, r, (float) (inverse ? get(ls, r) + l : get(ls, r) - l));
            }
        });
    }

    @Override public void radialForward(Tensor x, Tensor z0, Tensor alphaRaw, Tensor betaRaw, Tensor z, Tensor ld) {
        ResidualOps.Checks.radialForward(x, z0, alphaRaw, betaRaw, z, ld);
        radialApply(x, z0, alphaRaw, betaRaw, z, ld, false);
    }

    @Override public void radialInverse(Tensor z, Tensor z0, Tensor alphaRaw, Tensor betaRaw, Tensor x, Tensor ld) {
        ResidualOps.Checks.radialInverse(z, z0, alphaRaw, betaRaw, x, ld);
        radialApply(z, z0, alphaRaw, betaRaw, x, ld, true);
    }

    @Override public void radialBackward(Tensor x, Tensor z0, Tensor alphaRaw, Tensor betaRaw, Tensor gz, Tensor gLd, Tensor gx,
                                         Tensor gz0, Tensor galpha, Tensor gbeta) {
        ResidualOps.Checks.radialBackward(x, z0, alphaRaw, betaRaw, gz, gLd, gx, gz0, galpha, gbeta);
        radialGrad(false, x, z0, alphaRaw, betaRaw, gz, gLd, gx, gz0, galpha, gbeta);
    }

    @Override public void radialInverseBackward(Tensor z, Tensor z0, Tensor alphaRaw, Tensor betaRaw, Tensor gx, Tensor gLd, Tensor gz,
                                                Tensor gz0, Tensor galpha, Tensor gbeta) {
        ResidualOps.Checks.radialInverseBackward(z, z0, alphaRaw, betaRaw, gx, gLd, gz, gz0, galpha, gbeta);
        radialGrad(true, z, z0, alphaRaw, betaRaw, gx, gLd, gz, gz0, galpha, gbeta);
    }

    /** Per row: gout = cg·g + cy·(in − z0) and ∂L/∂α, ∂L/∂β; the columns Σ (g − gout) (radialBackwardChunk). */
    private void radialGrad(boolean generative, Tensor in, Tensor z0, Tensor ar, Tensor br, Tensor g, Tensor gLd, Tensor gout,
                            Tensor gz0, Tensor galpha, Tensor gbeta) {
        int n = in.dim(0), d = in.dim(1);
        if (n == 0 || d == 0) return;
        double[] c = host(z0);
        double arv = cpu.toHost(ar)[0], brv = cpu.toHost(br)[0];
        double al = softplus(arv), bt = -al + softplus(brv);
        MemorySegment is = seg(in), gs = seg(g), ls = seg(gLd), os = seg(gout);
        double[] acc = cpu.reduceRows(n, d + 2, (long) n * d * 6 + n * TRANSCENDENTAL * 2, (lo, hi, a) -> {
            for (int r = lo; r < hi; r++) {
                long base = (long) r * d;
                double s = 0, gy = 0;
                for (int j = 0; j < d; j++) {
                    double y = get(is, base + j) - c[j];
                    s += y * y;
                    gy += get(gs, base + j) * y;
                }
                double gl = get(ls, r), cg, cy, ga, gbr;
                if (generative) {
                    double rad = Math.sqrt(s), aa = al + rad, hh = 1 + bt / aa, jj = 1 + bt * al / (aa * aa);
                    double gH = (d - 1) * gl / hh + gy, gJ = gl / jj;
                    double gA = -gH * bt / (aa * aa) - 2 * gJ * bt * al / (aa * aa * aa);
                    gbr = gH / aa + gJ * al / (aa * aa);
                    ga = gJ * bt / (aa * aa) + gA;
                    cg = hh;
                    cy = rad > 0 ? gA / rad : 0;
                } else {
                    double rho = Math.sqrt(s), rad = radialSolve(rho, al, bt), aa = al + rad;
                    double hh = 1 + bt / aa, jj = 1 + bt * al / (aa * aa);
                    double gH = -gy / (hh * hh) - gl * (d - 1) / hh, gJ = -gl / jj;
                    double gA = -gH * bt / (aa * aa) - 2 * gJ * bt * al / (aa * aa * aa);
                    gbr = gH / aa + gJ * al / (aa * aa) - gA * (rad / aa) / jj;
                    ga = gJ * bt / (aa * aa) + gA + gA * (bt * rad / (aa * aa)) / jj;
                    cg = 1 / hh;
                    cy = rho > 0 ? gA / jj / rho : 0;
                }
                for (int j = 0; j < d; j++) {
                    double gv = get(gs, base + j), o = cg * gv + cy * (get(is, base + j) - c[j]);
                    set(os, base + j, (float) o);
                    a[j] += gv - o;
                }
                a[d] += ga;
                a[d + 1] += gbr;
            }
        });
        MemorySegment zs = seg(gz0), as = seg(galpha), bs = seg(gbeta);
        for (int j = 0; j < d; j++) set(zs, j, (float) (get(zs, j) + acc[j]));
        set(as, 0, (float) (get(as, 0) + (acc[d] - acc[d + 1]) * sigmoid(arv)));
        set(bs, 0, (float) (get(bs, 0) + acc[d + 1] * sigmoid(brv)));
    }

    // ------------------------------------------------------------------ sylvester

    /** Q = H_1⋯H_K (rows e_iᵀH_1⋯H_K), R, R̃ (upper, tanh diagonals, zero below), all [D, D] (sylvesterPrepare). */
    private record Sylv(int d, int k, double[] v, double[] q, double[] re, double[] rte, double[] b) {}

    private Sylv prepare(Tensor v, Tensor r, Tensor rt, Tensor b, int d) {
        double[] vv = host(v), rr = host(r), rtt = host(rt), q = new double[d * d], re = new double[d * d], rte = new double[d * d];
        int k = v.dim(0);
        for (int i = 0; i < d; i++)
            for (int j = 0; j < d; j++) {
                int e = i * d + j;
                re[e] = j > i ? rr[e] : j == i ? Math.tanh(rr[e]) : 0;
                rte[e] = j > i ? rtt[e] : j == i ? Math.tanh(rtt[e]) : 0;
            }
        for (int i = 0; i < d; i++) {
            q[i * d + i] = 1;
            for (int kk = 0; kk < k; kk++) {
                double dot = 0, nn = 0;
                for (int c = 0; c < d; c++) { dot += q[i * d + c] * vv[kk * d + c]; nn += vv[kk * d + c] * vv[kk * d + c]; }
                double f = 2 * dot / nn;
                for (int c = 0; c < d; c++) q[i * d + c] -= f * vv[kk * d + c];
            }
        }
        return new Sylv(d, k, vv, q, re, rte, host(b));
    }

    /** One row of the generative map into s (D), h (D), p (D); returns ld⁻¹. */
    private static double generate(Sylv y, MemorySegment zs, long base, double[] s, double[] h, double[] p) {
        int d = y.d;
        for (int j = 0; j < d; j++) {
            double acc = 0;
            for (int i = 0; i < d; i++) acc += y.q[i * d + j] * get(zs, base + i);
            s[j] = acc;
        }
        double l = 0;
        for (int i = 0; i < d; i++) {
            double a = y.b[i];
            for (int j = i; j < d; j++) a += y.rte[i * d + j] * s[j];
            h[i] = Math.tanh(a);
            l += Math.log1p(y.re[i * d + i] * y.rte[i * d + i] * (1 - h[i] * h[i]));
        }
        for (int i = 0; i < d; i++) {
            double acc = 0;
            for (int j = i; j < d; j++) acc += y.re[i * d + j] * h[j];
            p[i] = acc;
        }
        return l;
    }

    @Override public void sylvesterInverse(Tensor z, Tensor v, Tensor r, Tensor rt, Tensor b, Tensor x, Tensor ld) {
        ResidualOps.Checks.sylvesterInverse(z, v, r, rt, b, x, ld);
        int n = z.dim(0), d = z.dim(1);
        if (n == 0 || d == 0) return;
        Sylv y = prepare(v, r, rt, b, d);
        MemorySegment zs = seg(z), xs = seg(x), ls = seg(ld);
        cpu.forRows(n, (long) n * d * d * 3, (lo, hi) -> {
            double[] s = new double[d], hv = new double[d], p = new double[d];
            for (int row = lo; row < hi; row++) {
                long base = (long) row * d;
                double l = generate(y, zs, base, s, hv, p);
                for (int i = 0; i < d; i++) {
                    double acc = get(zs, base + i);
                    for (int j = 0; j < d; j++) acc += y.q[i * d + j] * p[j];
                    set(xs, base + i, (float) acc);
                }
                set(ls, row, (float) (get(ls, row) + l));
            }
        });
    }

    @Override public void sylvesterInverseBackward(Tensor z, Tensor v, Tensor r, Tensor rt, Tensor b, Tensor gx, Tensor gLd, Tensor gz,
                                                   Tensor gv, Tensor gr, Tensor grt, Tensor gb) {
        ResidualOps.Checks.sylvesterInverseBackward(z, v, r, rt, b, gx, gLd, gz, gv, gr, grt, gb);
        int n = z.dim(0), d = z.dim(1);
        if (n == 0 || d == 0) return;
        Sylv y = prepare(v, r, rt, b, d);
        int dd = d * d, k = y.k;
        MemorySegment zs = seg(z), gxs = seg(gx), ls = seg(gLd), gzs = seg(gz);
        // sylvesterInverseBackwardRows + Partials: [G_Q | G_R | G_R̃ | Σ g_a | Σ e]
        double[] acc = cpu.reduceRows(n, 3 * dd + 2 * d, (long) n * dd * 8, (lo, hi, a) -> {
            double[] s = new double[d], hv = new double[d], p = new double[d], gp = new double[d], ga = new double[d], gs = new double[d];
            for (int row = lo; row < hi; row++) {
                long base = (long) row * d;
                double gl = get(ls, row);
                generate(y, zs, base, s, hv, p);
                for (int j = 0; j < d; j++) {
                    double acg = 0;
                    for (int i = 0; i < d; i++) acg += y.q[i * d + j] * get(gxs, base + i);
                    gp[j] = acg;
                }
                for (int j = 0; j < d; j++) {
                    double g = 0;
                    for (int i = 0; i <= j; i++) g += y.re[i * d + j] * gp[i];
                    double rr = y.re[j * d + j] * y.rte[j * d + j], sp = 1 - hv[j] * hv[j], den = 1 + rr * sp;
                    a[3 * dd + d + j] += gl * sp / den;
                    g += gl * rr * (-2 * hv[j]) / den;
                    ga[j] = g * sp;
                }
                for (int j = 0; j < d; j++) {
                    double g = 0;
                    for (int i = 0; i <= j; i++) g += y.rte[i * d + j] * ga[i];
                    gs[j] = g;
                }
                for (int i = 0; i < d; i++) {
                    double gxi = get(gxs, base + i), zi = get(zs, base + i), g = gxi;
                    for (int j = 0; j < d; j++) {
                        g += y.q[i * d + j] * gs[j];
                        a[i * d + j] += gxi * p[j] + zi * gs[j];
                        a[dd + i * d + j] += gp[i] * hv[j];
                        a[2 * dd + i * d + j] += ga[i] * s[j];
                    }
                    set(gzs, base + i, (float) g);
                    a[3 * dd + i] += ga[i];
                }
            }
        });
        // sylvesterInverseBackwardFinalize
        float[] rf = cpu.toHost(r), rtf = cpu.toHost(rt);
        MemorySegment grs = seg(gr), grts = seg(grt), gbs = seg(gb);
        for (int t = 0; t < 2; t++) {
            MemorySegment g = t == 0 ? grs : grts;
            float[] raw = t == 0 ? rf : rtf;
            double[] other = t == 0 ? y.rte : y.re;
            for (int i = 0; i < d; i++)
                for (int j = i; j < d; j++) {
                    int e = i * d + j;
                    double sv = acc[(t + 1) * dd + e];
                    if (j > i) set(g, e, (float) (get(g, e) + sv));
                    else {
                        double th = Math.tanh(raw[e]);
                        set(g, e, (float) (get(g, e) + (sv + other[e] * acc[3 * dd + d + i]) * (1 - th * th)));
                    }
                }
        }
        for (int j = 0; j < d; j++) set(gbs, j, (float) (get(gbs, j) + acc[3 * dd + j]));
        // sylvesterHouseholderBackward + Finalize: rows of Q back through the reflections
        double[] gvAcc = new double[k * d], qi = new double[d], gi = new double[d];
        for (int i = 0; i < d; i++) {
            for (int c = 0; c < d; c++) { qi[c] = y.q[i * d + c]; gi[c] = acc[i * d + c]; }
            for (int kk = k - 1; kk >= 0; kk--) {
                double nn = 0, a0 = 0;
                for (int c = 0; c < d; c++) { double vc = y.v[kk * d + c]; nn += vc * vc; a0 += qi[c] * vc; }
                for (int c = 0; c < d; c++) qi[c] -= 2 * a0 / nn * y.v[kk * d + c];
                double al = 0, be = 0;
                for (int c = 0; c < d; c++) { al += qi[c] * y.v[kk * d + c]; be += gi[c] * y.v[kk * d + c]; }
                for (int c = 0; c < d; c++)
                    gvAcc[kk * d + c] += -2 * (qi[c] * be + al * gi[c]) / nn + 4 * al * be * y.v[kk * d + c] / (nn * nn);
                for (int c = 0; c < d; c++) gi[c] -= 2 * be / nn * y.v[kk * d + c];
            }
        }
        MemorySegment gvs = seg(gv);
        for (int e = 0; e < k * d; e++) set(gvs, e, (float) (get(gvs, e) + gvAcc[e]));
    }
}
