package dev.fluvia.oracle;

/**
 * The float64 host code the planar, radial and Sylvester layers ran before the {@code residual} op family (per sample,
 * every quantity in float64, the parameter gradients summed over the batch in float64), kept as the oracle of the ops'
 * outputs and of their backwards, including the parameter gradients. Inputs and parameters are given as the float32
 * values the ops see; arrays are row-major {@code [N, D]}. Each method returns {@code {out, ld}} (the log-det of the
 * direction run, per sample) or {@code {gin, gradients of the parameters in their order...}}.
 */
public final class ResidualHostOracle {
    private ResidualHostOracle() {}

    static double softplus(double a) { return a > 0 ? a + Math.log1p(Math.exp(-a)) : Math.log1p(Math.exp(a)); }

    static double sigmoid(double a) { return a >= 0 ? 1 / (1 + Math.exp(-a)) : Math.exp(a) / (1 + Math.exp(a)); }

    // ------------------------------------------------------------------ planar

    /** Solves a + c·tanh(a + b) = s (c > −1) by bisection to adjacent doubles (independent of the ops' Newton steps). */
    static double planarRoot(double s, double c, double b) {
        return PlanarRadialOracles.bisect(a -> a + c * Math.tanh(a + b) - s, s - Math.abs(c) - 1, s + Math.abs(c) + 1);
    }

    private record Planar(int d, double[] u, double[] w, double[] uh, double b, double p, double c, double w2, double k) {
        static Planar of(float[] uf, float[] wf, float bf) {
            int d = uf.length;
            double[] u = new double[d], w = new double[d], uh = new double[d];
            double p = 0, n2 = 0;
            for (int i = 0; i < d; i++) { u[i] = uf[i]; w[i] = wf[i]; p += u[i] * w[i]; n2 += w[i] * w[i]; }
            double c = -1 + softplus(p), k = (c - p) / n2;
            for (int i = 0; i < d; i++) uh[i] = u[i] + k * w[i];
            return new Planar(d, u, w, uh, bf, p, c, n2, k);
        }
    }

    /** Normalizing ({@code inverse == false}: x → z) or generative (z → x) direction: {out, ld}. */
    public static double[][] planar(float[] u, float[] w, float b, float[] in, int n, boolean inverse) {
        Planar q = Planar.of(u, w, b);
        int d = q.d;
        double[] out = new double[n * d], ld = new double[n];
        for (int s = 0; s < n; s++) {
            double a = 0;
            for (int i = 0; i < d; i++) a += q.w[i] * in[s * d + i];
            double t = Math.tanh((inverse ? a : planarRoot(a, q.c, q.b)) + q.b), sign = inverse ? 1 : -1;
            for (int i = 0; i < d; i++) out[s * d + i] = in[s * d + i] + sign * q.uh[i] * t;
            ld[s] = sign * Math.log(1 + q.c * (1 - t * t));
        }
        return new double[][] {out, ld};
    }

    /** Backward of {@link #planar}: {gin, gu, gw, gb}. */
    public static double[][] planarBackward(float[] u, float[] w, float b, float[] in, float[] g, float[] gl, int n, boolean inverse) {
        Planar q = Planar.of(u, w, b);
        int d = q.d;
        double[] gin = new double[n * d], gu = new double[d], gw = new double[d], guh = new double[d];
        double gb = 0, gc = 0;
        for (int s = 0; s < n; s++) {
            double a = 0;
            for (int i = 0; i < d; i++) a += q.w[i] * in[s * d + i];
            if (inverse) {
                double t = Math.tanh(a + q.b), sp = 1 - t * t, den = 1 + q.c * sp, gt = 0;
                for (int i = 0; i < d; i++) { guh[i] += t * g[s * d + i]; gt += q.uh[i] * g[s * d + i]; }
                double gden = gl[s] / den;
                gc += gden * sp;
                gt += gden * q.c * (-2 * t);
                double ga = gt * sp;
                gb += ga;
                for (int i = 0; i < d; i++) { gw[i] += ga * in[s * d + i]; gin[s * d + i] = g[s * d + i] + ga * q.w[i]; }
            } else {
                double root = planarRoot(a, q.c, q.b), t = Math.tanh(root + q.b), sp = 1 - t * t, den = 1 + q.c * sp, gt = 0;
                for (int i = 0; i < d; i++) { guh[i] -= t * g[s * d + i]; gt -= q.uh[i] * g[s * d + i]; }
                double gden = -gl[s] / den;
                gc += gden * sp;
                gt += gden * q.c * (-2 * t);
                double gpre = gt * sp;
                gb += gpre;
                double gs = gpre / den;
                gc -= gpre * t / den;
                gb -= gpre * q.c * sp / den;
                for (int i = 0; i < d; i++) { gw[i] += gs * in[s * d + i]; gin[s * d + i] = g[s * d + i] + gs * q.w[i]; }
            }
        }
        double gk = 0;
        for (int i = 0; i < d; i++) { gu[i] += guh[i]; gw[i] += q.k * guh[i]; gk += guh[i] * q.w[i]; }
        double sig = sigmoid(q.p), gp = gc * sig + gk * (sig - 1) / q.w2;
        for (int i = 0; i < d; i++) { gw[i] += -gk * 2 * q.k * q.w[i] / q.w2 + gp * q.u[i]; gu[i] += gp * q.w[i]; }
        return new double[][] {gin, gu, gw, {gb}};
    }

    // ------------------------------------------------------------------ radial

    /** Normalizing (x → z, the radius by bisection of ρ = r(1 + β/(α + r))) or generative direction: {out, ld}. */
    public static double[][] radial(float[] z0, float ar, float br, float[] in, int n, boolean inverse) {
        int d = z0.length;
        double alpha = softplus(ar), beta = -alpha + softplus(br);
        double[] out = new double[n * d], ld = new double[n], y = new double[d];
        for (int s = 0; s < n; s++) {
            double rho = 0;
            for (int i = 0; i < d; i++) { y[i] = in[s * d + i] - (double) z0[i]; rho += y[i] * y[i]; }
            rho = Math.sqrt(rho);
            double r = inverse ? rho : radius(rho, alpha, beta), aa = alpha + r, hh = 1 + beta / aa, jj = 1 + beta * alpha / (aa * aa);
            for (int i = 0; i < d; i++) out[s * d + i] = z0[i] + (inverse ? hh * y[i] : y[i] / hh);
            double l = (d - 1) * Math.log(hh) + Math.log(jj);
            ld[s] = inverse ? l : -l;
        }
        return new double[][] {out, ld};
    }

    static double radius(double rho, double alpha, double beta) {
        if (rho == 0) return 0;
        return PlanarRadialOracles.bisect(r -> r * (1 + beta / (alpha + r)) - rho, 0, rho + Math.abs(beta) + 1);
    }

    /** Backward of {@link #radial}: {gin, gz0, galpha, gbeta}. */
    public static double[][] radialBackward(float[] z0, float ar, float br, float[] in, float[] g, float[] gl, int n, boolean inverse) {
        int d = z0.length;
        double al = softplus(ar), bt = -al + softplus(br);
        double[] gin = new double[n * d], gc = new double[d], y = new double[d];
        double ga = 0, gbeta = 0;
        for (int s = 0; s < n; s++) {
            double rho = 0;
            for (int i = 0; i < d; i++) { y[i] = in[s * d + i] - (double) z0[i]; rho += y[i] * y[i]; }
            rho = Math.sqrt(rho);
            if (inverse) {
                double r = rho, aa = al + r, hh = 1 + bt / aa, jj = 1 + bt * al / (aa * aa);
                double gH = (d - 1) * gl[s] / hh, gJ = gl[s] / jj;
                for (int i = 0; i < d; i++) { gc[i] += g[s * d + i]; gH += g[s * d + i] * y[i]; }
                gbeta += gH / aa + gJ * al / (aa * aa);
                ga += gJ * bt / (aa * aa);
                double gA = -gH * bt / (aa * aa) - 2 * gJ * bt * al / (aa * aa * aa);
                ga += gA;
                for (int i = 0; i < d; i++) {
                    double v = hh * g[s * d + i] + (r > 0 ? gA * y[i] / r : 0);
                    gin[s * d + i] = v;
                    gc[i] -= v;
                }
            } else {
                double r = radius(rho, al, bt), aa = al + r, hh = 1 + bt / aa, jj = 1 + bt * al / (aa * aa), gzy = 0;
                for (int i = 0; i < d; i++) { gc[i] += g[s * d + i]; gzy += g[s * d + i] * y[i]; }
                double gH = -gzy / (hh * hh) - gl[s] * (d - 1) / hh, gJ = -gl[s] / jj;
                double gA = -gH * bt / (aa * aa) - 2 * gJ * bt * al / (aa * aa * aa);
                gbeta += gH / aa + gJ * al / (aa * aa);
                ga += gJ * bt / (aa * aa) + gA;
                double grho = gA / jj;
                ga += gA * (bt * r / (aa * aa)) / jj;
                gbeta -= gA * (r / aa) / jj;
                for (int i = 0; i < d; i++) {
                    double v = g[s * d + i] / hh + (rho > 0 ? grho * y[i] / rho : 0);
                    gin[s * d + i] = v;
                    gc[i] -= v;
                }
            }
        }
        return new double[][] {gin, gc, {(ga - gbeta) * sigmoid(ar)}, {gbeta * sigmoid(br)}};
    }

    // ------------------------------------------------------------------ sylvester (generative direction only)

    private record Sylv(int d, int k, double[][] v, double[] vn, double[][] prefix, double[] q, double[] rr, double[] rrt, double[] b) {
        static Sylv of(float[] vf, float[] rf, float[] rtf, float[] bf, int k) {
            int d = bf.length;
            double[][] v = new double[k][d], prefix = new double[k + 1][];
            double[] vn = new double[k], rr = new double[d * d], rrt = new double[d * d], b = new double[d];
            for (int kk = 0; kk < k; kk++) for (int i = 0; i < d; i++) { v[kk][i] = vf[kk * d + i]; vn[kk] += v[kk][i] * v[kk][i]; }
            for (int i = 0; i < d; i++) {
                b[i] = bf[i];
                for (int j = i; j < d; j++) {
                    rr[i * d + j] = i == j ? Math.tanh(rf[i * d + j]) : rf[i * d + j];
                    rrt[i * d + j] = i == j ? Math.tanh(rtf[i * d + j]) : rtf[i * d + j];
                }
            }
            double[] m = new double[d * d];
            for (int i = 0; i < d; i++) m[i * d + i] = 1;
            prefix[0] = m.clone();
            for (int kk = 0; kk < k; kk++) {
                double[] out = m.clone(), mv = new double[d];
                for (int i = 0; i < d; i++) for (int j = 0; j < d; j++) mv[i] += m[i * d + j] * v[kk][j];
                for (int i = 0; i < d; i++) for (int j = 0; j < d; j++) out[i * d + j] -= 2 * mv[i] * v[kk][j] / vn[kk];
                m = out;
                prefix[kk + 1] = m;
            }
            return new Sylv(d, k, v, vn, prefix, m, rr, rrt, b);
        }

        double generate(double[] z, double[] s, double[] h, double[] p, double[] x) {
            for (int j = 0; j < d; j++) { double a = 0; for (int i = 0; i < d; i++) a += q[i * d + j] * z[i]; s[j] = a; }
            double ld = 0;
            for (int i = 0; i < d; i++) {
                double a = b[i];
                for (int j = i; j < d; j++) a += rrt[i * d + j] * s[j];
                h[i] = Math.tanh(a);
                ld += Math.log1p(rr[i * d + i] * rrt[i * d + i] * (1 - h[i] * h[i]));
            }
            for (int i = 0; i < d; i++) { double a = 0; for (int j = i; j < d; j++) a += rr[i * d + j] * h[j]; p[i] = a; }
            for (int i = 0; i < d; i++) { double a = z[i]; for (int j = 0; j < d; j++) a += q[i * d + j] * p[j]; x[i] = a; }
            return ld;
        }
    }

    /** The generative direction z → x: {x, ld⁻¹}. */
    public static double[][] sylvester(float[] v, float[] r, float[] rt, float[] b, int k, float[] z, int n) {
        Sylv y = Sylv.of(v, r, rt, b, k);
        int d = y.d;
        double[] out = new double[n * d], ld = new double[n], zz = new double[d], s = new double[d], h = new double[d], p = new double[d], x = new double[d];
        for (int m = 0; m < n; m++) {
            for (int i = 0; i < d; i++) zz[i] = z[m * d + i];
            ld[m] = y.generate(zz, s, h, p, x);
            System.arraycopy(x, 0, out, m * d, d);
        }
        return new double[][] {out, ld};
    }

    /** Backward of {@link #sylvester} (∂L/∂v through the prefix and suffix products of Q): {gz, gv, gr, grt, gb}. */
    public static double[][] sylvesterBackward(float[] v, float[] r, float[] rt, float[] b, int k, float[] z, float[] gx, float[] gl, int n) {
        Sylv y = Sylv.of(v, r, rt, b, k);
        int d = y.d;
        double[] zz = new double[d], g = new double[d], s = new double[d], h = new double[d], p = new double[d], x = new double[d];
        double[] gp = new double[d], gh = new double[d], ga = new double[d], gs = new double[d], gzOut = new double[n * d];
        double[] gQ = new double[d * d], gR = new double[d * d], gRt = new double[d * d], gb = new double[d];
        for (int m = 0; m < n; m++) {
            for (int i = 0; i < d; i++) { zz[i] = z[m * d + i]; g[i] = gx[m * d + i]; }
            y.generate(zz, s, h, p, x);
            for (int i = 0; i < d; i++) for (int j = 0; j < d; j++) gQ[i * d + j] += g[i] * p[j];
            for (int j = 0; j < d; j++) { double a = 0; for (int i = 0; i < d; i++) a += y.q[i * d + j] * g[i]; gp[j] = a; }
            java.util.Arrays.fill(gh, 0);
            for (int i = 0; i < d; i++)
                for (int j = i; j < d; j++) { gR[i * d + j] += gp[i] * h[j]; gh[j] += y.rr[i * d + j] * gp[i]; }
            for (int i = 0; i < d; i++) {
                double ri = y.rr[i * d + i], rti = y.rrt[i * d + i], sp = 1 - h[i] * h[i], dd = 1 + ri * rti * sp;
                gR[i * d + i] += gl[m] * rti * sp / dd;
                gRt[i * d + i] += gl[m] * ri * sp / dd;
                gh[i] += gl[m] * ri * rti * (-2 * h[i]) / dd;
                ga[i] = gh[i] * sp;
                gb[i] += ga[i];
            }
            java.util.Arrays.fill(gs, 0);
            for (int i = 0; i < d; i++)
                for (int j = i; j < d; j++) { gRt[i * d + j] += ga[i] * s[j]; gs[j] += y.rrt[i * d + j] * ga[i]; }
            for (int i = 0; i < d; i++) {
                double a = g[i];
                for (int j = 0; j < d; j++) { gQ[i * d + j] += zz[i] * gs[j]; a += y.q[i * d + j] * gs[j]; }
                gzOut[m * d + i] = a;
            }
        }
        double[] gRraw = new double[d * d], gRtraw = new double[d * d];
        for (int i = 0; i < d; i++)
            for (int j = i; j < d; j++) {
                double tr = Math.tanh(r[i * d + j]), trt = Math.tanh(rt[i * d + j]);
                gRraw[i * d + j] = i == j ? gR[i * d + j] * (1 - tr * tr) : gR[i * d + j];
                gRtraw[i * d + j] = i == j ? gRt[i * d + j] * (1 - trt * trt) : gRt[i * d + j];
            }
        // ∂L/∂v_k = −2(G_H + G_Hᵀ)v/n + 4(vᵀG_H v)v/n², G_H = P_{k−1}ᵀ G_Q S_kᵀ
        double[] gv = new double[k * d], suffix = new double[d * d];
        for (int i = 0; i < d; i++) suffix[i * d + i] = 1;
        for (int kk = k - 1; kk >= 0; kk--) {
            double[] pk = y.prefix[kk], tmp = new double[d * d], gH = new double[d * d];
            for (int i = 0; i < d; i++) for (int l = 0; l < d; l++) for (int j = 0; j < d; j++) tmp[i * d + j] += pk[l * d + i] * gQ[l * d + j];
            for (int i = 0; i < d; i++) for (int j = 0; j < d; j++) for (int l = 0; l < d; l++) gH[i * d + j] += tmp[i * d + l] * suffix[j * d + l];
            double[] vk = y.v[kk], sv = new double[d];
            double nn = y.vn[kk], vgv = 0;
            for (int i = 0; i < d; i++)
                for (int j = 0; j < d; j++) { sv[i] += (gH[i * d + j] + gH[j * d + i]) * vk[j]; vgv += vk[i] * gH[i * d + j] * vk[j]; }
            for (int i = 0; i < d; i++) gv[kk * d + i] = -2 * sv[i] / nn + 4 * vgv * vk[i] / (nn * nn);
            // suffix ← H_k · suffix
            double[] out = suffix.clone(), vm = new double[d];
            for (int i = 0; i < d; i++) for (int j = 0; j < d; j++) vm[j] += vk[i] * suffix[i * d + j];
            for (int i = 0; i < d; i++) for (int j = 0; j < d; j++) out[i * d + j] -= 2 * vk[i] * vm[j] / nn;
            suffix = out;
        }
        return new double[][] {gzOut, gv, gRraw, gRtraw, gb};
    }
}
