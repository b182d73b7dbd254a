package dev.fluvia.oracle;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.fluvia.backend.Backend;
import dev.fluvia.backend.Scope;
import dev.fluvia.param.Param;
import dev.fluvia.tensor.Tensor;
import dev.fluvia.param.Stash;
import dev.fluvia.transforms.FactorOut;
import dev.fluvia.transforms.Transform;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Checks one layer against its float64 {@link TransformOracle} on fresh random inputs:
 * <ol type="a">
 *   <li>forward output and log-det match the oracle (the log-det is accumulated into a non-zero {@code ld});</li>
 *   <li>the oracle's log-det equals {@code log|det J|} of its own central-difference Jacobian, per sample;</li>
 *   <li>inverse output and inverse log-det match the oracle, and {@code x → y → x} round-trips;</li>
 *   <li>for {@code L = Σ c⊙y + Σ e⊙ld} (random c, e), the input gradient and every trainable parameter's gradient
 *       match central differences of the oracle;</li>
 *   <li>backward with an empty stash (recompute) equals backward after a storing forward.</li>
 * </ol>
 * Trainable parameters are first moved off their (identity) initialisation by a random jitter.
 *
 * <p>Layers that change the size of a sample ({@link Transform#outputShape()}) are checked on their output size; (b)
 * applies only where the sizes are equal and the layer is a bijection of the sample. A layer that factors part of its
 * input out ({@link FactorOut}, the multi-scale split, whose {@code ld} is the log-density of that part) runs
 * forward as {@link FactorOut#factor} and inverse as {@link FactorOut#merge} of that latent, and its oracle's {@code inverse} receives the output
 * followed by the factored-out values (flattened), as recorded by the layer's forward.
 *
 * <p>A central difference whose step crosses a kink of a piecewise-linear function (a ReLU conditioner) is off: a gradient
 * that misses at step h is compared again at h/4 and h/16 and passes if one matches (a real gradient error misses all
 * three); {@link Report#kinkRetries} counts the gradients that needed the smaller steps.
 */
public final class TransformCheck {
    /** Measured errors; {@code *Ratio} is the worst |got − ref| / tolerance (≤ 1 passes). */
    public record Report(String name, double forwardMaxAbs, double ldMaxAbs, double jacobianLdMaxAbs, double inverseMaxAbs,
                         double inverseLdMaxAbs, double roundTripMaxAbs, double gradRatio, double recomputeMaxAbs, int gradsChecked,
                         int kinkRetries) {
        @Override public String toString() {
            return String.format("%s: fwd %.2e, ld %.2e, jac-ld %.2e, inv %.2e, inv-ld %.2e, round-trip %.2e, grad err/tol %.2e (%d grads, %d at h/4 or h/16), recompute %.2e",
                    name, forwardMaxAbs, ldMaxAbs, jacobianLdMaxAbs, inverseMaxAbs, inverseLdMaxAbs, roundTripMaxAbs, gradRatio, gradsChecked,
                    kinkRetries, recomputeMaxAbs);
        }
    }

    private final Backend be;
    private final Transform t;
    private final TransformOracle oracle;
    private int batch = 5;
    private long seed = 1;
    private double jitter = 0.3, inputStd = 1.0;
    private boolean unitInput;
    private int paramSample;                           // 0: every entry of every trainable parameter
    private String label;
    private int kinkRetries;
    private double atol = 1e-5, rtol = 1e-4;          // FLOWS.md element-wise tolerance (float32 vs float64)
    private double gradAtol = 2e-5, gradRtol = 2e-4;   // gradients (float32 sums over the batch vs exact float64)

    private TransformCheck(Backend be, Transform t, TransformOracle oracle) {
        this.be = be;
        this.t = t;
        this.oracle = oracle;
    }

    public static TransformCheck of(Backend be, Transform t, TransformOracle oracle) { return new TransformCheck(be, t, oracle); }

    public TransformCheck batch(int n) { this.batch = n; return this; }
    public TransformCheck seed(long s) { this.seed = s; return this; }
    /** Half-width of the uniform jitter added to every trainable parameter before checking (0: leave them). */
    public TransformCheck jitter(double j) { this.jitter = j; return this; }
    public TransformCheck inputStd(double s) { this.inputStd = s; return this; }
    /** Inputs uniform in (0.05, 0.95) instead of Gaussian (layers defined on (0, 1), e.g. logit). */
    public TransformCheck unitInput() { this.unitInput = true; return this; }
    /** Checks the gradient of at most k random entries of each trainable parameter (every parameter is still covered). */
    public TransformCheck paramSample(int k) { this.paramSample = k; return this; }
    /** Name printed in the report and in failures (default: the layer's kind). */
    public TransformCheck label(String l) { this.label = l; return this; }

    private String name() { return label != null ? label : t.kind(); }
    public TransformCheck valueTolerance(double a, double r) { this.atol = a; this.rtol = r; return this; }
    public TransformCheck gradTolerance(double a, double r) { this.gradAtol = a; this.gradRtol = r; return this; }

    private static double gaussian(SplittableRandom r) {
        double u1 = Math.max(r.nextDouble(), 1e-300), u2 = r.nextDouble();
        return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }

    /** A Gaussian draw kept away from zero (|v| ≥ 0.05) so that no element is accidentally trivial. */
    private static double nonZero(SplittableRandom r, double std) {
        double v = gaussian(r) * std;
        return Math.abs(v) < 0.05 * std ? Math.copySign(0.05 * std, v == 0 ? 1 : v) + v : v;
    }

    private Map<String, double[]> paramValues() {
        Map<String, double[]> m = new HashMap<>();
        for (Param p : t.params()) {
            float[] v = be.toHost(p.value());
            double[] d = new double[v.length];
            for (int i = 0; i < v.length; i++) d[i] = v[i];
            m.put(p.name(), d);
        }
        return m;
    }

    private static double[] row(float[] a, int n, int size) {
        double[] r = new double[size];
        for (int i = 0; i < size; i++) r[i] = a[n * size + i];
        return r;
    }

    private boolean within(double got, double ref, double a, double r) { return Math.abs(got - ref) <= a + r * Math.abs(ref); }

    private double compare(String what, double got, double ref, double a, double r) {
        if (Double.isNaN(got) || !within(got, ref, a, r))
            fail(name() + ": " + what + ": got " + got + ", expected " + ref + " (tolerance " + a + " + " + r + "·|ref|)");
        return Math.abs(got - ref);
    }

    /** Loss of the oracle for the whole batch: Σ_n Σ_d c_nd·y_nd + Σ_n e_n·ld_n. */
    private double oracleLoss(double[][] xs, Map<String, double[]> p, double[][] c, double[] e) {
        double s = 0;
        for (int n = 0; n < xs.length; n++) s += sampleLoss(xs[n], p, c[n], e[n]);
        return s;
    }

    private double sampleLoss(double[] x, Map<String, double[]> p, double[] c, double e) {
        TransformOracle.Out o = oracle.forward(x, p);
        double s = e * o.ld();
        for (int d = 0; d < c.length; d++) s += c[d] * o.v()[d];
        return s;
    }

    private static double[] concat(double[] a, double[] b) {
        double[] r = new double[a.length + b.length];
        System.arraycopy(a, 0, r, 0, a.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    public Report run() {
        SplittableRandom rng = new SplittableRandom(seed);
        int[] event = t.eventShape();
        int size = 1, outSize = 1;
        for (int v : event) size *= v;
        for (int v : t.outputShape()) outSize *= v;
        int[] outShape = new int[t.outputShape().length + 1];
        outShape[0] = batch;
        System.arraycopy(t.outputShape(), 0, outShape, 1, outShape.length - 1);
        boolean bijection = outSize == size && !(t instanceof FactorOut);
        kinkRetries = 0;
        int[] shape = new int[event.length + 1];
        shape[0] = batch;
        System.arraycopy(event, 0, shape, 1, event.length);

        // move trainable parameters off their initialisation
        for (Param p : t.params()) {
            if (!p.trainable() || jitter == 0) continue;
            float[] v = be.toHost(p.value());
            for (int i = 0; i < v.length; i++) v[i] += (float) ((rng.nextDouble() * 2 - 1) * jitter);
            be.upload(v, p.value());
        }
        Map<String, double[]> params = paramValues();

        float[] xh = new float[batch * size], ld0 = new float[batch], ch = new float[batch * outSize], eh = new float[batch];
        for (int i = 0; i < xh.length; i++) xh[i] = unitInput ? (float) (0.05 + 0.9 * rng.nextDouble()) : (float) nonZero(rng, inputStd);
        for (int i = 0; i < ld0.length; i++) ld0[i] = (float) nonZero(rng, 1);
        for (int i = 0; i < ch.length; i++) ch[i] = (float) nonZero(rng, 1);
        for (int i = 0; i < eh.length; i++) eh[i] = (float) nonZero(rng, 1);
        double[][] xs = new double[batch][], cs = new double[batch][];
        for (int n = 0; n < batch; n++) { xs[n] = row(xh, n, size); cs[n] = row(ch, n, outSize); }
        double[] es = new double[batch];
        for (int n = 0; n < batch; n++) es[n] = eh[n];

        try (Scope scope = be.scope()) {
            Tensor x = be.fromHost(xh, shape);
            // (a) forward against the oracle; ld is accumulated into a non-zero start
            Tensor ld = be.fromHost(ld0, batch);
            FactorOut.Factored fo = t instanceof FactorOut f ? f.factor(x, ld, Stash.none()) : null;
            Tensor y = fo != null ? fo.kept() : t.forward(x, ld, Stash.none());
            float[] yh = be.toHost(y), ldh = be.toHost(ld);
            float[] zh = fo == null ? null : be.toHost(fo.latent());
            int zSize = size - outSize;
            double fwdErr = 0, ldErr = 0, jacErr = 0;
            for (int n = 0; n < batch; n++) {
                TransformOracle.Out ref = oracle.forward(xs[n], params);
                for (int d = 0; d < outSize; d++) fwdErr = Math.max(fwdErr, compare("forward y[" + n + "," + d + "]", yh[n * outSize + d], ref.v()[d], atol, rtol));
                ldErr = Math.max(ldErr, compare("forward ld[" + n + "]", ldh[n] - (double) ld0[n], ref.ld(), atol, rtol));
                if (!bijection) continue;
                // (b) the oracle's log-det against log|det| of its own central-difference Jacobian
                double jac = Dense.logAbsDet(jacobian(xs[n], params, size), size);
                jacErr = Math.max(jacErr, compare("oracle ld vs log|det J| (sample " + n + ")", ref.ld(), jac, 1e-6, 1e-6));
            }

            // (c) inverse of the layer's own output
            Tensor ldInv = be.fromHost(ld0, batch);
            Tensor xr = t instanceof FactorOut f ? f.merge(y, fo.latent(), ldInv) : t.inverse(y, ldInv);
            float[] xrh = be.toHost(xr), ldih = be.toHost(ldInv);
            double invErr = 0, invLdErr = 0, rt = 0;
            for (int n = 0; n < batch; n++) {
                double[] yn = row(yh, n, outSize);
                TransformOracle.Out ref = oracle.inverse(zh == null ? yn : concat(yn, row(zh, n, zSize)), params);
                for (int d = 0; d < size; d++) {
                    invErr = Math.max(invErr, compare("inverse x[" + n + "," + d + "]", xrh[n * size + d], ref.v()[d], atol, rtol));
                    rt = Math.max(rt, Math.abs(xrh[n * size + d] - xh[n * size + d]));
                    compare("round trip x[" + n + "," + d + "]", xrh[n * size + d], xh[n * size + d], 10 * atol, 10 * rtol);
                }
                invLdErr = Math.max(invLdErr, compare("inverse ld[" + n + "]", ldih[n] - (double) ld0[n], ref.ld(), atol, rtol));
                compare("inverse ld = −forward ld [" + n + "]", ldih[n] - (double) ld0[n], -(ldh[n] - (double) ld0[n]), 10 * atol, 10 * rtol);
            }

            // (d) gradients of L = Σ c·y + Σ e·ld after a storing forward
            Tensor c = be.fromHost(ch, outShape), e = be.fromHost(eh, batch);
            zeroGrads();
            Stash stash = new Stash(true);
            t.forward(x, be.alloc(batch), stash);
            float[] gx = be.toHost(t.backward(x, c, e, stash));
            List<float[]> grads = grads();

            double ratio = 0;
            int checked = 0;
            for (int n = 0; n < batch; n++)
                for (int d = 0; d < size; d++) {
                    final int nn = n, dd = d;
                    ratio = Math.max(ratio, gradCheck("∂L/∂x[" + n + "," + d + "]", gx[n * size + d], step -> {
                        double[] xp = xs[nn].clone(), xm = xs[nn].clone();
                        xp[dd] += step; xm[dd] -= step;
                        return (sampleLoss(xp, params, cs[nn], es[nn]) - sampleLoss(xm, params, cs[nn], es[nn])) / (2 * step);
                    }));
                    checked++;
                }
            List<Param> ps = t.params();
            for (int k = 0; k < ps.size(); k++) {
                Param p = ps.get(k);
                if (!p.trainable()) continue;
                double[] v = params.get(p.name());
                for (int i : entries(v.length, rng)) {
                    ratio = Math.max(ratio, gradCheck("∂L/∂" + p.name() + "[" + i + "]", grads.get(k)[i], step -> {
                        double old = v[i];
                        v[i] = old + step; double up = oracleLoss(xs, params, cs, es);
                        v[i] = old - step; double dn = oracleLoss(xs, params, cs, es);
                        v[i] = old;
                        return (up - dn) / (2 * step);
                    }));
                    checked++;
                }
            }

            // (e) recompute (empty stash) against stored
            zeroGrads();
            float[] gx2 = be.toHost(t.backward(x, c, e, Stash.none()));
            List<float[]> grads2 = grads();
            double rec = 0;
            for (int i = 0; i < gx.length; i++) rec = Math.max(rec, compare("recompute gx[" + i + "]", gx2[i], gx[i], 1e-6, 1e-6));
            for (int k = 0; k < grads.size(); k++) {
                if (grads.get(k) == null) continue;
                for (int i = 0; i < grads.get(k).length; i++)
                    rec = Math.max(rec, compare("recompute ∂L/∂" + ps.get(k).name() + "[" + i + "]", grads2.get(k)[i], grads.get(k)[i], 1e-6, 1e-6));
            }
            assertTrue(checked >= size, "checked too few gradients");
            Report r = new Report(name(), fwdErr, ldErr, jacErr, invErr, invLdErr, rt, ratio, rec, checked, kinkRetries);
            System.out.println("[TransformCheck] " + r);
            return r;
        }
    }

    /** Indices of the entries of a parameter of length n to check: all, or {@link #paramSample} distinct random ones. */
    private int[] entries(int n, SplittableRandom rng) {
        if (paramSample <= 0 || n <= paramSample) {
            int[] all = new int[n];
            for (int i = 0; i < n; i++) all[i] = i;
            return all;
        }
        int[] perm = new int[n];
        for (int i = 0; i < n; i++) perm[i] = i;
        for (int i = 0; i < paramSample; i++) { int j = i + rng.nextInt(n - i); int s = perm[i]; perm[i] = perm[j]; perm[j] = s; }
        return java.util.Arrays.copyOf(perm, paramSample);
    }

    /** Central difference of the oracle's loss with a given step. */
    private interface Difference { double at(double step); }

    /** got against the central difference at h = 1e-6, else at h/4 or h/16 (a kink of a ReLU between x ± h). */
    private double gradCheck(String what, double got, Difference fd) {
        double h = 1e-6, best = Double.POSITIVE_INFINITY;
        StringBuilder seen = new StringBuilder();
        for (int k = 0; k < 3; k++, h /= 4) {
            double ref = fd.at(h), tol = gradAtol + gradRtol * Math.abs(ref), err = Math.abs(got - ref);
            if (err <= tol) {
                if (k > 0) kinkRetries++;
                return err / tol;
            }
            best = Math.min(best, err / tol);
            seen.append(k == 0 ? "" : ", ").append(ref);
        }
        fail(name() + ": " + what + ": got " + got + ", central differences at h, h/4, h/16: " + seen + " (best err/tol " + best + ")");
        return best;
    }

    private double[] jacobian(double[] x, Map<String, double[]> p, int size) {
        double[] j = new double[size * size];
        double h = 1e-5;
        for (int d = 0; d < size; d++) {
            double[] xp = x.clone(), xm = x.clone();
            xp[d] += h; xm[d] -= h;
            double[] yp = oracle.forward(xp, p).v(), ym = oracle.forward(xm, p).v();
            for (int i = 0; i < size; i++) j[i * size + d] = (yp[i] - ym[i]) / (2 * h);
        }
        return j;
    }

    private void zeroGrads() {
        for (Param p : t.params()) if (p.grad() != null) be.fill(p.grad(), 0f);
    }

    private List<float[]> grads() {
        List<float[]> g = new ArrayList<>();
        for (Param p : t.params()) g.add(p.grad() == null ? null : be.toHost(p.grad()));
        return g;
    }

}
