package dev.fluvia.transforms;

import dev.fluvia.param.HostMath;
import dev.fluvia.backend.Backend;
import dev.fluvia.param.ParamSource;
import dev.fluvia.param.Param;
import dev.fluvia.param.Stash;
import dev.fluvia.tensor.Tensor;
import java.util.List;

/**
 * The mixture-of-Gaussians CDF flow (FLOWS.md "1-D mixture-of-Gaussians CDF flow"), per dimension i of the event [D]:
 * {@code F_i(x) = Σ_k π_ik Φ((x − μ_ik)/σ_ik)} with learnable {@code logits} [D, K] (π = softmax), {@code means} [D, K] and
 * {@code log_scales} [D, K]; {@code ld = Σ_i log p_i(x_i)}, {@code p_i = Σ_k π_ik φ(t_ik)/σ_ik}.
 * <ul>
 *   <li>{@code logit = false}: {@code y = F(x)} ∈ (0, 1), for a Uniform(0, 1) base;</li>
 *   <li>{@code logit = true}: the mixture CDF followed by logit, fused: {@code y = log F − log(1 − F)} ∈ ℝ with
 *       {@code ld = log p − log F − log(1 − F)}, for a Gaussian base. Both logs come from log Φ of each component
 *       (1 − F = Σ π Φ(−t)), so far tails stay finite where F rounds to 0 or 1.</li>
 * </ul>
 * The inverse solves {@code F(x) = y} (or {@code logit F(x) = y}) per element by Newton steps safeguarded by bisection on a
 * bracket that is widened until it holds the root. Host float64 per element (no backend op, no CUDA kernel yet).
 */
public final class MixCdf implements Transform {
    public static final String KIND = "mixcdf";
    static final double TOL = 1e-13;

    private final Backend be;
    private final int dim, k;
    private final boolean logit;
    private final Param logits, means, logScales;

    /** Initialisation: equal weights, means evenly spread over [−2, 2], scales max(0.3, 2/K). */
    public MixCdf(Backend be, int dim, int components, boolean logit) { this(ParamSource.fresh(be), be, dim, components, logit); }

    /** @param src where the logits, means and log scales come from */
    public MixCdf(ParamSource src, Backend be, int dim, int components, boolean logit) {
        if (dim < 1) throw new IllegalArgumentException(KIND + ": dim must be >= 1, got " + dim);
        if (components < 1 || components > 4096) throw new IllegalArgumentException(KIND + ": components must be in [1, 4096], got " + components);
        this.be = be;
        this.dim = dim;
        this.k = components;
        this.logit = logit;
        float[] mu = new float[dim * k], ls = new float[dim * k];
        for (int i = 0; i < dim; i++)
            for (int c = 0; c < k; c++) {
                mu[i * k + c] = (float) (-2 + 4 * (c + 0.5) / k);
                ls[i * k + c] = (float) Math.log(Math.max(0.3, 2.0 / k));
            }
        int n = dim * k;
        logits = src.param("logits", true, () -> new float[n], dim, k);
        means = src.param("means", true, () -> mu, dim, k);
        logScales = src.param("log_scales", true, () -> ls, dim, k);
    }

    @Override public String kind() { return KIND; }
    @Override public int[] eventShape() { return new int[] {dim}; }
    @Override public List<Param> params() { return List.of(logits, means, logScales); }
    public int components() { return k; }
    public boolean logit() { return logit; }

    /** Parameters in float64: log π (normalised), μ, log σ, σ. */
    private final class P {
        final double[] logPi = new double[dim * k], mu = new double[dim * k], ls = new double[dim * k], sd = new double[dim * k];

        P() {
            float[] a = be.toHost(logits.value()), m = be.toHost(means.value()), s = be.toHost(logScales.value());
            for (int i = 0; i < dim; i++) {
                double mx = Double.NEGATIVE_INFINITY;
                for (int c = 0; c < k; c++) mx = Math.max(mx, a[i * k + c]);
                double sum = 0;
                for (int c = 0; c < k; c++) sum += Math.exp(a[i * k + c] - mx);
                double lse = mx + Math.log(sum);
                for (int c = 0; c < k; c++) {
                    int j = i * k + c;
                    logPi[j] = a[j] - lse;
                    mu[j] = m[j];
                    ls[j] = s[j];
                    sd[j] = Math.exp(ls[j]);
                    if (!Double.isFinite(logPi[j]) || !Double.isFinite(mu[j]) || !(sd[j] > 0 && Double.isFinite(sd[j])))
                        throw new InvalidParameterException(KIND + ": logits, means and log_scales must be finite (dimension " + i + ", component " + c + ")");
                }
            }
        }
    }

    /** Per element: log p, log F, log(1 − F), and per component log q_c = log π + log φ(t) − log σ, log Φ(t), log Φ(−t), t. */
    private final class Eval {
        double logP, logF, logG;
        final double[] logQ = new double[k], lcdf = new double[k], lsurv = new double[k], t = new double[k];

        void at(P q, int i, double x) {
            double mp = Double.NEGATIVE_INFINITY, mf = Double.NEGATIVE_INFINITY, mg = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < k; c++) {
                int j = i * k + c;
                t[c] = (x - q.mu[j]) / q.sd[j];
                logQ[c] = q.logPi[j] + NormalCdf.logPdf(t[c]) - q.ls[j];
                lcdf[c] = q.logPi[j] + NormalCdf.logCdf(t[c]);
                lsurv[c] = q.logPi[j] + NormalCdf.logCdf(-t[c]);
                mp = Math.max(mp, logQ[c]);
                mf = Math.max(mf, lcdf[c]);
                mg = Math.max(mg, lsurv[c]);
            }
            double sp = 0, sf = 0, sg = 0;
            for (int c = 0; c < k; c++) {
                sp += Math.exp(logQ[c] - mp);
                sf += Math.exp(lcdf[c] - mf);
                sg += Math.exp(lsurv[c] - mg);
            }
            logP = mp + Math.log(sp);
            logF = mf + Math.log(sf);
            logG = mg + Math.log(sg);
        }

        double y() { return logit ? logF - logG : Math.exp(logF); }
        double ld() { return logit ? logP - logF - logG : logP; }
        /** dy/dx. */
        double dy() { return logit ? Math.exp(logP - logF) + Math.exp(logP - logG) : Math.exp(logP); }
    }

    @Override public Tensor forward(Tensor x, Tensor ld, Stash stash) {
        Events.check(KIND, "forward", x, eventShape());
        P q = new P();
        Eval e = new Eval();
        int n = x.dim(0);
        float[] xh = be.toHost(x), ldh = be.toHost(ld), yh = new float[xh.length];
        for (int s = 0; s < n; s++) {
            double l = 0;
            for (int i = 0; i < dim; i++) {
                e.at(q, i, xh[s * dim + i]);
                yh[s * dim + i] = (float) e.y();
                l += e.ld();
            }
            ldh[s] = (float) (ldh[s] + l);
        }
        be.upload(ldh, ld);
        return be.fromHost(yh, x.shape());
    }

    /** Solves y(x) = target for x (y increasing in x): bracket widened around the components, then safeguarded Newton. */
    double solve(P q, Eval e, int i, double target) {
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY, width = 0;
        for (int c = 0; c < k; c++) {
            int j = i * k + c;
            lo = Math.min(lo, q.mu[j]);
            hi = Math.max(hi, q.mu[j]);
            width = Math.max(width, q.sd[j]);
        }
        lo -= 10 * width;
        hi += 10 * width;
        for (int it = 0; it < 200; it++) { e.at(q, i, lo); if (e.y() < target) break; lo -= (hi - lo); }
        for (int it = 0; it < 200; it++) { e.at(q, i, hi); if (e.y() > target) break; hi += (hi - lo); }
        double x = 0.5 * (lo + hi);
        for (int it = 0; it < 300; it++) {
            e.at(q, i, x);
            double g = e.y() - target;
            if (g == 0) return x;
            if (g > 0) hi = x; else lo = x;
            double next = x - g / e.dy();
            if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
            double step = Math.abs(next - x);
            x = next;
            if (step <= TOL * (1 + Math.abs(x)) || hi - lo <= TOL * (1 + Math.abs(x))) return x;
        }
        return x;
    }

    @Override public Tensor inverse(Tensor y, Tensor ld) {
        Events.check(KIND, "inverse", y, eventShape());
        P q = new P();
        Eval e = new Eval();
        int n = y.dim(0);
        float[] yh = be.toHost(y), ldh = be.toHost(ld), xh = new float[yh.length];
        for (int s = 0; s < n; s++) {
            double l = 0;
            for (int i = 0; i < dim; i++) {
                double v = yh[s * dim + i];
                if (!logit && !(v > 0 && v < 1))
                    throw new DomainException(KIND + ".inverse: the mixture CDF takes values in (0, 1), got " + v);
                if (!Double.isFinite(v)) throw new DomainException(KIND + ".inverse: got " + v);
                double x = solve(q, e, i, v);
                e.at(q, i, x);
                xh[s * dim + i] = (float) x;
                l -= e.ld();
            }
            ldh[s] = (float) (ldh[s] + l);
        }
        be.upload(ldh, ld);
        return be.fromHost(xh, y.shape());
    }

    /**
     * With q_c = π_c φ(t_c)/σ_c, r_c = q_c/p: ∂log p/∂x = −Σ r_c t_c/σ_c, ∂log p/∂μ_c = r_c t_c/σ_c, ∂log p/∂log σ_c =
     * r_c(t_c² − 1), ∂log p/∂a_c = r_c − π_c; and dF: ∂F/∂x = p, ∂F/∂μ_c = −q_c, ∂F/∂log σ_c = −t_c σ_c q_c,
     * ∂F/∂a_c = π_c(Φ(t_c) − F). With logit, dF/F and dF/(1 − F) are formed in the log domain.
     */
    @Override public Tensor backward(Tensor x, Tensor gy, Tensor gLd, Stash stash) {
        Events.check(KIND, "backward", x, eventShape());
        P q = new P();
        Eval e = new Eval();
        int n = x.dim(0);
        float[] xh = be.toHost(x), gyh = be.toHost(gy), glh = be.toHost(gLd), gxh = new float[xh.length];
        double[] ga = new double[dim * k], gm = new double[dim * k], gs = new double[dim * k];
        for (int s = 0; s < n; s++)
            for (int i = 0; i < dim; i++) {
                double xv = xh[s * dim + i], g = gyh[s * dim + i], gl = glh[s];
                e.at(q, i, xv);
                double gx = 0;
                for (int c = 0; c < k; c++) {
                    int j = i * k + c;
                    double r = Math.exp(e.logQ[c] - e.logP), tc = e.t[c], pi = Math.exp(q.logPi[j]);
                    // ld's log p part
                    gx += gl * (-r * tc / q.sd[j]);
                    gm[j] += gl * r * tc / q.sd[j];
                    gs[j] += gl * r * (tc * tc - 1);
                    ga[j] += gl * (r - pi);
                    if (!logit) {
                        double qc = Math.exp(e.logQ[c]);
                        gm[j] += g * -qc;
                        gs[j] += g * -tc * q.sd[j] * qc;
                        ga[j] += g * (Math.exp(e.lcdf[c]) - pi * Math.exp(e.logF));
                    } else {
                        // A = dF/F, B = dF/(1 − F); y = log F − log(1 − F): dy = A + B; ld gets −log F − log(1 − F): −A + B
                        double qf = Math.exp(e.logQ[c] - e.logF), qg = Math.exp(e.logQ[c] - e.logG);
                        double aMu = -qf, bMu = -qg, aS = -tc * q.sd[j] * qf, bS = -tc * q.sd[j] * qg;
                        double aA = Math.exp(e.lcdf[c] - e.logF) - pi, bA = pi - Math.exp(e.lsurv[c] - e.logG);
                        gm[j] += g * (aMu + bMu) + gl * (-aMu + bMu);
                        gs[j] += g * (aS + bS) + gl * (-aS + bS);
                        ga[j] += g * (aA + bA) + gl * (-aA + bA);
                    }
                }
                if (!logit) {
                    gx += g * Math.exp(e.logP);
                } else {
                    double aX = Math.exp(e.logP - e.logF), bX = Math.exp(e.logP - e.logG);
                    gx += g * (aX + bX) + gl * (-aX + bX);
                }
                gxh[s * dim + i] = (float) gx;
            }
        HostMath.accumulate(be, logits, ga);
        HostMath.accumulate(be, means, gm);
        HostMath.accumulate(be, logScales, gs);
        return be.fromHost(gxh, x.shape());
    }
}
