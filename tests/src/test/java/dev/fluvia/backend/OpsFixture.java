package dev.fluvia.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.tensor.Tensor;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * Shared helpers of the op tests: fresh random inputs (never zero), NaN-poisoned outputs, float64 references,
 * central differences, and the FLOWS.md tolerance check {@code |got − ref| ≤ atol + rtol·|ref|} (any NaN fails).
 */
final class OpsFixture {
    /** Element-wise and reduction ops (FLOWS.md). */
    static final double EW_ATOL = 1e-5, EW_RTOL = 1e-4;
    /** Ops with a matrix product inside (FLOWS.md). */
    static final double MM_ATOL = 1e-4, MM_RTOL = 1e-3;

    final CpuBackend be;
    final SplittableRandom rng;

    OpsFixture(CpuBackend be, long seed) {
        this.be = be;
        this.rng = new SplittableRandom(seed);
    }

    /** Uniform in ±[0.05, 1]·scale: random sign and magnitude, never zero. */
    float[] rand(int n, double scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            double m = 0.05 + 0.95 * rng.nextDouble();
            v[i] = (float) ((rng.nextBoolean() ? m : -m) * scale);
        }
        return v;
    }

    float[] rand(int n) { return rand(n, 1.0); }

    /** Uniform in [lo, hi) (positive quantities such as Adam's second moment). */
    float[] uniform(int n, double lo, double hi) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (lo + (hi - lo) * rng.nextDouble());
        return v;
    }

    Tensor t(float[] v, int... shape) { return be.fromHost(v, shape); }

    /** An output tensor filled with NaN, so every element the op does not write fails the comparison. */
    Tensor poisoned(int... shape) {
        Tensor t = be.alloc(shape);
        be.fill(t, Float.NaN);
        return t;
    }

    int[] randomSubset(int d, int k) {
        int[] p = permutation(d);
        int[] s = new int[k];
        System.arraycopy(p, 0, s, 0, k);
        return s;
    }

    int[] permutation(int d) {
        int[] p = new int[d];
        for (int i = 0; i < d; i++) p[i] = i;
        for (int i = d - 1; i > 0; i--) { int j = rng.nextInt(i + 1), x = p[i]; p[i] = p[j]; p[j] = x; }
        return p;
    }

    static double[] dbl(float[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) d[i] = v[i];
        return d;
    }

    static void assertClose(String what, double[] ref, float[] got, double atol, double rtol) {
        assertEquals(ref.length, got.length, what + ": length");
        for (int i = 0; i < ref.length; i++) {
            if (!Float.isFinite(got[i]) && Double.isFinite(ref[i])) fail(what + "[" + i + "] = " + got[i] + ", expected " + ref[i]);
            double err = Math.abs(got[i] - ref[i]);
            if (!(err <= atol + rtol * Math.abs(ref[i])))
                fail(what + "[" + i + "] = " + got[i] + ", expected " + ref[i] + " (error " + err + ")");
        }
    }

    void assertClose(String what, double[] ref, Tensor got, double atol, double rtol) {
        assertClose(what, ref, be.toHost(got), atol, rtol);
    }

    /** ref[i] = a[i] + b[i] (an accumulated output's expected value: its start plus the op's contribution). */
    static double[] plus(float[] a, double[] b) {
        double[] r = new double[b.length];
        for (int i = 0; i < b.length; i++) r[i] = a[i] + b[i];
        return r;
    }

    /**
     * Vector-Jacobian product by central differences in float64: ∂(Σ_i w_i·f(x)_i)/∂x at x. Used as the reference of every
     * backward op whose forward has a float64 reference (h = 1e-6 relative: truncation and rounding both far below 1e-7).
     */
    static double[] vjp(Function<double[], double[]> f, double[] x, double[] w) {
        double[] g = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            double old = x[i], h = 1e-6 * Math.max(1, Math.abs(old));
            x[i] = old + h; double[] up = f.apply(x);
            x[i] = old - h; double[] dn = f.apply(x);
            x[i] = old;
            double s = 0;
            for (int j = 0; j < w.length; j++) s += w[j] * (up[j] - dn[j]);
            g[i] = s / (2 * h);
        }
        return g;
    }

    static void assertBitIdentical(String what, float[] a, float[] b) {
        assertEquals(a.length, b.length, what + ": length");
        for (int i = 0; i < a.length; i++)
            if (Float.floatToRawIntBits(a[i]) != Float.floatToRawIntBits(b[i]))
                fail(what + "[" + i + "]: " + a[i] + " vs " + b[i] + " (not bit-identical)");
        assertTrue(a.length > 0);
    }
}
