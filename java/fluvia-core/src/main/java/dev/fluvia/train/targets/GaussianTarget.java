package dev.fluvia.train.targets;

/**
 * {@code gauss:D}, the correctness check of reverse-KL fitting: a correlated Gaussian N(μ, LLᵀ) with
 * {@code μ_i = 0.5·((i mod 3) − 1)}, L lower-bidiagonal with {@code L_ii = 0.6 + 0.8·i/max(D−1, 1)} and
 * {@code L_{i,i−1} = 0.4}, unnormalised as {@code log p̃ = −½‖L⁻¹(x − μ)‖²}, so
 * {@code log Z = (D/2)·log 2π + Σ_i log L_ii} exactly.
 */
final class GaussianTarget implements Target {
    private final int d;
    private final double[] mu, diag;
    private static final double OFF = 0.4;

    GaussianTarget(int d) {
        this.d = d;
        mu = new double[d];
        diag = new double[d];
        for (int i = 0; i < d; i++) {
            mu[i] = 0.5 * ((i % 3) - 1);
            diag[i] = 0.6 + 0.8 * i / Math.max(d - 1, 1);
        }
    }

    @Override public String name() { return "gauss:" + d; }
    @Override public int dim() { return d; }

    @Override public double exactLogZ() {
        double s = 0.5 * d * Math.log(2 * Math.PI);
        for (double l : diag) s += Math.log(l);
        return s;
    }

    @Override public double[] view() { return new double[] {-7, 7, -7, 7}; }

    @Override public void logDensity(double[] x, int n, double[] logp, double[] grad) {
        double[] y = new double[d], g = new double[d];
        for (int s = 0; s < n; s++) {
            // forward substitution L y = x − μ
            double q = 0;
            for (int i = 0; i < d; i++) {
                double r = x[s * d + i] - mu[i] - (i > 0 ? OFF * y[i - 1] : 0);
                y[i] = r / diag[i];
                q += y[i] * y[i];
            }
            logp[s] = -0.5 * q;
            if (grad == null) continue;
            // ∇ = −L⁻ᵀ y: back substitution Lᵀ g = y
            for (int i = d - 1; i >= 0; i--) g[i] = (y[i] - (i < d - 1 ? OFF * g[i + 1] : 0)) / diag[i];
            for (int i = 0; i < d; i++) grad[s * d + i] = -g[i];
        }
    }
}
