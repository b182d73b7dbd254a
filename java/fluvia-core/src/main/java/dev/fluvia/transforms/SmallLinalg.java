package dev.fluvia.transforms;

import java.util.SplittableRandom;

/**
 * Host-side float64 linear algebra on small {@code C×C} matrices (row-major {@code double[C*C]}), used by the
 * invertible linear layers for their one-off work: a random orthogonal initialisation (QR), the PLU factorisation
 * with partial pivoting, {@code log|det W|}, and {@code W⁻ᵀ} for the gradient of {@code log|det W|}.
 * Never used on batch data; that goes through backend ops.
 */
public final class SmallLinalg {
    private SmallLinalg() {}

    /**
     * {@code W = P·L·U} in the convention of {@code Backend.luAssemble}: {@code W[i, :] = (L·U)[perm[i], :]},
     * {@code lower} unit lower-triangular (diagonal stored as 1), {@code upper} upper-triangular with its diagonal.
     */
    public record Plu(int[] perm, double[] lower, double[] upper, int c) {
        /** Diagonal entry {@code U_ii}. */
        public double diag(int i) { return upper[i * c + i]; }
    }

    /** Standard normal draw by Box–Muller (same numbers on every JVM for a seed). */
    public static double gaussian(SplittableRandom r) {
        double u1 = r.nextDouble(), u2 = r.nextDouble();
        if (u1 < 1e-300) u1 = 1e-300;
        return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }

    /**
     * A random orthogonal {@code C×C} matrix: the Q factor of a seeded Gaussian matrix by Householder QR, with the
     * signs fixed so that R has a positive diagonal (which makes Q Haar-distributed).
     */
    public static double[] randomOrthogonal(int c, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        double[] a = new double[c * c];
        for (int i = 0; i < a.length; i++) a[i] = gaussian(rng);
        // Householder: reduce a to R in place, accumulate Q = H_0 H_1 ... H_{c-2}
        double[] q = identity(c);
        double[] v = new double[c];
        for (int k = 0; k < c - 1; k++) {
            double norm = 0;
            for (int i = k; i < c; i++) norm += a[i * c + k] * a[i * c + k];
            norm = Math.sqrt(norm);
            if (norm == 0) continue;
            double alpha = a[k * c + k] > 0 ? -norm : norm;
            double vv = 0;
            for (int i = 0; i < c; i++) v[i] = i < k ? 0 : a[i * c + k];
            v[k] -= alpha;
            for (int i = k; i < c; i++) vv += v[i] * v[i];
            if (vv == 0) continue;
            // a ← (I − 2vvᵀ/vᵀv)·a
            for (int j = 0; j < c; j++) {
                double s = 0;
                for (int i = k; i < c; i++) s += v[i] * a[i * c + j];
                s = 2 * s / vv;
                for (int i = k; i < c; i++) a[i * c + j] -= s * v[i];
            }
            // q ← q·(I − 2vvᵀ/vᵀv)
            for (int i = 0; i < c; i++) {
                double s = 0;
                for (int j = k; j < c; j++) s += q[i * c + j] * v[j];
                s = 2 * s / vv;
                for (int j = k; j < c; j++) q[i * c + j] -= s * v[j];
            }
        }
        // sign fix: Q·diag(sign R_kk)
        for (int k = 0; k < c; k++)
            if (a[k * c + k] < 0) for (int i = 0; i < c; i++) q[i * c + k] = -q[i * c + k];
        return q;
    }

    public static double[] identity(int c) {
        double[] m = new double[c * c];
        for (int i = 0; i < c; i++) m[i * c + i] = 1;
        return m;
    }

    /**
     * PLU factorisation with partial pivoting (largest pivot in the column).
     * @throws InvalidParameterException when W has a non-finite entry or is singular (a zero pivot)
     */
    public static Plu plu(double[] w, int c) {
        for (int i = 0; i < w.length; i++)
            if (!Double.isFinite(w[i])) throw new InvalidParameterException("PLU factorisation: matrix element " + i + " is " + w[i]);
        double[] a = w.clone();
        int[] piv = new int[c]; // row k of the factored matrix is row piv[k] of w
        for (int i = 0; i < c; i++) piv[i] = i;
        for (int k = 0; k < c; k++) {
            int p = k;
            for (int i = k + 1; i < c; i++) if (Math.abs(a[i * c + k]) > Math.abs(a[p * c + k])) p = i;
            if (a[p * c + k] == 0) throw new InvalidParameterException("PLU factorisation: the " + c + "x" + c + " matrix is singular (zero pivot in column " + k + ")");
            if (p != k) {
                for (int j = 0; j < c; j++) { double t = a[k * c + j]; a[k * c + j] = a[p * c + j]; a[p * c + j] = t; }
                int t = piv[k]; piv[k] = piv[p]; piv[p] = t;
            }
            for (int i = k + 1; i < c; i++) {
                double f = a[i * c + k] / a[k * c + k];
                a[i * c + k] = f;
                for (int j = k + 1; j < c; j++) a[i * c + j] -= f * a[k * c + j];
            }
        }
        double[] l = new double[c * c], u = new double[c * c];
        for (int i = 0; i < c; i++)
            for (int j = 0; j < c; j++) {
                if (i > j) l[i * c + j] = a[i * c + j];
                else { u[i * c + j] = a[i * c + j]; if (i == j) l[i * c + j] = 1; }
            }
        // (L·U)[k, :] = w[piv[k], :]  ⇒  w[i, :] = (L·U)[perm[i], :] with perm = piv⁻¹
        int[] perm = new int[c];
        for (int k = 0; k < c; k++) perm[piv[k]] = k;
        return new Plu(perm, l, u, c);
    }

    /** {@code log|det W|} from its PLU factors. */
    public static double logAbsDet(Plu f) {
        double s = 0;
        for (int i = 0; i < f.c(); i++) s += Math.log(Math.abs(f.diag(i)));
        return s;
    }

    /** {@code W⁻ᵀ} from the PLU factors of W (column by column triangular solves; small C only). */
    public static double[] inverseTranspose(Plu f) {
        int c = f.c();
        double[] l = f.lower(), u = f.upper();
        int[] perm = f.perm();
        double[] out = new double[c * c], v = new double[c];
        for (int col = 0; col < c; col++) {
            // solve W x = e_col:  L U x = Pᵀ e_col, (Pᵀ e)[perm[i]] = e[i]
            java.util.Arrays.fill(v, 0);
            v[perm[col]] = 1;
            for (int i = 0; i < c; i++) { double s = v[i]; for (int q = 0; q < i; q++) s -= l[i * c + q] * v[q]; v[i] = s; }
            for (int i = c - 1; i >= 0; i--) { double s = v[i]; for (int q = i + 1; q < c; q++) s -= u[i * c + q] * v[q]; v[i] = s / u[i * c + i]; }
            // x is column col of W⁻¹, i.e. row col of W⁻ᵀ
            for (int i = 0; i < c; i++) out[col * c + i] = v[i];
        }
        return out;
    }

    public static float[] toFloat(double[] a) {
        float[] f = new float[a.length];
        for (int i = 0; i < a.length; i++) f[i] = (float) a[i];
        return f;
    }

    public static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) d[i] = a[i];
        return d;
    }
}
