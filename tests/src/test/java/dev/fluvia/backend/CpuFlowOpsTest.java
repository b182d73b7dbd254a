package dev.fluvia.backend;

import static dev.fluvia.backend.OpsFixture.EW_ATOL;
import static dev.fluvia.backend.OpsFixture.EW_RTOL;
import static dev.fluvia.backend.OpsFixture.MM_ATOL;
import static dev.fluvia.backend.OpsFixture.MM_RTOL;
import static dev.fluvia.backend.OpsFixture.dbl;
import static dev.fluvia.backend.OpsFixture.plus;
import static dev.fluvia.backend.OpsFixture.vjp;

import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The flow-specific ops of the CPU backend (couplings, actnorm, LU, parameter log-det terms, MAF, base distributions)
 * against float64 references written here. Backward ops are checked against central differences of the float64 forward
 * reference (the vector-Jacobian product with the incoming gradients).
 */
class CpuFlowOpsTest {
    private final OpsFixture f = new OpsFixture(new CpuBackend(2), 31);
    private final CpuBackend be = f.be;

    // ---------------------------------------------------------------- affine / additive coupling

    /** float64 affine coupling: returns [y (N·D) | ld (N)] for the given direction. */
    static double[] couplingRef(double[] x, double[] h, int n, int d, int[] b, CouplingScale sc, double c, boolean inverse) {
        int k = b.length;
        double[] out = Arrays.copyOf(x, n * d + n);
        for (int r = 0; r < n; r++) {
            double ld = 0;
            for (int j = 0; j < k; j++) {
                double raw = h[r * 2 * k + j], t = h[r * 2 * k + k + j];
                double logs = sc == CouplingScale.SOFTCLAMP ? c * Math.tanh(raw / c) : Math.log(1 / (1 + Math.exp(-(raw + 2))));
                int p = r * d + b[j];
                double v = x[p];
                if (sc == CouplingScale.SOFTCLAMP) out[p] = inverse ? (v - t) * Math.exp(-logs) : v * Math.exp(logs) + t;
                else out[p] = inverse ? v / Math.exp(logs) - t : (v + t) * Math.exp(logs);
                ld += inverse ? -logs : logs;
            }
            out[n * d + r] = ld;
        }
        return out;
    }

    @Test void affineCouplingForwardInverseBackward() {
        for (int[] s : new int[][] {{37, 2, 1}, {67, 3, 2}, {130, 8, 4}, {5, 63, 31}})
            for (CouplingScale sc : CouplingScale.values()) {
                int n = s[0], d = s[1], k = s[2];
                int[] b = f.randomSubset(d, k);
                float clamp = 2f;
                float[] x = f.rand(n * d, 2), h = f.rand(n * 2 * k, 2), ld0 = f.rand(n);
                String what = "affineCoupling " + sc + " " + n + "x" + d + " K=" + k;
                for (boolean inverse : new boolean[] {false, true}) {
                    Tensor y = f.poisoned(n, d), ld = f.t(ld0, n);
                    if (inverse) be.coupling().affineCouplingInverse(f.t(x, n, d), f.t(h, n, 2 * k), be.index(b), sc, clamp, y, ld);
                    else be.coupling().affineCouplingForward(f.t(x, n, d), f.t(h, n, 2 * k), be.index(b), sc, clamp, y, ld);
                    double[] ref = couplingRef(dbl(x), dbl(h), n, d, b, sc, clamp, inverse);
                    f.assertClose(what + (inverse ? " inverse" : " forward") + " y", Arrays.copyOf(ref, n * d), y, EW_ATOL, EW_RTOL);
                    f.assertClose(what + (inverse ? " inverse" : " forward") + " ld", plus(ld0, Arrays.copyOfRange(ref, n * d, n * d + n)), ld, EW_ATOL, EW_RTOL);
                }
                // backward: gx = ∂L/∂x with h held fixed, gh = ∂L/∂h, L = Σ gy·y + Σ gLd·ld
                float[] gy = f.rand(n * d), gLd = f.rand(n);
                double[] w = new double[n * d + n];
                for (int i = 0; i < n * d; i++) w[i] = gy[i];
                for (int r = 0; r < n; r++) w[n * d + r] = gLd[r];
                double[] xd = dbl(x), hd = dbl(h);
                double[] gxr = vjp(xv -> couplingRef(xv, hd, n, d, b, sc, clamp, false), xd.clone(), w);
                double[] ghr = vjp(hv -> couplingRef(xd, hv, n, d, b, sc, clamp, false), hd.clone(), w);
                Tensor gx = f.poisoned(n, d), gh = f.poisoned(n, 2 * k);
                be.coupling().affineCouplingBackward(f.t(x, n, d), f.t(h, n, 2 * k), be.index(b), sc, clamp, f.t(gy, n, d), f.t(gLd, n), gx, gh);
                f.assertClose(what + " backward gx", gxr, gx, EW_ATOL, EW_RTOL);
                f.assertClose(what + " backward gh", ghr, gh, EW_ATOL, EW_RTOL);
            }
    }

    @Test void additiveCoupling() {
        for (int[] s : new int[][] {{37, 2, 1}, {130, 63, 30}}) {
            int n = s[0], d = s[1], k = s[2];
            int[] b = f.randomSubset(d, k);
            float[] x = f.rand(n * d), m = f.rand(n * k);
            for (boolean inverse : new boolean[] {false, true}) {
                Tensor y = f.poisoned(n, d);
                if (inverse) be.coupling().additiveCouplingInverse(f.t(x, n, d), f.t(m, n, k), be.index(b), y);
                else be.coupling().additiveCouplingForward(f.t(x, n, d), f.t(m, n, k), be.index(b), y);
                double[] ref = dbl(x);
                for (int r = 0; r < n; r++) for (int j = 0; j < k; j++) ref[r * d + b[j]] += (inverse ? -1 : 1) * (double) m[r * k + j];
                f.assertClose("additiveCoupling inverse=" + inverse, ref, y, EW_ATOL, EW_RTOL);
            }
        }
    }

    // ---------------------------------------------------------------- actnorm

    /** float64 actnorm forward: [y | ld]; bias may be null. */
    static double[] actnormRef(double[] x, double[] logs, double[] bias, int n, int c, int hw) {
        double[] out = new double[n * c * hw + n];
        double s = 0;
        for (double v : logs) s += v;
        for (int r = 0; r < n; r++) {
            for (int ch = 0; ch < c; ch++)
                for (int p = 0; p < hw; p++) {
                    int i = (r * c + ch) * hw + p;
                    out[i] = x[i] * Math.exp(logs[ch]) + (bias == null ? 0 : bias[ch]);
                }
            out[n * c * hw + r] = hw * s;
        }
        return out;
    }

    @Test void actnormForwardInverseBackwardInit() {
        for (int[] s : new int[][] {{37, 3, 1, 1}, {67, 63, 1, 1}, {5, 3, 3, 5}, {2, 2, 4, 4}})
            for (boolean withBias : new boolean[] {true, false}) {
                int n = s[0], c = s[1], hh = s[2], ww = s[3], hw = hh * ww, e = n * c * hw;
                int[] shape = s[2] == 1 && s[3] == 1 && s[0] != 5 ? new int[] {n, c} : new int[] {n, c, hh, ww};
                float[] x = f.rand(e, 2), logs = f.rand(c, 0.5), bias = f.rand(c), ld0 = f.rand(n);
                double[] ref = actnormRef(dbl(x), dbl(logs), withBias ? dbl(bias) : null, n, c, hw);
                String what = "actnorm " + Arrays.toString(shape) + (withBias ? "" : " no bias");
                Tensor y = f.poisoned(shape), ld = f.t(ld0, n);
                be.actnorm().actnormForward(f.t(x, shape), f.t(logs, c), withBias ? f.t(bias, c) : null, y, ld);
                f.assertClose(what + " forward y", Arrays.copyOf(ref, e), y, EW_ATOL, EW_RTOL);
                f.assertClose(what + " forward ld", plus(ld0, Arrays.copyOfRange(ref, e, e + n)), ld, EW_ATOL, EW_RTOL);
                // inverse of the forward output gives x back, ld −= the same term
                float[] yv = be.toHost(y);
                Tensor xb = f.poisoned(shape), ld2 = f.t(ld0, n);
                be.actnorm().actnormInverse(f.t(yv, shape), f.t(logs, c), withBias ? f.t(bias, c) : null, xb, ld2);
                double[] ldr = new double[n];
                for (int r = 0; r < n; r++) ldr[r] = ld0[r] - ref[e + r];
                f.assertClose(what + " inverse x", dbl(x), xb, EW_ATOL, EW_RTOL);
                f.assertClose(what + " inverse ld", ldr, ld2, EW_ATOL, EW_RTOL);

                float[] gy = f.rand(e), gLd = f.rand(n), gl0 = f.rand(c), gb0 = f.rand(c);
                double[] w = new double[e + n];
                for (int i = 0; i < e; i++) w[i] = gy[i];
                for (int r = 0; r < n; r++) w[e + r] = gLd[r];
                double[] xd = dbl(x), lsd = dbl(logs), bd = withBias ? dbl(bias) : null;
                double[] gxr = vjp(v -> actnormRef(v, lsd, bd, n, c, hw), xd.clone(), w);
                double[] glr = vjp(v -> actnormRef(xd, v, bd, n, c, hw), lsd.clone(), w);
                double[] gbr = withBias ? vjp(v -> actnormRef(xd, lsd, v, n, c, hw), bd.clone(), w) : null;
                Tensor gx = f.poisoned(shape), gl = f.t(gl0, c), gb = withBias ? f.t(gb0, c) : null;
                be.actnorm().actnormBackward(f.t(x, shape), f.t(logs, c), f.t(gy, shape), f.t(gLd, n), gx, gl, gb);
                f.assertClose(what + " backward gx", gxr, gx, EW_ATOL, EW_RTOL);
                f.assertClose(what + " backward glogs", plus(gl0, glr), gl, EW_ATOL, EW_RTOL);
                if (withBias) f.assertClose(what + " backward gbias", plus(gb0, gbr), gb, EW_ATOL, EW_RTOL);

                Tensor mean = f.poisoned(c), std = f.poisoned(c);
                be.actnorm().actnormInitStats(f.t(x, shape), mean, std);
                double[] mr = new double[c], sr = new double[c];
                for (int ch = 0; ch < c; ch++) {
                    double m = 0, v = 0;
                    for (int r = 0; r < n; r++) for (int p = 0; p < hw; p++) m += x[(r * c + ch) * hw + p];
                    m /= n * hw;
                    for (int r = 0; r < n; r++) for (int p = 0; p < hw; p++) { double u = x[(r * c + ch) * hw + p] - m; v += u * u; }
                    mr[ch] = m;
                    sr[ch] = Math.sqrt(v / (n * hw));
                }
                f.assertClose(what + " initStats mean", mr, mean, EW_ATOL, EW_RTOL);
                f.assertClose(what + " initStats std", sr, std, EW_ATOL, EW_RTOL);
            }
    }

    // ---------------------------------------------------------------- LU

    /** float64 W = P·L'·U' with (P·M)[i, :] = M[perm[i], :]. */
    static double[] luRef(int[] perm, double[] lower, double[] upper, double[] logs, double[] sign) {
        int c = logs.length;
        double[] w = new double[c * c];
        for (int i = 0; i < c; i++)
            for (int j = 0; j < c; j++) {
                int src = perm[i];
                double s = 0;
                for (int q = 0; q < c; q++) {
                    double l = src > q ? lower[src * c + q] : (src == q ? 1 : 0);
                    double u = q < j ? upper[q * c + j] : (q == j ? sign[q] * Math.exp(logs[q]) : 0);
                    s += l * u;
                }
                w[i * c + j] = s;
            }
        return w;
    }

    /** Solves W·x = y by Gaussian elimination with partial pivoting (float64). */
    static double[] solve(double[] w, double[] y, int c) {
        double[] a = w.clone(), b = y.clone();
        for (int col = 0; col < c; col++) {
            int piv = col;
            for (int r = col + 1; r < c; r++) if (Math.abs(a[r * c + col]) > Math.abs(a[piv * c + col])) piv = r;
            for (int j = 0; j < c; j++) { double t = a[col * c + j]; a[col * c + j] = a[piv * c + j]; a[piv * c + j] = t; }
            double t = b[col]; b[col] = b[piv]; b[piv] = t;
            for (int r = col + 1; r < c; r++) {
                double fct = a[r * c + col] / a[col * c + col];
                for (int j = col; j < c; j++) a[r * c + j] -= fct * a[col * c + j];
                b[r] -= fct * b[col];
            }
        }
        for (int r = c - 1; r >= 0; r--) {
            double s = b[r];
            for (int j = r + 1; j < c; j++) s -= a[r * c + j] * b[j];
            b[r] = s / a[r * c + r];
        }
        return b;
    }

    @Test void luAssembleSolveWeightBackward() {
        for (int c : new int[] {2, 3, 7}) {
            int[] perm = f.permutation(c);
            float[] lower = f.rand(c * c, 0.5), upper = f.rand(c * c, 0.5), logs = f.rand(c, 0.3), sign = new float[c];
            for (int i = 0; i < c; i++) sign[i] = f.rng.nextBoolean() ? 1f : -1f;
            double[] wr = luRef(perm, dbl(lower), dbl(upper), dbl(logs), dbl(sign));
            Tensor lt = f.t(lower, c, c), ut = f.t(upper, c, c), st = f.t(logs, c), sg = f.t(sign, c);
            Tensor w = f.poisoned(c, c);
            be.lu().luAssemble(be.index(perm), lt, ut, st, sg, w);
            f.assertClose("luAssemble C=" + c, wr, w, MM_ATOL, MM_RTOL);

            for (int[] shape : new int[][] {{37, c}, {3, c, 2, 3}}) {
                int n = shape[0], hw = shape.length == 4 ? shape[2] * shape[3] : 1;
                float[] y = f.rand(n * c * hw);
                Tensor x = f.poisoned(shape);
                be.lu().luSolve(be.index(perm), lt, ut, st, sg, f.t(y, shape), x);
                double[] xr = new double[y.length], v = new double[c];
                for (int r = 0; r < n; r++)
                    for (int p = 0; p < hw; p++) {
                        for (int i = 0; i < c; i++) v[i] = y[(r * c + i) * hw + p];
                        double[] s = solve(wr, v, c);
                        for (int i = 0; i < c; i++) xr[(r * c + i) * hw + p] = s[i];
                    }
                f.assertClose("luSolve C=" + c + " " + Arrays.toString(shape), xr, x, MM_ATOL, MM_RTOL);
            }

            float[] gw = f.rand(c * c), gl0 = f.rand(c * c), gu0 = f.rand(c * c), gs0 = f.rand(c);
            double[] gwd = dbl(gw), lo = dbl(lower), up = dbl(upper), ls = dbl(logs), sgn = dbl(sign);
            double[] glr = vjp(v -> luRef(perm, v, up, ls, sgn), lo.clone(), gwd);
            double[] gur = vjp(v -> luRef(perm, lo, v, ls, sgn), up.clone(), gwd);
            double[] gsr = vjp(v -> luRef(perm, lo, up, v, sgn), ls.clone(), gwd);
            Tensor glt = f.t(gl0, c, c), gut = f.t(gu0, c, c), gst = f.t(gs0, c);
            be.lu().luWeightBackward(be.index(perm), lt, ut, st, sg, f.t(gw, c, c), glt, gut, gst);
            f.assertClose("luWeightBackward glower C=" + c, plus(gl0, glr), glt, MM_ATOL, MM_RTOL);
            f.assertClose("luWeightBackward gupper C=" + c, plus(gu0, gur), gut, MM_ATOL, MM_RTOL);
            f.assertClose("luWeightBackward glogs C=" + c, plus(gs0, gsr), gst, MM_ATOL, MM_RTOL);
        }
    }

    @Test void parameterLogDetTerms() {
        int n = 67;
        float[] ld0 = f.rand(n), v = f.rand(13), g0 = f.rand(13), gLd = f.rand(n);
        Tensor ld = f.t(ld0, n);
        be.reduce().addScaledSum(ld, f.t(v, 13), 2.5f);
        double s = 0;
        for (float x : v) s += x;
        double[] ref = new double[n];
        for (int r = 0; r < n; r++) ref[r] = ld0[r] + 2.5 * s;
        f.assertClose("addScaledSum", ref, ld, EW_ATOL, EW_RTOL);
        Tensor g = f.t(g0, 13);
        be.reduce().addScaledTotal(g, f.t(gLd, n), -1.5f);
        double t = 0;
        for (float x : gLd) t += x;
        double[] gr = new double[13];
        for (int i = 0; i < 13; i++) gr[i] = g0[i] - 1.5 * t;
        f.assertClose("addScaledTotal", gr, g, EW_ATOL, EW_RTOL);
    }

    // ---------------------------------------------------------------- MAF

    /** float64 MAF density direction: [z | ld]. */
    static double[] mafRef(double[] x, double[] h, int n, int d, double c) {
        double[] out = new double[n * d + n];
        for (int r = 0; r < n; r++)
            for (int j = 0; j < d; j++) {
                double mu = h[r * 2 * d + j], a = c * Math.tanh(h[r * 2 * d + d + j] / c);
                out[r * d + j] = (x[r * d + j] - mu) * Math.exp(-a);
                out[n * d + r] -= a;
            }
        return out;
    }

    @Test void mafForwardBackward() {
        for (int[] s : new int[][] {{37, 2}, {67, 3}, {5, 63}}) {
            int n = s[0], d = s[1];
            float[] x = f.rand(n * d, 2), h = f.rand(n * 2 * d, 3), ld0 = f.rand(n);
            float clamp = 2f;
            double[] ref = mafRef(dbl(x), dbl(h), n, d, clamp);
            Tensor z = f.poisoned(n, d), ld = f.t(ld0, n);
            be.maf().mafForward(f.t(x, n, d), f.t(h, n, 2 * d), clamp, z, ld);
            f.assertClose("mafForward z D=" + d, Arrays.copyOf(ref, n * d), z, EW_ATOL, EW_RTOL);
            f.assertClose("mafForward ld D=" + d, plus(ld0, Arrays.copyOfRange(ref, n * d, n * d + n)), ld, EW_ATOL, EW_RTOL);
            float[] gz = f.rand(n * d), gLd = f.rand(n);
            double[] w = new double[n * d + n];
            for (int i = 0; i < n * d; i++) w[i] = gz[i];
            for (int r = 0; r < n; r++) w[n * d + r] = gLd[r];
            double[] xd = dbl(x), hd = dbl(h);
            double[] gxr = vjp(v -> mafRef(v, hd, n, d, clamp), xd.clone(), w);
            double[] ghr = vjp(v -> mafRef(xd, v, n, d, clamp), hd.clone(), w);
            Tensor gx = f.poisoned(n, d), gh = f.poisoned(n, 2 * d);
            be.maf().mafBackward(f.t(x, n, d), f.t(h, n, 2 * d), clamp, f.t(gz, n, d), f.t(gLd, n), gx, gh);
            f.assertClose("mafBackward gx D=" + d, gxr, gx, EW_ATOL, EW_RTOL);
            f.assertClose("mafBackward gh D=" + d, ghr, gh, EW_ATOL, EW_RTOL);
        }
    }

    /** float64 MLP on one sample: tanh hidden layers, identity output. */
    static double[] mlp(List<float[]> w, List<float[]> b, int[] dims, double[] x) {
        double[] cur = x;
        for (int l = 0; l < w.size(); l++) {
            int in = dims[l], out = dims[l + 1];
            double[] nx = new double[out];
            for (int o = 0; o < out; o++) {
                double s = b.get(l)[o];
                for (int q = 0; q < in; q++) s += w.get(l)[o * in + q] * cur[q];
                nx[o] = l + 1 < w.size() ? Math.tanh(s) : s;
            }
            cur = nx;
        }
        return cur;
    }

    @Test void mafInverseIsTheSequentialInverseOfAMade() {
        for (int[] cfg : new int[][] {{2, 5, 0}, {3, 16, 0}, {8, 24, 24}}) {
            int d = cfg[0], n = 37;
            int[] order = f.permutation(d), degIn = new int[d];
            for (int i = 0; i < d; i++) degIn[order[i]] = i + 1;
            List<Integer> widths = new ArrayList<>();
            widths.add(d);
            for (int i = 1; i < cfg.length && cfg[i] > 0; i++) widths.add(cfg[i]);
            widths.add(2 * d);
            int[] dims = widths.stream().mapToInt(Integer::intValue).toArray();
            // MADE masks from degrees (FLOWS.md): hidden unit k sees inputs of degree ≤ m_k; outputs of dim d see m_k < m_in(d)
            List<int[]> degs = new ArrayList<>();
            degs.add(degIn);
            for (int l = 1; l + 1 < dims.length; l++) {
                int[] m = new int[dims[l]];
                for (int k = 0; k < m.length; k++) m[k] = d == 1 ? 1 : 1 + k % (d - 1);
                degs.add(m);
            }
            List<float[]> ws = new ArrayList<>(), bs = new ArrayList<>();
            List<Tensor> wt = new ArrayList<>(), bt = new ArrayList<>();
            for (int l = 0; l + 1 < dims.length; l++) {
                int in = dims[l], out = dims[l + 1];
                float[] w = f.rand(out * in, 1 / Math.sqrt(in)), b = f.rand(out, 0.3);
                boolean lastLayer = l + 2 == dims.length;
                for (int o = 0; o < out; o++)
                    for (int q = 0; q < in; q++) {
                        boolean keep = lastLayer ? degIn[o % d] > degs.get(l)[q] : degs.get(l + 1)[o] >= degs.get(l)[q];
                        if (!keep) w[o * in + q] = 0f;
                    }
                ws.add(w); bs.add(b);
                wt.add(f.t(w, out, in)); bt.add(f.t(b, out));
            }
            float clamp = 2f;
            float[] z = f.rand(n * d), ld0 = f.rand(n);
            Tensor x = f.poisoned(n, d), ld = f.t(ld0, n);
            be.maf().mafInverse(wt, bt, Activation.TANH, be.index(order), clamp, f.t(z, n, d), x, ld);
            double[] xr = new double[n * d], ldr = new double[n];
            for (int r = 0; r < n; r++) {
                double[] xs = new double[d]; // dims not yet produced are 0 (they do not influence the next one)
                ldr[r] = ld0[r];
                for (int step = 0; step < d; step++) {
                    int dim = order[step];
                    double[] hh = mlp(ws, bs, dims, xs);
                    double a = clamp * Math.tanh(hh[d + dim] / clamp);
                    xs[dim] = z[r * d + dim] * Math.exp(a) + hh[dim];
                    ldr[r] += a;
                }
                System.arraycopy(xs, 0, xr, r * d, d);
            }
            f.assertClose("mafInverse x D=" + d, xr, x, MM_ATOL, MM_RTOL);
            f.assertClose("mafInverse ld D=" + d, ldr, ld, MM_ATOL, MM_RTOL);
            // and the density direction maps it back: z = (x − μ(x))·exp(−α(x)), ld_fwd = −ld_inv
            float[] xv = be.toHost(x), hAll = new float[n * 2 * d];
            for (int r = 0; r < n; r++) {
                double[] hh = mlp(ws, bs, dims, Arrays.copyOfRange(dbl(xv), r * d, r * d + d));
                for (int j = 0; j < 2 * d; j++) hAll[r * 2 * d + j] = (float) hh[j];
            }
            Tensor zb = f.poisoned(n, d), ldb = be.alloc(n);
            be.maf().mafForward(x, f.t(hAll, n, 2 * d), clamp, zb, ldb);
            f.assertClose("mafForward(mafInverse(z)) D=" + d, dbl(z), zb, MM_ATOL, MM_RTOL);
        }
    }

    // ---------------------------------------------------------------- base distributions

    @Test void normalLogProbsAndBackward() {
        for (int[] s : new int[][] {{37, 2}, {67, 63}, {3, 784}}) {
            int n = s[0], d = s[1];
            float[] z = f.rand(n * d, 2), out0 = f.rand(n), mu = f.rand(d), ls = f.rand(d, 0.5), gOut = f.rand(n);
            Tensor out = f.t(out0, n);
            be.dist().stdNormalLogProb(f.t(z, n, d), out);
            java.util.function.Function<double[], double[]> std = zz -> {
                double[] r = new double[n];
                for (int i = 0; i < n; i++) { double q = 0; for (int j = 0; j < d; j++) q += zz[i * d + j] * zz[i * d + j]; r[i] = -0.5 * q - 0.5 * d * Math.log(2 * Math.PI); }
                return r;
            };
            f.assertClose("stdNormalLogProb D=" + d, plus(out0, std.apply(dbl(z))), out, EW_ATOL, EW_RTOL);
            Tensor gz = f.poisoned(n, d);
            be.dist().stdNormalLogProbBackward(f.t(z, n, d), f.t(gOut, n), gz);
            f.assertClose("stdNormalLogProbBackward D=" + d, vjp(std, dbl(z), dbl(gOut)), gz, EW_ATOL, EW_RTOL);

            double[] md = dbl(mu), lsd = dbl(ls), zd = dbl(z);
            java.util.function.Function<double[][], double[]> diag = a -> {
                double[] r = new double[n];
                for (int i = 0; i < n; i++)
                    for (int j = 0; j < d; j++) {
                        double u = (a[0][i * d + j] - a[1][j]) / Math.exp(a[2][j]);
                        r[i] += -0.5 * u * u - a[2][j] - 0.5 * Math.log(2 * Math.PI);
                    }
                return r;
            };
            Tensor out2 = f.t(out0, n);
            be.dist().diagNormalLogProb(f.t(z, n, d), f.t(mu, d), f.t(ls, d), out2);
            f.assertClose("diagNormalLogProb D=" + d, plus(out0, diag.apply(new double[][] {zd, md, lsd})), out2, EW_ATOL, EW_RTOL);
            float[] gm0 = f.rand(d), gs0 = f.rand(d);
            Tensor gz2 = f.poisoned(n, d), gm = f.t(gm0, d), gs = f.t(gs0, d);
            be.dist().diagNormalLogProbBackward(f.t(z, n, d), f.t(mu, d), f.t(ls, d), f.t(gOut, n), gz2, gm, gs);
            double[] w = dbl(gOut);
            f.assertClose("diagNormalLogProbBackward gz D=" + d, vjp(v -> diag.apply(new double[][] {v, md, lsd}), zd.clone(), w), gz2, EW_ATOL, EW_RTOL);
            f.assertClose("diagNormalLogProbBackward gmu D=" + d, plus(gm0, vjp(v -> diag.apply(new double[][] {zd, v, lsd}), md.clone(), w)), gm, EW_ATOL, EW_RTOL);
            f.assertClose("diagNormalLogProbBackward glogSigma D=" + d, plus(gs0, vjp(v -> diag.apply(new double[][] {zd, md, v}), lsd.clone(), w)), gs, EW_ATOL, EW_RTOL);
        }
    }
}
