package dev.fluvia.oracle;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.fluvia.backend.Backend;
import dev.fluvia.backend.Scope;
import dev.fluvia.param.Param;
import dev.fluvia.tensor.Tensor;
import dev.fluvia.train.ImplicitInverseBackward;
import dev.fluvia.transforms.InverseBackward;
import dev.fluvia.transforms.Transform;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Checks a layer's generative direction (inverse, y → x), the one reverse-KL training differentiates, against its float64
 * {@link TransformOracle#inverse}:
 * <ol type="a">
 *   <li>inverse output and ld⁻¹ (accumulated into a non-zero start) match the oracle;</li>
 *   <li>the oracle's ld⁻¹ equals log|det| of its own central-difference Jacobian;</li>
 *   <li>for {@code L = Σ c⊙x + Σ e⊙ld⁻¹} the gradient with respect to y and to every trainable parameter, from the layer's
 *       {@link InverseBackward} (or {@link ImplicitInverseBackward} for a layer without it), matches central differences
 *       of the oracle.</li>
 * </ol>
 */
public final class GenerativeCheck {
    public record Report(String name, double inverseMaxAbs, double ldMaxAbs, double jacobianLdMaxAbs, double gradRatio, int gradsChecked) {}

    private final Backend be;
    private final Transform t;
    private final TransformOracle oracle;
    private int batch = 5;
    private long seed = 1;
    private double jitter = 0.3, inputStd = 1.0;
    private double gradAtol = 2e-5, gradRtol = 2e-4;
    private boolean unitInput, forceImplicit;

    private GenerativeCheck(Backend be, Transform t, TransformOracle oracle) { this.be = be; this.t = t; this.oracle = oracle; }

    public static GenerativeCheck of(Backend be, Transform t, TransformOracle oracle) { return new GenerativeCheck(be, t, oracle); }
    public GenerativeCheck seed(long s) { seed = s; return this; }
    public GenerativeCheck jitter(double j) { jitter = j; return this; }
    public GenerativeCheck inputStd(double s) { inputStd = s; return this; }
    public GenerativeCheck batch(int n) { batch = n; return this; }
    public GenerativeCheck gradTolerance(double a, double r) { gradAtol = a; gradRtol = r; return this; }
    /** Latent-side inputs uniform in (0.05, 0.95) (layers whose inverse is defined on (0, 1)). */
    public GenerativeCheck unitInput() { unitInput = true; return this; }
    /** Differentiates through {@link ImplicitInverseBackward} even when the layer has a closed-form {@link InverseBackward}. */
    public GenerativeCheck forceImplicit() { forceImplicit = true; return this; }

    private static double gaussian(SplittableRandom r) {
        double u1 = Math.max(r.nextDouble(), 1e-300), u2 = r.nextDouble();
        return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }

    private static void close(String what, double got, double ref, double a, double r) {
        if (!(Math.abs(got - ref) <= a + r * Math.abs(ref))) fail(what + ": got " + got + ", expected " + ref);
    }

    private double loss(double[][] ys, Map<String, double[]> p, double[][] c, double[] e) {
        double s = 0;
        for (int n = 0; n < ys.length; n++) {
            TransformOracle.Out o = oracle.inverse(ys[n], p);
            s += e[n] * o.ld();
            for (int d = 0; d < o.v().length; d++) s += c[n][d] * o.v()[d];
        }
        return s;
    }

    public Report run() {
        SplittableRandom rng = new SplittableRandom(seed);
        int d = t.eventShape()[0];
        for (Param p : t.params()) {
            if (!p.trainable() || jitter == 0) continue;
            float[] v = be.toHost(p.value());
            for (int i = 0; i < v.length; i++) v[i] += (float) ((rng.nextDouble() * 2 - 1) * jitter);
            be.upload(v, p.value());
        }
        Map<String, double[]> params = new HashMap<>();
        for (Param p : t.params()) params.put(p.name(), MafOracle.toDouble(be.toHost(p.value())));
        float[] yh = new float[batch * d], ld0 = new float[batch], ch = new float[batch * d], eh = new float[batch];
        for (int i = 0; i < yh.length; i++) yh[i] = unitInput ? (float) (0.05 + 0.9 * rng.nextDouble()) : (float) (inputStd * gaussian(rng));
        for (int i = 0; i < batch; i++) { ld0[i] = (float) gaussian(rng); eh[i] = (float) gaussian(rng); }
        for (int i = 0; i < ch.length; i++) ch[i] = (float) gaussian(rng);
        double[][] ys = new double[batch][d], cs = new double[batch][d];
        double[] es = new double[batch];
        for (int n = 0; n < batch; n++) {
            es[n] = eh[n];
            for (int i = 0; i < d; i++) { ys[n][i] = yh[n * d + i]; cs[n][i] = ch[n * d + i]; }
        }
        try (Scope s = be.scope()) {
            Tensor y = be.fromHost(yh, batch, d), ld = be.fromHost(ld0, batch);
            Tensor x = t.inverse(y, ld);
            float[] xh = be.toHost(x), ldh = be.toHost(ld);
            double invErr = 0, ldErr = 0, jacErr = 0;
            for (int n = 0; n < batch; n++) {
                TransformOracle.Out ref = oracle.inverse(ys[n], params);
                for (int i = 0; i < d; i++) {
                    close(t.kind() + " inverse x[" + n + "," + i + "]", xh[n * d + i], ref.v()[i], 1e-5, 1e-4);
                    invErr = Math.max(invErr, Math.abs(xh[n * d + i] - ref.v()[i]));
                }
                close(t.kind() + " ld⁻¹[" + n + "]", ldh[n] - (double) ld0[n], ref.ld(), 1e-5, 1e-4);
                ldErr = Math.max(ldErr, Math.abs(ldh[n] - (double) ld0[n] - ref.ld()));
                final int nn = n;
                double[][] jac = MafOracle.jacobian(v -> oracle.inverse(v, params).v(), ys[nn], 1e-5);
                double jl = MafOracle.logAbsDet(jac);
                close(t.kind() + " oracle ld⁻¹ vs log|det J| [" + n + "]", ref.ld(), jl, 1e-6, 1e-6);
                jacErr = Math.max(jacErr, Math.abs(ref.ld() - jl));
            }
            for (Param p : t.params()) if (p.grad() != null) be.fill(p.grad(), 0f);
            Tensor c = be.fromHost(ch, batch, d), e = be.fromHost(eh, batch);
            float[] gy = be.toHost(!forceImplicit && t instanceof InverseBackward ib ? ib.inverseBackward(y, x, c, e)
                                                                   : ImplicitInverseBackward.backward(be, t, x, c, e));
            double ratio = 0;
            int checked = 0;
            for (int n = 0; n < batch; n++)
                for (int i = 0; i < d; i++) {
                    final int nn = n, ii = i;
                    ratio = Math.max(ratio, grad(t.kind() + " ∂L/∂y[" + n + "," + i + "]", gy[n * d + i], h -> {
                        double[][] yp = ys.clone(), ym = ys.clone();
                        yp[nn] = ys[nn].clone(); ym[nn] = ys[nn].clone();
                        yp[nn][ii] += h; ym[nn][ii] -= h;
                        return (loss(yp, params, cs, es) - loss(ym, params, cs, es)) / (2 * h);
                    }));
                    checked++;
                }
            List<Param> ps = t.params();
            for (Param p : ps) {
                if (!p.trainable()) continue;
                float[] g = be.toHost(p.grad());
                double[] v = params.get(p.name());
                for (int i = 0; i < v.length; i++) {
                    final int ii = i;
                    ratio = Math.max(ratio, grad(t.kind() + " ∂L/∂" + p.name() + "[" + i + "]", g[i], h -> {
                        double old = v[ii];
                        v[ii] = old + h; double up = loss(ys, params, cs, es);
                        v[ii] = old - h; double dn = loss(ys, params, cs, es);
                        v[ii] = old;
                        return (up - dn) / (2 * h);
                    }));
                    checked++;
                }
            }
            assertTrue(checked >= batch * d, "too few gradients checked");
            Report r = new Report(t.kind(), invErr, ldErr, jacErr, ratio, checked);
            System.out.println("[GenerativeCheck] " + r);
            return r;
        }
    }

    private interface Fd { double at(double h); }

    private double grad(String what, double got, Fd fd) {
        double h = 1e-6, best = Double.POSITIVE_INFINITY;
        for (int k = 0; k < 3; k++, h /= 4) {
            double ref = fd.at(h), tol = gradAtol + gradRtol * Math.abs(ref), err = Math.abs(got - ref);
            if (err <= tol) return err / tol;
            best = Math.min(best, err / tol);
            if (k == 2) fail(what + ": got " + got + ", central difference " + ref + " (err/tol " + best + ")");
        }
        return best;
    }
}
