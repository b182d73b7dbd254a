package dev.fluvia.transforms;

import dev.fluvia.param.HostMath;
import dev.fluvia.backend.Backend;
import dev.fluvia.param.ParamSource;
import dev.fluvia.param.Param;
import dev.fluvia.param.Stash;
import dev.fluvia.tensor.Tensor;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Orthogonal Sylvester flow (van den Berg et al. 2018), FLOWS.md "Sylvester". Defined in the generative direction only:
 * {@code x = z + Q R tanh(R̃ Qᵀ z + b)}, {@code Q = H_1 ⋯ H_K} a product of Householder reflections
 * {@code H_k = I − 2 v_k v_kᵀ/‖v_k‖²}, R and R̃ upper-triangular with diagonals {@code tanh(raw)} (so that
 * {@code R_ii R̃_ii > −1} and the map is invertible); {@code ld⁻¹ = Σ_i log(1 + R_ii R̃_ii (1 − tanh²(a_i)))}.
 *
 * <p>The normalizing direction (x → z) has no tractable form: {@link #forward} and {@link #backward} throw
 * {@link NotInvertibleException}, so a flow with this layer scores no data; it is fitted by reverse KL and sampled.
 * Like planar and radial, the layer runs per sample on the host in float64 (no backend op, no CUDA kernel yet).
 */
public final class Sylvester implements Transform, InverseBackward {
    public static final String KIND = "sylvester";

    private final Backend be;
    private final int dim, reflections;
    private final Param v, r, rt, b;

    /**
     * Random initialisation: v_k ~ N(0, I), the raw entries of R and R̃ (upper triangle with the diagonal) ~ N(0, 0.1²/D),
     * b = 0: close to the identity.
     */
    public Sylvester(Backend be, int dim, int reflections, SplittableRandom rng) { this(ParamSource.fresh(be), be, dim, reflections, rng); }

    /** @param src where v, R, R̃ and b come from (a stored source draws nothing from {@code rng}, which may then be null) */
    public Sylvester(ParamSource src, Backend be, int dim, int reflections, SplittableRandom rng) {
        if (dim < 1) throw new IllegalArgumentException(KIND + ": dim must be >= 1, got " + dim);
        if (reflections < 1) throw new IllegalArgumentException(KIND + ": reflections must be >= 1, got " + reflections);
        this.be = be;
        this.dim = dim;
        this.reflections = reflections;
        float[][] init = src.fresh() ? initial(dim, reflections, rng) : null;
        this.v = src.param("v", true, () -> init[0], reflections, dim);
        this.r = src.param("r", true, () -> init[1], dim, dim);
        this.rt = src.param("r_tilde", true, () -> init[2], dim, dim);
        this.b = src.param("b", true, () -> new float[dim], dim);
    }

    /** {v, R, R̃} of the random initialisation. */
    private static float[][] initial(int dim, int reflections, SplittableRandom rng) {
        float[] vi = new float[reflections * dim], ri = new float[dim * dim], rti = new float[dim * dim];
        for (int i = 0; i < vi.length; i++) vi[i] = (float) Planar.gaussian(rng);
        double s = 0.1 / Math.sqrt(dim);
        for (int i = 0; i < dim; i++)
            for (int j = i; j < dim; j++) {
                ri[i * dim + j] = (float) (s * Planar.gaussian(rng));
                rti[i * dim + j] = (float) (s * Planar.gaussian(rng));
            }
        return new float[][] {vi, ri, rti};
    }

    /** D reflections (enough for any orthogonal Q up to signs). */
    public Sylvester(Backend be, int dim, SplittableRandom rng) { this(be, dim, dim, rng); }

    @Override public String kind() { return KIND; }
    @Override public int[] eventShape() { return new int[] {dim}; }
    @Override public List<Param> params() { return List.of(v, r, rt, b); }
    public int reflections() { return reflections; }

    /** The parameters in float64: Q built from the reflections (with its prefixes for the backward), effective R and R̃. */
    private final class P {
        final double[][] vv = new double[reflections][dim];
        final double[] vn = new double[reflections];
        /** prefix[k] = H_1 ⋯ H_k (prefix[0] = I), row-major D×D; q = prefix[K]. */
        final double[][] prefix = new double[reflections + 1][];
        final double[] q, rr = new double[dim * dim], rrt = new double[dim * dim], bb = new double[dim];

        P() {
            float[] vf = be.toHost(v.value()), rf = be.toHost(r.value()), rtf = be.toHost(rt.value()), bf = be.toHost(b.value());
            for (int k = 0; k < reflections; k++) {
                double n = 0;
                for (int i = 0; i < dim; i++) { vv[k][i] = vf[k * dim + i]; n += vv[k][i] * vv[k][i]; }
                if (!(n > 0) || !Double.isFinite(n))
                    throw new InvalidParameterException(KIND + ": Householder vector " + k + " must be finite and non-zero (‖v‖² = " + n + ")");
                vn[k] = n;
            }
            for (int i = 0; i < dim; i++) {
                bb[i] = bf[i];
                if (!Double.isFinite(bb[i])) throw new InvalidParameterException(KIND + ": b[" + i + "] is " + bf[i]);
                for (int j = i; j < dim; j++) {
                    double a = rf[i * dim + j], c = rtf[i * dim + j];
                    if (!Double.isFinite(a) || !Double.isFinite(c))
                        throw new InvalidParameterException(KIND + ": r[" + i + "," + j + "] = " + a + ", r_tilde = " + c + " must be finite");
                    rr[i * dim + j] = i == j ? Math.tanh(a) : a;
                    rrt[i * dim + j] = i == j ? Math.tanh(c) : c;
                }
            }
            double[] m = new double[dim * dim];
            for (int i = 0; i < dim; i++) m[i * dim + i] = 1;
            prefix[0] = m.clone();
            for (int k = 0; k < reflections; k++) {
                m = timesReflection(m, k);
                prefix[k + 1] = m;
            }
            q = m;
        }

        /** M·H_k = M − 2 (M v)(vᵀ)/‖v‖². */
        double[] timesReflection(double[] mm, int k) {
            double[] out = mm.clone(), mv = new double[dim];
            for (int i = 0; i < dim; i++) for (int j = 0; j < dim; j++) mv[i] += mm[i * dim + j] * vv[k][j];
            for (int i = 0; i < dim; i++) for (int j = 0; j < dim; j++) out[i * dim + j] -= 2 * mv[i] * vv[k][j] / vn[k];
            return out;
        }

        /** H_k·M. */
        double[] reflectionTimes(int k, double[] mm) {
            double[] out = mm.clone(), vm = new double[dim];
            for (int i = 0; i < dim; i++) for (int j = 0; j < dim; j++) vm[j] += vv[k][i] * mm[i * dim + j];
            for (int i = 0; i < dim; i++) for (int j = 0; j < dim; j++) out[i * dim + j] -= 2 * vv[k][i] * vm[j] / vn[k];
            return out;
        }
    }

    /** One sample of the generative map: s = Qᵀz, a = R̃s + b, h = tanh(a), p = Rh, x = z + Qp; returns ld⁻¹. */
    private double generate(P q, double[] z, double[] s, double[] h, double[] p, double[] x) {
        for (int j = 0; j < dim; j++) {
            double acc = 0;
            for (int i = 0; i < dim; i++) acc += q.q[i * dim + j] * z[i];
            s[j] = acc;
        }
        double ld = 0;
        for (int i = 0; i < dim; i++) {
            double a = q.bb[i];
            for (int j = i; j < dim; j++) a += q.rrt[i * dim + j] * s[j];
            h[i] = Math.tanh(a);
            ld += Math.log1p(q.rr[i * dim + i] * q.rrt[i * dim + i] * (1 - h[i] * h[i]));
        }
        for (int i = 0; i < dim; i++) {
            double acc = 0;
            for (int j = i; j < dim; j++) acc += q.rr[i * dim + j] * h[j];
            p[i] = acc;
        }
        for (int i = 0; i < dim; i++) {
            double acc = z[i];
            for (int j = 0; j < dim; j++) acc += q.q[i * dim + j] * p[j];
            x[i] = acc;
        }
        return ld;
    }

    @Override public Tensor inverse(Tensor y, Tensor ld) {
        Events.check(KIND, "inverse", y, eventShape());
        P q = new P();
        int n = y.shape()[0];
        float[] zh = be.toHost(y), ldh = be.toHost(ld), xh = new float[zh.length];
        double[] z = new double[dim], s = new double[dim], h = new double[dim], p = new double[dim], x = new double[dim];
        for (int n0 = 0; n0 < n; n0++) {
            for (int i = 0; i < dim; i++) z[i] = zh[n0 * dim + i];
            double l = generate(q, z, s, h, p, x);
            for (int i = 0; i < dim; i++) xh[n0 * dim + i] = (float) x[i];
            ldh[n0] = (float) (ldh[n0] + l);
        }
        be.upload(ldh, ld);
        return be.fromHost(xh, y.shape());
    }

    @Override public Tensor inverseBackward(Tensor y, Tensor xOut, Tensor gx, Tensor gLd) {
        Events.check(KIND, "inverseBackward", y, eventShape());
        P q = new P();
        int n = y.shape()[0];
        float[] zh = be.toHost(y), gxh = be.toHost(gx), glh = be.toHost(gLd), gzh = new float[zh.length];
        double[] z = new double[dim], s = new double[dim], h = new double[dim], p = new double[dim], x = new double[dim];
        double[] g = new double[dim], gp = new double[dim], gh = new double[dim], ga = new double[dim], gs = new double[dim];
        double[] gQ = new double[dim * dim], gR = new double[dim * dim], gRt = new double[dim * dim], gb = new double[dim];
        for (int n0 = 0; n0 < n; n0++) {
            for (int i = 0; i < dim; i++) { z[i] = zh[n0 * dim + i]; g[i] = gxh[n0 * dim + i]; }
            double gl = glh[n0];
            generate(q, z, s, h, p, x);
            // x = z + Q p
            for (int i = 0; i < dim; i++) for (int j = 0; j < dim; j++) gQ[i * dim + j] += g[i] * p[j];
            for (int j = 0; j < dim; j++) {
                double acc = 0;
                for (int i = 0; i < dim; i++) acc += q.q[i * dim + j] * g[i];
                gp[j] = acc;
            }
            // p = R h (upper)
            for (int j = 0; j < dim; j++) gh[j] = 0;
            for (int i = 0; i < dim; i++)
                for (int j = i; j < dim; j++) {
                    gR[i * dim + j] += gp[i] * h[j];
                    gh[j] += q.rr[i * dim + j] * gp[i];
                }
            // ld⁻¹ = Σ log(1 + R_ii R̃_ii (1 − h_i²))
            for (int i = 0; i < dim; i++) {
                double ri = q.rr[i * dim + i], rti = q.rrt[i * dim + i], sp = 1 - h[i] * h[i], d = 1 + ri * rti * sp;
                gR[i * dim + i] += gl * rti * sp / d;
                gRt[i * dim + i] += gl * ri * sp / d;
                gh[i] += gl * ri * rti * (-2 * h[i]) / d;
                ga[i] = gh[i] * sp;
                gb[i] += ga[i];
            }
            // a = R̃ s + b (upper)
            for (int j = 0; j < dim; j++) gs[j] = 0;
            for (int i = 0; i < dim; i++)
                for (int j = i; j < dim; j++) {
                    gRt[i * dim + j] += ga[i] * s[j];
                    gs[j] += q.rrt[i * dim + j] * ga[i];
                }
            // s = Qᵀ z
            for (int i = 0; i < dim; i++) {
                double acc = g[i];
                for (int j = 0; j < dim; j++) {
                    gQ[i * dim + j] += z[i] * gs[j];
                    acc += q.q[i * dim + j] * gs[j];
                }
                gzh[n0 * dim + i] = (float) acc;
            }
        }
        // raw diagonals: R_ii = tanh(raw); lower triangles are unused (zero gradient)
        float[] rf = be.toHost(r.value()), rtf = be.toHost(rt.value());
        double[] gRraw = new double[dim * dim], gRtraw = new double[dim * dim];
        for (int i = 0; i < dim; i++)
            for (int j = i; j < dim; j++) {
                if (i == j) {
                    double tr = Math.tanh(rf[i * dim + i]), trt = Math.tanh(rtf[i * dim + i]);
                    gRraw[i * dim + i] = gR[i * dim + i] * (1 - tr * tr);
                    gRtraw[i * dim + i] = gRt[i * dim + i] * (1 - trt * trt);
                } else {
                    gRraw[i * dim + j] = gR[i * dim + j];
                    gRtraw[i * dim + j] = gRt[i * dim + j];
                }
            }
        HostMath.accumulate(be, v, householderGrad(q, gQ));
        HostMath.accumulate(be, r, gRraw);
        HostMath.accumulate(be, rt, gRtraw);
        HostMath.accumulate(be, b, gb);
        return be.fromHost(gzh, y.shape());
    }

    /**
     * ∂L/∂v_k from ∂L/∂Q, Q = P_{k−1} H_k S_k: G_H = P_{k−1}ᵀ G_Q S_kᵀ, and for H = I − 2vvᵀ/n (n = vᵀv)
     * {@code ∂L/∂v = −2(G_H + G_Hᵀ)v/n + 4(vᵀG_H v)v/n²}.
     */
    private double[] householderGrad(P q, double[] gQ) {
        double[] out = new double[reflections * dim];
        double[] suffix = new double[dim * dim];               // S_k = H_{k+1} ⋯ H_K, built from the right
        for (int i = 0; i < dim; i++) suffix[i * dim + i] = 1;
        for (int k = reflections - 1; k >= 0; k--) {
            double[] pk = q.prefix[k], gh = new double[dim * dim], tmp = new double[dim * dim];
            // tmp = P_{k−1}ᵀ G_Q
            for (int i = 0; i < dim; i++)
                for (int l = 0; l < dim; l++) {
                    double pli = pk[l * dim + i];
                    if (pli == 0) continue;
                    for (int j = 0; j < dim; j++) tmp[i * dim + j] += pli * gQ[l * dim + j];
                }
            // gh = tmp S_kᵀ
            for (int i = 0; i < dim; i++)
                for (int j = 0; j < dim; j++) {
                    double acc = 0;
                    for (int l = 0; l < dim; l++) acc += tmp[i * dim + l] * suffix[j * dim + l];
                    gh[i * dim + j] = acc;
                }
            double[] vk = q.vv[k];
            double nn = q.vn[k], vgv = 0;
            double[] sv = new double[dim];
            for (int i = 0; i < dim; i++)
                for (int j = 0; j < dim; j++) {
                    sv[i] += (gh[i * dim + j] + gh[j * dim + i]) * vk[j];
                    vgv += vk[i] * gh[i * dim + j] * vk[j];
                }
            for (int i = 0; i < dim; i++) out[k * dim + i] = -2 * sv[i] / nn + 4 * vgv * vk[i] / (nn * nn);
            suffix = q.reflectionTimes(k, suffix);
        }
        return out;
    }

    private NotInvertibleException noForward(String op) {
        return new NotInvertibleException(KIND + "." + op + ": the Sylvester flow is defined in the generative direction only (z → x) "
                + "and has no tractable inverse, so it cannot give the density of data or train on data; fit it to a target "
                + "density by reverse KL (fluvia fit-target) and sample from it");
    }

    @Override public Tensor forward(Tensor x, Tensor ld, Stash stash) { throw noForward("forward"); }

    @Override public Tensor backward(Tensor x, Tensor gy, Tensor gLd, Stash stash) { throw noForward("backward"); }
}
