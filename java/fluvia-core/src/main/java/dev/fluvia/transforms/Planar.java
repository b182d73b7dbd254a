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
 * Planar flow (Rezende &amp; Mohamed 2015), FLOWS.md "Planar flow". Defined in the generative direction
 * {@code x = z + û·tanh(wᵀz + b)} with the invertibility-guaranteeing reparameterisation
 * {@code û = u + (m(wᵀu) − wᵀu)·w/‖w‖²}, {@code m(a) = −1 + softplus(a)}, so that {@code wᵀû = m(wᵀu) > −1}.
 *
 * <p>Fluvia's forward is the normalizing direction (x → z): it solves the scalar equation
 * {@code a + (wᵀû)·tanh(a + b) = wᵀx} for {@code a = wᵀz} (strictly increasing in a) by a safeguarded Newton/bisection
 * root find in float64, then {@code z = x − û·tanh(a + b)}; its log-det is {@code −log(1 + (wᵀû)(1 − tanh²(a + b)))}.
 * Backward goes through the implicit function {@code a(wᵀx, wᵀû, b)}.
 *
 * <p>This step has no backend op for the layer: forward, inverse and backward run per sample on the host in float64 from
 * the backend's tensors (downloaded and uploaded through {@link Backend#toHost} / {@link Backend#upload}), so the layer
 * works on every backend, without a CUDA kernel.
 */
public final class Planar implements Transform, InverseBackward {
    public static final String KIND = "planar";
    /** Root-find stopping rule: |Δa| ≤ ROOT_TOL·(1 + |a|), well below FLOWS.md's float32 tolerance. */
    static final double ROOT_TOL = 1e-14;
    static final int MAX_ITER = 200;

    private final Backend be;
    private final int dim;
    private final Param u, w, b;

    /** Random initialisation: w a random unit vector, u ~ N(0, 0.1²/D) per entry, b = 0. */
    public Planar(Backend be, int dim, SplittableRandom rng) { this(ParamSource.fresh(be), be, dim, rng); }

    /** @param src where u, w, b come from (a stored source draws nothing from {@code rng}, which may then be null) */
    public Planar(ParamSource src, Backend be, int dim, SplittableRandom rng) {
        if (dim < 1) throw new IllegalArgumentException(KIND + ": dim must be >= 1, got " + dim);
        this.be = be;
        this.dim = dim;
        float[][] init = src.fresh() ? initial(dim, rng) : null;
        this.u = src.param("u", true, () -> init[0], dim);
        this.w = src.param("w", true, () -> init[1], dim);
        this.b = src.param("b", true, () -> new float[1], 1);
    }

    /** {u, w} of the random initialisation. */
    private static float[][] initial(int dim, SplittableRandom rng) {
        float[] wi = new float[dim], ui = new float[dim];
        double norm = 0;
        double[] g = new double[dim];
        while (norm < 1e-3) {
            norm = 0;
            for (int i = 0; i < dim; i++) { g[i] = gaussian(rng); norm += g[i] * g[i]; }
        }
        norm = Math.sqrt(norm);
        for (int i = 0; i < dim; i++) {
            wi[i] = (float) (g[i] / norm);
            ui[i] = (float) (0.1 * gaussian(rng) / Math.sqrt(dim));
        }
        return new float[][] {ui, wi};
    }

    static double gaussian(SplittableRandom r) {
        double u1 = Math.max(r.nextDouble(), 1e-300), u2 = r.nextDouble();
        return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }

    @Override public String kind() { return KIND; }
    @Override public int[] eventShape() { return new int[] {dim}; }
    @Override public List<Param> params() { return List.of(u, w, b); }

    /** The parameters in float64 with the derived û and c = wᵀû = m(wᵀu). */
    private final class P {
        final double[] uu = new double[dim], ww = new double[dim], uh = new double[dim];
        final double bb, p, c, w2, k;

        P() {
            float[] uf = be.toHost(u.value()), wf = be.toHost(w.value());
            double dot = 0, n2 = 0;
            for (int i = 0; i < dim; i++) {
                uu[i] = uf[i];
                ww[i] = wf[i];
                dot += uu[i] * ww[i];
                n2 += ww[i] * ww[i];
            }
            bb = be.toHost(b.value())[0];
            if (!(n2 > 0) || !Double.isFinite(n2) || !Double.isFinite(dot) || !Double.isFinite(bb))
                throw new InvalidParameterException(KIND + ": w must be finite and non-zero (‖w‖² = " + n2 + "), u and b finite");
            p = dot;
            c = -1 + HostMath.softplus(p);
            w2 = n2;
            k = (c - p) / n2;
            for (int i = 0; i < dim; i++) uh[i] = uu[i] + k * ww[i];
        }
    }

    /** Solves a + c·tanh(a + b) = s for a (c > −1: strictly increasing), safeguarded Newton inside the bracket [s − |c|, s + |c|]. */
    static double solve(double s, double c, double b) {
        double lo = s - Math.abs(c), hi = s + Math.abs(c);
        if (lo == hi) return s;
        double a = s - c * Math.tanh(s + b); // one fixed-point step: a good start when |c| is small
        if (!(a > lo && a < hi)) a = 0.5 * (lo + hi);
        for (int it = 0; it < MAX_ITER; it++) {
            double t = Math.tanh(a + b), g = a + c * t - s;
            if (g == 0) return a;
            if (g > 0) hi = a; else lo = a;
            double dg = 1 + c * (1 - t * t);
            double next = a - g / dg;
            if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
            double step = Math.abs(next - a);
            a = next;
            if (step <= ROOT_TOL * (1 + Math.abs(a)) || hi - lo <= ROOT_TOL * (1 + Math.abs(a))) return a;
        }
        return a;
    }

    @Override public Tensor forward(Tensor x, Tensor ld, Stash stash) {
        Events.check(KIND, "forward", x, eventShape());
        P q = new P();
        int n = x.shape()[0];
        float[] xh = be.toHost(x), ldh = be.toHost(ld), zh = new float[xh.length];
        for (int s = 0; s < n; s++) {
            double wx = 0;
            for (int i = 0; i < dim; i++) wx += q.ww[i] * xh[s * dim + i];
            double a = solve(wx, q.c, q.bb), t = Math.tanh(a + q.bb);
            for (int i = 0; i < dim; i++) zh[s * dim + i] = (float) (xh[s * dim + i] - q.uh[i] * t);
            ldh[s] = (float) (ldh[s] - Math.log(1 + q.c * (1 - t * t)));
        }
        be.upload(ldh, ld);
        return be.fromHost(zh, x.shape());
    }

    @Override public Tensor inverse(Tensor y, Tensor ld) {
        Events.check(KIND, "inverse", y, eventShape());
        P q = new P();
        int n = y.shape()[0];
        float[] zh = be.toHost(y), ldh = be.toHost(ld), xh = new float[zh.length];
        for (int s = 0; s < n; s++) {
            double a = 0;
            for (int i = 0; i < dim; i++) a += q.ww[i] * zh[s * dim + i];
            double t = Math.tanh(a + q.bb);
            for (int i = 0; i < dim; i++) xh[s * dim + i] = (float) (zh[s * dim + i] + q.uh[i] * t);
            ldh[s] = (float) (ldh[s] + Math.log(1 + q.c * (1 - t * t)));
        }
        be.upload(ldh, ld);
        return be.fromHost(xh, y.shape());
    }

    /** Reverse mode through z = x − û·t, ld = −log(1 + c(1 − t²)), t = tanh(a + b), a(wᵀx, c, b) implicit, c = m(wᵀu), û(u, w). */
    @Override public Tensor backward(Tensor x, Tensor gy, Tensor gLd, Stash stash) {
        Events.check(KIND, "backward", x, eventShape());
        P q = new P();
        int n = x.shape()[0];
        float[] xh = be.toHost(x), gzh = be.toHost(gy), gldh = be.toHost(gLd), gxh = new float[xh.length];
        double[] gu = new double[dim], gw = new double[dim], guh = new double[dim];
        double gb = 0, gc = 0;
        for (int s = 0; s < n; s++) {
            double wx = 0;
            for (int i = 0; i < dim; i++) wx += q.ww[i] * xh[s * dim + i];
            double a = solve(wx, q.c, q.bb), t = Math.tanh(a + q.bb), sp = 1 - t * t, den = 1 + q.c * sp;
            double gt = 0;
            for (int i = 0; i < dim; i++) {
                double g = gzh[s * dim + i];
                guh[i] -= t * g;
                gt -= q.uh[i] * g;
            }
            double gden = -gldh[s] / den;           // ld = −log den, den = 1 + c·sp
            gc += gden * sp;
            gt += gden * q.c * (-2 * t);            // ∂sp/∂t = −2t
            double gpre = gt * sp;                  // t = tanh(a + b)
            double ga = gpre;
            gb += gpre;
            // a + c·tanh(a + b) = wᵀx: da = (d(wᵀx) − t·dc − c·sp·db) / den
            double gs = ga / den;
            gc -= ga * t / den;
            gb -= ga * q.c * sp / den;
            for (int i = 0; i < dim; i++) {
                gw[i] += gs * xh[s * dim + i];
                gxh[s * dim + i] = (float) (gzh[s * dim + i] + gs * q.ww[i]);
            }
        }
        paramGradients(q, gu, gw, guh, gb, gc);
        return be.fromHost(gxh, x.shape());
    }

    /** Chains ∂L/∂û and ∂L/∂c into u and w (û = u + k·w, k = (m(p) − p)/‖w‖², c = m(p), p = wᵀu) and accumulates all three. */
    private void paramGradients(P q, double[] gu, double[] gw, double[] guh, double gb, double gc) {
        double gk = 0;
        for (int i = 0; i < dim; i++) {
            gu[i] += guh[i];
            gw[i] += q.k * guh[i];
            gk += guh[i] * q.ww[i];
        }
        double sig = HostMath.sigmoid(q.p);
        double gp = gc * sig + gk * (sig - 1) / q.w2;
        for (int i = 0; i < dim; i++) {
            gw[i] += -gk * 2 * q.k * q.ww[i] / q.w2 + gp * q.uu[i];
            gu[i] += gp * q.ww[i];
        }
        HostMath.accumulate(be, u, gu);
        HostMath.accumulate(be, w, gw);
        HostMath.accumulate(be, b, gb);
    }

    /**
     * Generative backward (reverse KL), closed form: x = z + û·t, t = tanh(wᵀz + b), ld⁻¹ = log(1 + c(1 − t²)); no root
     * find.
     */
    @Override public Tensor inverseBackward(Tensor y, Tensor xOut, Tensor gx, Tensor gLd) {
        Events.check(KIND, "inverseBackward", y, eventShape());
        P q = new P();
        int n = y.shape()[0];
        float[] zh = be.toHost(y), gxh = be.toHost(gx), glh = be.toHost(gLd), gzh = new float[zh.length];
        double[] gu = new double[dim], gw = new double[dim], guh = new double[dim];
        double gb = 0, gc = 0;
        for (int s = 0; s < n; s++) {
            double a = 0;
            for (int i = 0; i < dim; i++) a += q.ww[i] * zh[s * dim + i];
            double t = Math.tanh(a + q.bb), sp = 1 - t * t, den = 1 + q.c * sp, gt = 0;
            for (int i = 0; i < dim; i++) {
                double g = gxh[s * dim + i];
                guh[i] += t * g;
                gt += q.uh[i] * g;
            }
            double gden = glh[s] / den;
            gc += gden * sp;
            gt += gden * q.c * (-2 * t);
            double ga = gt * sp;
            gb += ga;
            for (int i = 0; i < dim; i++) {
                gw[i] += ga * zh[s * dim + i];
                gzh[s * dim + i] = (float) (gxh[s * dim + i] + ga * q.ww[i]);
            }
        }
        paramGradients(q, gu, gw, guh, gb, gc);
        return be.fromHost(gzh, y.shape());
    }

}
