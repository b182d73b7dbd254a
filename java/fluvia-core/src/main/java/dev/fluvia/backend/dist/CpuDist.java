package dev.fluvia.backend.dist;

import static dev.fluvia.backend.cpu.CpuBackend.h;
import static dev.fluvia.backend.cpu.CpuBackend.ix;

import dev.fluvia.backend.OpChecks;
import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.backend.cpu.VecOps;
import dev.fluvia.tensor.Index;
import dev.fluvia.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** The CPU reference of the dist ops ({@link DistOps}): chunked over rows, reductions in a fixed order. */
public final class CpuDist implements DistOps {
    private static final long TRANSCENDENTAL = CpuBackend.TRANSCENDENTAL;
    private static final double LOG_2PI = Math.log(2 * Math.PI);
    private final CpuBackend cpu;

    public CpuDist(CpuBackend cpu) { this.cpu = cpu; }

    private static int hw(Tensor x) { return OpChecks.planeSize(x); }

    private static float get(MemorySegment s, long i) { return s.getAtIndex(ValueLayout.JAVA_FLOAT, i); }
    private static void set(MemorySegment s, long i, float v) { s.setAtIndex(ValueLayout.JAVA_FLOAT, i, v); }

    @Override public void stdNormalLogProb(Tensor z, Tensor out) {
        DistOps.Checks.stdNormalLogProb(z, out);
        int n = z.rows(), d = z.rowSize();
        double c = -0.5 * d * LOG_2PI;
        MemorySegment zs = h(z).segment(), os = h(out).segment();
        cpu.forRows(n, (long) n * d, (lo, hi) -> {
            for (int r = lo; r < hi; r++) {
                double s = 0;
                for (int j = 0; j < d; j++) { double v = get(zs, (long) r * d + j); s += v * v; }
                set(os, r, (float) (get(os, r) + (-0.5 * s + c)));
            }
        });
    }

    @Override public void stdNormalLogProbBackward(Tensor z, Tensor gOut, Tensor gz) {
        DistOps.Checks.stdNormalLogProbBackward(z, gOut, gz);
        int n = z.rows(), d = z.rowSize();
        MemorySegment zs = h(z).segment(), gs = h(gOut).segment(), gzs = h(gz).segment();
        cpu.forRows(n, (long) n * d, (lo, hi) -> {
            for (int r = lo; r < hi; r++) {
                float g = get(gs, r);
                for (int j = 0; j < d; j++) set(gzs, (long) r * d + j, -get(zs, (long) r * d + j) * g);
            }
        });
    }

    @Override public void diagNormalLogProb(Tensor z, Tensor mu, Tensor logSigma, Tensor out) {
        DistOps.Checks.diagNormalLogProb(z, mu, logSigma, out);
        int n = z.rows(), d = z.rowSize();
        float[] m = cpu.toHost(mu), ls = cpu.toHost(logSigma);
        double[] inv = new double[d];
        double c = 0;
        for (int j = 0; j < d; j++) { inv[j] = Math.exp(-ls[j]); c += -ls[j] - 0.5 * LOG_2PI; }
        double cc = c;
        MemorySegment zs = h(z).segment(), os = h(out).segment();
        cpu.forRows(n, (long) n * d, (lo, hi) -> {
            for (int r = lo; r < hi; r++) {
                double s = 0;
                for (int j = 0; j < d; j++) { double u = (get(zs, (long) r * d + j) - m[j]) * inv[j]; s += u * u; }
                set(os, r, (float) (get(os, r) + (-0.5 * s + cc)));
            }
        });
    }

    @Override public void diagNormalLogProbBackward(Tensor z, Tensor mu, Tensor logSigma, Tensor gOut, Tensor gz, Tensor gmu, Tensor glogSigma) {
        DistOps.Checks.diagNormalLogProbBackward(z, mu, logSigma, gOut, gz, gmu, glogSigma);
        int n = z.rows(), d = z.rowSize();
        float[] m = cpu.toHost(mu), ls = cpu.toHost(logSigma);
        double[] inv = new double[d];
        for (int j = 0; j < d; j++) inv[j] = Math.exp(-ls[j]);
        MemorySegment zs = h(z).segment(), gs = h(gOut).segment(), gzs = gz == null ? null : h(gz).segment();
        double[] acc = cpu.reduceRows(n, 2 * d, (long) n * d, (lo, hi, a) -> {
            for (int r = lo; r < hi; r++) {
                double g = get(gs, r);
                for (int j = 0; j < d; j++) {
                    double u = (get(zs, (long) r * d + j) - m[j]) * inv[j];
                    if (gzs != null) set(gzs, (long) r * d + j, (float) (-u * inv[j] * g));
                    a[j] += u * inv[j] * g;          // ∂/∂μ
                    a[d + j] += (u * u - 1) * g;     // ∂/∂log σ
                }
            }
        });
        float[] gm = cpu.toHost(gmu), gl = cpu.toHost(glogSigma);
        for (int j = 0; j < d; j++) { gm[j] += (float) acc[j]; gl[j] += (float) acc[d + j]; }
        cpu.upload(gm, gmu);
        cpu.upload(gl, glogSigma);
    }

    @Override public void condNormalLogProb(Tensor z, Tensor mu, Tensor logSigma, Tensor out) {
        DistOps.Checks.condNormalLogProb(z, mu, logSigma, out);
        int n = z.rows(), d = z.rowSize();
        MemorySegment zs = h(z).segment(), ms = h(mu).segment(), ls = h(logSigma).segment(), os = h(out).segment();
        cpu.forRows(n, (long) n * d * CpuBackend.TRANSCENDENTAL, (lo, hi) -> {
            for (int r = lo; r < hi; r++) {
                double s = 0;
                for (int j = 0; j < d; j++) {
                    long i = (long) r * d + j;
                    double l = get(ls, i), u = (get(zs, i) - get(ms, i)) * Math.exp(-l);
                    s += -0.5 * u * u - l - 0.5 * LOG_2PI;
                }
                set(os, r, (float) (get(os, r) + s));
            }
        });
    }

    @Override public void condNormalLogProbBackward(Tensor z, Tensor mu, Tensor logSigma, Tensor gOut, Tensor gz, Tensor gmu, Tensor glogSigma) {
        String op = "condNormalLogProbBackward";
        DistOps.Checks.condNormalLogProbBackward(z, mu, logSigma, gOut, gz, gmu, glogSigma);
        int n = z.rows(), d = z.rowSize();
        MemorySegment zs = h(z).segment(), ms = h(mu).segment(), ls = h(logSigma).segment(), gs = h(gOut).segment(), gzs = gz == null ? null : h(gz).segment(),
                gms = h(gmu).segment(), gls = h(glogSigma).segment();
        cpu.forRows(n, (long) n * d * CpuBackend.TRANSCENDENTAL, (lo, hi) -> {
            for (int r = lo; r < hi; r++) {
                double g = get(gs, r);
                for (int j = 0; j < d; j++) {
                    long i = (long) r * d + j;
                    double inv = Math.exp(-get(ls, i)), u = (get(zs, i) - get(ms, i)) * inv;
                    if (gzs != null) set(gzs, i, (float) (-u * inv * g));
                    set(gms, i, (float) (u * inv * g));
                    set(gls, i, (float) ((u * u - 1) * g));
                }
            }
        });
    }

    @Override public void condNormalSample(Tensor mu, Tensor logSigma, Tensor eps, float temperature, Tensor z) {
        DistOps.Checks.condNormalSample(mu, logSigma, eps, z);
        MemorySegment ms = h(mu).segment(), ls = h(logSigma).segment(), es = h(eps).segment(), zs = h(z).segment();
        for (long i = 0, n = z.numel(); i < n; i++)
            set(zs, i, (float) (get(ms, i) + temperature * Math.exp(get(ls, i)) * get(es, i)));
    }
    // ------------------------------------------------------------------ the zoo bases

    @Override public void uniformBoxLogProb(Tensor z, Tensor low, Tensor high, double logVolume, Tensor out) {
        DistOps.Checks.uniformBoxLogProb(z, low, high, out);
        int n = z.rows(), d = z.rowSize();
        float[] lo = cpu.toHost(low), hi = cpu.toHost(high);
        MemorySegment zs = h(z).segment(), os = h(out).segment();
        cpu.forRows(n, (long) n * d, (a, b) -> {
            for (int r = a; r < b; r++) {
                boolean in = true;
                for (int j = 0; j < d && in; j++) { float v = get(zs, (long) r * d + j); in = v >= lo[j] && v <= hi[j]; }
                set(os, r, in ? (float) (get(os, r) - logVolume) : Float.NEGATIVE_INFINITY);
            }
        });
    }

    @Override public void uniformBoxLogProbBackward(Tensor z, Tensor gOut, Tensor gz) {
        DistOps.Checks.uniformBoxLogProbBackward(z, gOut, gz);
        MemorySegment gzs = h(gz).segment();
        for (long i = 0, n = gz.numel(); i < n; i++) set(gzs, i, 0f);
    }

    @Override public void uniformBoxSample(Tensor u, Tensor low, Tensor high, Tensor z) {
        DistOps.Checks.uniformBoxSample(u, low, high, z);
        int d = z.rowSize();
        float[] lo = cpu.toHost(low), hi = cpu.toHost(high);
        MemorySegment us = h(u).segment(), zs = h(z).segment();
        for (long i = 0, n = z.numel(); i < n; i++) {
            int j = (int) (i % d);
            float v = (float) (lo[j] + ((double) hi[j] - lo[j]) * get(us, i));
            set(zs, i, Math.min(Math.max(v, lo[j]), Math.nextDown(hi[j])));
        }
    }

    @Override public void logisticLogProb(Tensor z, Tensor out) {
        DistOps.Checks.logisticLogProb(z, out);
        int n = z.rows(), d = z.rowSize();
        MemorySegment zs = h(z).segment(), os = h(out).segment();
        cpu.forRows(n, (long) n * d * TRANSCENDENTAL, (lo, hi) -> {
            for (int r = lo; r < hi; r++) {
                double s = 0;
                for (int j = 0; j < d; j++) { double v = get(zs, (long) r * d + j); s -= v + 2 * DistMath.softplus(-v); }
                set(os, r, (float) (get(os, r) + s));
            }
        });
    }

    @Override public void logisticLogProbBackward(Tensor z, Tensor gOut, Tensor gz) {
        DistOps.Checks.logisticLogProbBackward(z, gOut, gz);
        int n = z.rows(), d = z.rowSize();
        MemorySegment zs = h(z).segment(), gs = h(gOut).segment(), gzs = h(gz).segment();
        cpu.forRows(n, (long) n * d * TRANSCENDENTAL, (lo, hi) -> {
            for (int r = lo; r < hi; r++) {
                double g = get(gs, r);
                for (int j = 0; j < d; j++) {
                    long i = (long) r * d + j;
                    set(gzs, i, (float) (g * (1 - 2 * DistMath.sigmoid(get(zs, i)))));
                }
            }
        });
    }

    /** The logistic transform's clamp of u: [2⁻²⁴, 1 − 2⁻²⁴]. */
    static final float LOGISTIC_U_MIN = 0x1p-24f, LOGISTIC_U_MAX = 0x1.fffffep-1f;

    @Override public void logisticSample(Tensor u, float temperature, Tensor z) {
        DistOps.Checks.logisticSample(u, z);
        MemorySegment us = h(u).segment(), zs = h(z).segment();
        for (long i = 0, n = z.numel(); i < n; i++) {
            double v = Math.min(Math.max(get(us, i), LOGISTIC_U_MIN), LOGISTIC_U_MAX);
            set(zs, i, (float) (temperature * (Math.log(v) - Math.log1p(-v))));
        }
    }

    /** α, β and per element the constant −log B(α, β) and ψ(α), ψ(β), ψ(α+β) (for the backward). */
    private record BetaParams(double[] a, double[] b, double[] logB) {}

    private BetaParams betaParams(Tensor logAlpha, Tensor logBeta) {
        float[] la = cpu.toHost(logAlpha), lb = cpu.toHost(logBeta);
        int d = la.length;
        double[] a = new double[d], b = new double[d], logB = new double[d];
        for (int j = 0; j < d; j++) {
            a[j] = Math.exp(la[j]);
            b[j] = Math.exp(lb[j]);
            logB[j] = DistMath.lgamma(a[j]) + DistMath.lgamma(b[j]) - DistMath.lgamma(a[j] + b[j]);
        }
        return new BetaParams(a, b, logB);
    }

    @Override public void betaLogProb(Tensor z, Tensor logAlpha, Tensor logBeta, Tensor out) {
        DistOps.Checks.betaLogProb(z, logAlpha, logBeta, out);
        int n = z.rows(), d = z.rowSize();
        BetaParams p = betaParams(logAlpha, logBeta);
        MemorySegment zs = h(z).segment(), os = h(out).segment();
        cpu.forRows(n, (long) n * d * TRANSCENDENTAL, (lo, hi) -> {
            for (int r = lo; r < hi; r++) {
                double s = 0;
                for (int j = 0; j < d; j++) {
                    double v = get(zs, (long) r * d + j);
                    s += v > 0 && v < 1 ? (p.a()[j] - 1) * Math.log(v) + (p.b()[j] - 1) * Math.log1p(-v) - p.logB()[j] : Double.NEGATIVE_INFINITY;
                }
                set(os, r, (float) (get(os, r) + s));
            }
        });
    }

    @Override public void betaLogProbBackward(Tensor z, Tensor logAlpha, Tensor logBeta, Tensor gOut, Tensor gz, Tensor glogAlpha, Tensor glogBeta) {
        DistOps.Checks.betaLogProbBackward(z, logAlpha, logBeta, gOut, gz, glogAlpha, glogBeta);
        int n = z.rows(), d = z.rowSize();
        BetaParams p = betaParams(logAlpha, logBeta);
        double[] pa = new double[d], pb = new double[d];
        for (int j = 0; j < d; j++) {
            double ab = DistMath.digamma(p.a()[j] + p.b()[j]);
            pa[j] = ab - DistMath.digamma(p.a()[j]);
            pb[j] = ab - DistMath.digamma(p.b()[j]);
        }
        MemorySegment zs = h(z).segment(), gs = h(gOut).segment(), gzs = gz == null ? null : h(gz).segment();
        double[] acc = cpu.reduceRows(n, 2 * d, (long) n * d * TRANSCENDENTAL, (lo, hi, s) -> {
            for (int r = lo; r < hi; r++) {
                double g = get(gs, r);
                for (int j = 0; j < d; j++) {
                    long i = (long) r * d + j;
                    double v = get(zs, i), a = p.a()[j], b = p.b()[j];
                    if (!(v > 0 && v < 1)) { if (gzs != null) set(gzs, i, 0f); continue; }
                    if (gzs != null) set(gzs, i, (float) (g * ((a - 1) / v - (b - 1) / (1 - v))));
                    s[j] += g * (Math.log(v) + pa[j]) * a;          // ∂/∂log α = α·∂/∂α
                    s[d + j] += g * (Math.log1p(-v) + pb[j]) * b;   // ∂/∂log β = β·∂/∂β
                }
            }
        });
        float[] ga = cpu.toHost(glogAlpha), gb = cpu.toHost(glogBeta);
        for (int j = 0; j < d; j++) { ga[j] += (float) acc[j]; gb[j] += (float) acc[d + j]; }
        cpu.upload(ga, glogAlpha);
        cpu.upload(gb, glogBeta);
    }

    @Override public void betaSample(Tensor logAlpha, Tensor logBeta, Tensor normals, Tensor uniforms, Tensor z) {
        DistOps.Checks.betaSample(logAlpha, logBeta, normals, uniforms, z);
        int n = z.rows(), d = z.rowSize(), tries = BETA_TRIES;
        float[] la = cpu.toHost(logAlpha), lb = cpu.toHost(logBeta), nz = cpu.toHost(normals), uz = cpu.toHost(uniforms);
        MemorySegment zs = h(z).segment();
        cpu.forRows(n, (long) n * d * BETA_NORMALS * TRANSCENDENTAL, (lo, hi) -> {
            for (int r = lo; r < hi; r++)
                for (int j = 0; j < d; j++) {
                    int i = r * d + j, n0 = i * BETA_NORMALS, u0 = i * BETA_UNIFORMS;
                    double ga = DistMath.logGamma(Math.exp(la[j]), nz, n0, uz, u0, tries, uz[u0 + 2 * tries]);
                    double gb = DistMath.logGamma(Math.exp(lb[j]), nz, n0 + tries, uz, u0 + tries, tries, uz[u0 + 2 * tries + 1]);
                    set(zs, i, DistMath.betaFromLogGammas(ga, gb));
                }
        });
    }

    /** log π_k = logits_k − logsumexp(logits) (float64). */
    static double[] logSoftmax(float[] logits) {
        double m = Double.NEGATIVE_INFINITY, s = 0;
        for (float v : logits) m = Math.max(m, v);
        for (float v : logits) s += Math.exp(v - m);
        double lse = m + Math.log(s);
        double[] p = new double[logits.length];
        for (int c = 0; c < p.length; c++) p[c] = logits[c] - lse;
        return p;
    }

    /** Per component a_c = log π_c + Σ_j log N(z_j; μ_cj, σ_cj²) of row r into a; returns their log-sum-exp (online, in c order). */
    private static double mixtureTerms(MemorySegment zs, int r, int k, int d, double[] logPi, float[] mu, float[] ls, double[] a) {
        double m = Double.NEGATIVE_INFINITY, sum = 0;
        for (int c = 0; c < k; c++) {
            double s = 0;
            for (int j = 0; j < d; j++) {
                double l = ls[c * d + j], e = (get(zs, (long) r * d + j) - (double) mu[c * d + j]) * Math.exp(-l);
                s += -0.5 * e * e - l - 0.5 * LOG_2PI;
            }
            double t = logPi[c] + s;
            a[c] = t;
            if (t > m) { sum = sum * Math.exp(m - t) + 1; m = t; }
            else if (t != Double.NEGATIVE_INFINITY) sum += Math.exp(t - m);
        }
        return m + Math.log(sum);
    }

    @Override public void gaussianMixtureLogProb(Tensor z, Tensor logits, Tensor means, Tensor logScales, Tensor out) {
        DistOps.Checks.gaussianMixtureLogProb(z, logits, means, logScales, out);
        int n = z.rows(), d = z.rowSize(), k = logits.dim(0);
        double[] logPi = logSoftmax(cpu.toHost(logits));
        float[] mu = cpu.toHost(means), ls = cpu.toHost(logScales);
        MemorySegment zs = h(z).segment(), os = h(out).segment();
        cpu.forRows(n, (long) n * d * k * TRANSCENDENTAL, (lo, hi) -> {
            double[] a = new double[k];
            for (int r = lo; r < hi; r++) set(os, r, (float) (get(os, r) + mixtureTerms(zs, r, k, d, logPi, mu, ls, a)));
        });
    }

    @Override public void gaussianMixtureLogProbBackward(Tensor z, Tensor logits, Tensor means, Tensor logScales, Tensor gOut, Tensor gz,
                                                         Tensor glogits, Tensor gmeans, Tensor glogScales) {
        DistOps.Checks.gaussianMixtureLogProbBackward(z, logits, means, logScales, gOut, gz, glogits, gmeans, glogScales);
        int n = z.rows(), d = z.rowSize(), k = logits.dim(0), kd = k * d;
        double[] logPi = logSoftmax(cpu.toHost(logits));
        float[] mu = cpu.toHost(means), ls = cpu.toHost(logScales);
        MemorySegment zs = h(z).segment(), gs = h(gOut).segment(), gzs = gz == null ? null : h(gz).segment();
        // acc: [means K·D | logScales K·D | logits K]
        double[] acc = cpu.reduceRows(n, 2 * kd + k, (long) n * kd * TRANSCENDENTAL, (lo, hi, s) -> {
            double[] a = new double[k];
            for (int r = lo; r < hi; r++) {
                double g = get(gs, r), lse = mixtureTerms(zs, r, k, d, logPi, mu, ls, a);
                for (int c = 0; c < k; c++) a[c] = Math.exp(a[c] - lse) * g;   // r_c·g
                for (int j = 0; j < d; j++) {
                    double v = get(zs, (long) r * d + j), gzj = 0;
                    for (int c = 0; c < k; c++) {
                        double iv = Math.exp(-2.0 * ls[c * d + j]), diff = v - mu[c * d + j], t = a[c] * diff * iv;
                        gzj -= t;
                        s[c * d + j] += t;
                        s[kd + c * d + j] += a[c] * (diff * diff * iv - 1);
                    }
                    if (gzs != null) set(gzs, (long) r * d + j, (float) gzj);
                }
                for (int c = 0; c < k; c++) s[2 * kd + c] += a[c] - Math.exp(logPi[c]) * g;
            }
        });
        float[] gl = cpu.toHost(glogits), gm = cpu.toHost(gmeans), gsc = cpu.toHost(glogScales);
        for (int i = 0; i < kd; i++) { gm[i] += (float) acc[i]; gsc[i] += (float) acc[kd + i]; }
        for (int c = 0; c < k; c++) gl[c] += (float) acc[2 * kd + c];
        cpu.upload(gl, glogits);
        cpu.upload(gm, gmeans);
        cpu.upload(gsc, glogScales);
    }

    @Override public void gaussianMixtureSample(Tensor logits, Tensor means, Tensor logScales, Tensor u, Tensor eps, float temperature, Tensor z) {
        DistOps.Checks.gaussianMixtureSample(logits, means, logScales, u, eps, z);
        int n = z.rows(), d = z.rowSize(), k = logits.dim(0);
        double[] logPi = logSoftmax(cpu.toHost(logits));
        float[] mu = cpu.toHost(means), ls = cpu.toHost(logScales), uh = cpu.toHost(u);
        MemorySegment es = h(eps).segment(), zs = h(z).segment();
        for (int r = 0; r < n; r++) {
            int c = mixtureComponent(logPi, uh[r]);
            for (int j = 0; j < d; j++) {
                long i = (long) r * d + j;
                set(zs, i, (float) (mu[c * d + j] + temperature * Math.exp((double) ls[c * d + j]) * get(es, i)));
            }
        }
    }

    /** The first component whose cumulative weight exceeds u (the last when none does). */
    static int mixtureComponent(double[] logPi, double u) {
        double cum = 0;
        for (int c = 0; c < logPi.length; c++) {
            cum += Math.exp(logPi[c]);
            if (u < cum) return c;
        }
        return logPi.length - 1;
    }
}
