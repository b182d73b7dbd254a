package dev.fluvia.oracle;

/** Test-only float64 dense linear algebra on row-major {@code n×n} arrays, written independently of the library. */
public final class Dense {
    private Dense() {}

    /** y = A x. */
    public static double[] matVec(double[] a, double[] x, int rows, int cols) {
        double[] y = new double[rows];
        for (int i = 0; i < rows; i++) { double s = 0; for (int j = 0; j < cols; j++) s += a[i * cols + j] * x[j]; y[i] = s; }
        return y;
    }

    /** C = A B for n×n matrices. */
    public static double[] matMul(double[] a, double[] b, int n) {
        double[] c = new double[n * n];
        for (int i = 0; i < n; i++) for (int k = 0; k < n; k++) for (int j = 0; j < n; j++) c[i * n + j] += a[i * n + k] * b[k * n + j];
        return c;
    }

    public static double[] transpose(double[] a, int n) {
        double[] t = new double[n * n];
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) t[j * n + i] = a[i * n + j];
        return t;
    }

    /** log|det A| by Gaussian elimination with complete row pivoting. */
    public static double logAbsDet(double[] a0, int n) {
        double[] a = a0.clone();
        double s = 0;
        for (int k = 0; k < n; k++) {
            int p = k;
            for (int i = k + 1; i < n; i++) if (Math.abs(a[i * n + k]) > Math.abs(a[p * n + k])) p = i;
            for (int j = 0; j < n; j++) { double t = a[k * n + j]; a[k * n + j] = a[p * n + j]; a[p * n + j] = t; }
            double piv = a[k * n + k];
            s += Math.log(Math.abs(piv));
            for (int i = k + 1; i < n; i++) {
                double f = a[i * n + k] / piv;
                for (int j = k; j < n; j++) a[i * n + j] -= f * a[k * n + j];
            }
        }
        return s;
    }

    /** Solves A x = b by Gauss–Jordan elimination with partial pivoting. */
    public static double[] solve(double[] a0, double[] b0, int n) {
        double[] a = a0.clone(), b = b0.clone();
        for (int k = 0; k < n; k++) {
            int p = k;
            for (int i = k + 1; i < n; i++) if (Math.abs(a[i * n + k]) > Math.abs(a[p * n + k])) p = i;
            for (int j = 0; j < n; j++) { double t = a[k * n + j]; a[k * n + j] = a[p * n + j]; a[p * n + j] = t; }
            double t = b[k]; b[k] = b[p]; b[p] = t;
            for (int i = 0; i < n; i++) {
                if (i == k) continue;
                double f = a[i * n + k] / a[k * n + k];
                for (int j = k; j < n; j++) a[i * n + j] -= f * a[k * n + j];
                b[i] -= f * b[k];
            }
        }
        for (int i = 0; i < n; i++) b[i] /= a[i * n + i];
        return b;
    }
}
