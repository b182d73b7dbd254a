package dev.fluvia.transforms;

import dev.fluvia.param.HostMath;
import dev.fluvia.backend.Backend;
import dev.fluvia.param.Param;
import dev.fluvia.param.ParamSource;
import dev.fluvia.param.Stash;
import dev.fluvia.tensor.Tensor;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Radial flow (Rezende &amp; Mohamed 2015), FLOWS.md "Radial flow". Defined in the generative direction
 * {@code x = z + β·h(α, r)·(z − z0)}, {@code r = ‖z − z0‖}, {@code h = 1/(α + r)}, with {@code α = softplus(α̂) > 0}
 * and {@code β = −α + softplus(β̂) > −α} (invertibility). Parameters: {@code z0 [D]}, {@code alpha_raw [1]} (α̂),
 * {@code beta_raw [1]} (β̂).
 *
 * <p>Fluvia's forward is the normalizing direction (x → z): with {@code ρ = ‖x − z0‖} it solves the monotone 1-D equation
 * {@code ρ = r·(1 + β/(α + r))} for {@code r ≥ 0}. That equation is the quadratic {@code r² + (α + β − ρ)·r − αρ = 0},
 * whose one non-negative root is taken in closed form (the cancellation-free form of the quadratic formula), in float64;
 * then {@code z = z0 + (x − z0)/(1 + βh(r))}. Log-det of the forward: {@code −(D−1)·log(1 + βh) − log(1 + βα/(α + r)²)}.
 * Backward goes through the implicit function {@code r(ρ, α, β)}.
 *
 * <p>Like {@link Planar}, the layer runs per sample on the host in float64 from the backend's tensors (no backend op and
 * no CUDA kernel in this step), so it works on every backend.
 */
public final class Radial implements Transform, InverseBackward {
    public static final String KIND = "radial";

    private final Backend be;
    private final int dim;
    private final Param z0, alphaRaw, betaRaw;

    /** Random initialisation: z0, α̂, β̂ uniform in (−1/√D, 1/√D). */
    public Radial(Backend be, int dim, SplittableRandom rng) { this(ParamSource.fresh(be), be, dim, rng); }

    /** @param src where z0, α̂, β̂ come from (a stored source draws nothing from {@code rng}, which may then be null) */
    public Radial(ParamSource src, Backend be, int dim, SplittableRandom rng) {
        if (dim < 1) throw new IllegalArgumentException(KIND + ": dim must be >= 1, got " + dim);
        this.be = be;
        this.dim = dim;
        double s = 1 / Math.sqrt(dim);
        this.z0 = src.param("z0", true, () -> {
            float[] c = new float[dim];
            for (int i = 0; i < dim; i++) c[i] = (float) ((rng.nextDouble() * 2 - 1) * s);
            return c;
        }, dim);
        this.alphaRaw = src.param("alpha_raw", true, () -> new float[] {(float) ((rng.nextDouble() * 2 - 1) * s)}, 1);
        this.betaRaw = src.param("beta_raw", true, () -> new float[] {(float) ((rng.nextDouble() * 2 - 1) * s)}, 1);
    }

    @Override public String kind() { return KIND; }
    @Override public int[] eventShape() { return new int[] {dim}; }
    @Override public List<Param> params() { return List.of(z0, alphaRaw, betaRaw); }

    private final class P {
        final double[] c = new double[dim];
        final double ar, br, alpha, beta;

        P() {
            float[] cf = be.toHost(z0.value());
            for (int i = 0; i < dim; i++) {
                c[i] = cf[i];
                if (!Double.isFinite(c[i])) throw new InvalidParameterException(KIND + ": z0[" + i + "] is " + cf[i]);
            }
            ar = be.toHost(alphaRaw.value())[0];
            br = be.toHost(betaRaw.value())[0];
            if (!Double.isFinite(ar) || !Double.isFinite(br))
                throw new InvalidParameterException(KIND + ": alpha_raw = " + ar + " and beta_raw = " + br + " must be finite");
            alpha = HostMath.softplus(ar);
            beta = -alpha + HostMath.softplus(br);
        }
    }

    /** The non-negative root r of r² + (α + β − ρ)·r − αρ = 0, i.e. of ρ = r·(1 + β/(α + r)), for ρ ≥ 0. */
    static double solve(double rho, double alpha, double beta) {
        if (rho == 0) return 0;
        double bq = alpha + beta - rho, disc = Math.sqrt(bq * bq + 4 * alpha * rho);
        return bq >= 0 ? 2 * alpha * rho / (bq + disc) : (disc - bq) / 2;
    }

    @Override public Tensor forward(Tensor x, Tensor ld, Stash stash) {
        Events.check(KIND, "forward", x, eventShape());
        P q = new P();
        int n = x.shape()[0];
        float[] xh = be.toHost(x), ldh = be.toHost(ld), zh = new float[xh.length];
        double[] y = new double[dim];
        for (int s = 0; s < n; s++) {
            double rho = 0;
            for (int i = 0; i < dim; i++) { y[i] = xh[s * dim + i] - q.c[i]; rho += y[i] * y[i]; }
            rho = Math.sqrt(rho);
            double r = solve(rho, q.alpha, q.beta), aa = q.alpha + r;
            double hh = 1 + q.beta / aa, j1 = 1 + q.beta * q.alpha / (aa * aa);
            for (int i = 0; i < dim; i++) zh[s * dim + i] = (float) (q.c[i] + y[i] / hh);
            ldh[s] = (float) (ldh[s] - ((dim - 1) * Math.log(hh) + Math.log(j1)));
        }
        be.upload(ldh, ld);
        return be.fromHost(zh, x.shape());
    }

    @Override public Tensor inverse(Tensor y, Tensor ld) {
        Events.check(KIND, "inverse", y, eventShape());
        P q = new P();
        int n = y.shape()[0];
        float[] zh = be.toHost(y), ldh = be.toHost(ld), xh = new float[zh.length];
        double[] d = new double[dim];
        for (int s = 0; s < n; s++) {
            double r = 0;
            for (int i = 0; i < dim; i++) { d[i] = zh[s * dim + i] - q.c[i]; r += d[i] * d[i]; }
            r = Math.sqrt(r);
            double aa = q.alpha + r, hh = 1 + q.beta / aa, j1 = 1 + q.beta * q.alpha / (aa * aa);
            for (int i = 0; i < dim; i++) xh[s * dim + i] = (float) (q.c[i] + hh * d[i]);
            ldh[s] = (float) (ldh[s] + (dim - 1) * Math.log(hh) + Math.log(j1));
        }
        be.upload(ldh, ld);
        return be.fromHost(xh, y.shape());
    }

    /**
     * Reverse mode through y = x − z0, ρ = ‖y‖, r(ρ, α, β) implicit, A = α + r, H = 1 + β/A, J = 1 + βα/A²,
     * z = z0 + y/H, ld = −(D−1)·log H − log J, α = softplus(α̂), β = −α + softplus(β̂).
     */
    @Override public Tensor backward(Tensor x, Tensor gy, Tensor gLd, Stash stash) {
        Events.check(KIND, "backward", x, eventShape());
        P q = new P();
        int n = x.shape()[0];
        float[] xh = be.toHost(x), gzh = be.toHost(gy), gldh = be.toHost(gLd), gxh = new float[xh.length];
        double[] gc = new double[dim], y = new double[dim], gyv = new double[dim];
        double ga = 0, gbeta = 0;
        double al = q.alpha, be_ = q.beta;
        for (int s = 0; s < n; s++) {
            double rho = 0;
            for (int i = 0; i < dim; i++) { y[i] = xh[s * dim + i] - q.c[i]; rho += y[i] * y[i]; }
            rho = Math.sqrt(rho);
            double r = solve(rho, al, be_), aa = al + r;
            double hh = 1 + be_ / aa, jj = 1 + be_ * al / (aa * aa);
            double gzy = 0;
            for (int i = 0; i < dim; i++) {
                double g = gzh[s * dim + i];
                gc[i] += g;
                gyv[i] = g / hh;
                gzy += g * y[i];
            }
            double gH = -gzy / (hh * hh) - gldh[s] * (dim - 1) / hh;
            double gJ = -gldh[s] / jj;
            double gA = -gH * be_ / (aa * aa) - 2 * gJ * be_ * al / (aa * aa * aa);
            gbeta += gH / aa + gJ * al / (aa * aa);
            ga += gJ * be_ / (aa * aa) + gA;
            double gr = gA;
            // r + βr/(α + r) = ρ: dr = (dρ + βr/A²·dα − r/A·dβ) / J
            double grho = gr / jj;
            ga += gr * (be_ * r / (aa * aa)) / jj;
            gbeta -= gr * (r / aa) / jj;
            for (int i = 0; i < dim; i++) {
                double g = gyv[i] + (rho > 0 ? grho * y[i] / rho : 0);
                gxh[s * dim + i] = (float) g;
                gc[i] -= g;
            }
        }
        // β = −α + softplus(β̂), α = softplus(α̂)
        double gAlphaTotal = ga - gbeta;
        HostMath.accumulate(be, z0, gc);
        HostMath.accumulate(be, alphaRaw, gAlphaTotal * HostMath.sigmoid(q.ar));
        HostMath.accumulate(be, betaRaw, gbeta * HostMath.sigmoid(q.br));
        return be.fromHost(gxh, x.shape());
    }


    /**
     * Generative backward (reverse KL), closed form: d = z − z0, r = ‖d‖, A = α + r, H = 1 + β/A, J = 1 + βα/A²,
     * x = z0 + H·d, ld⁻¹ = (D−1)·log H + log J; no root find.
     */
    @Override public Tensor inverseBackward(Tensor y, Tensor xOut, Tensor gx, Tensor gLd) {
        Events.check(KIND, "inverseBackward", y, eventShape());
        P q = new P();
        int n = y.shape()[0];
        float[] zh = be.toHost(y), gxh = be.toHost(gx), glh = be.toHost(gLd), gzh = new float[zh.length];
        double[] gc = new double[dim], d = new double[dim];
        double ga = 0, gbeta = 0, al = q.alpha, bt = q.beta;
        for (int s = 0; s < n; s++) {
            double r = 0;
            for (int i = 0; i < dim; i++) { d[i] = zh[s * dim + i] - q.c[i]; r += d[i] * d[i]; }
            r = Math.sqrt(r);
            double aa = al + r, hh = 1 + bt / aa, jj = 1 + bt * al / (aa * aa), gl = glh[s];
            double gH = (dim - 1) * gl / hh, gJ = gl / jj;
            for (int i = 0; i < dim; i++) {
                double g = gxh[s * dim + i];
                gc[i] += g;
                gH += g * d[i];
            }
            gbeta += gH / aa + gJ * al / (aa * aa);
            ga += gJ * bt / (aa * aa);
            double gA = -gH * bt / (aa * aa) - 2 * gJ * bt * al / (aa * aa * aa);
            ga += gA;
            double gr = gA;
            for (int i = 0; i < dim; i++) {
                double g = hh * gxh[s * dim + i] + (r > 0 ? gr * d[i] / r : 0);
                gzh[s * dim + i] = (float) g;
                gc[i] -= g;
            }
        }
        HostMath.accumulate(be, z0, gc);
        HostMath.accumulate(be, alphaRaw, (ga - gbeta) * HostMath.sigmoid(q.ar));
        HostMath.accumulate(be, betaRaw, gbeta * HostMath.sigmoid(q.br));
        return be.fromHost(gzh, y.shape());
    }
}
