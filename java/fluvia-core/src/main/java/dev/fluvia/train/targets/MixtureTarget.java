package dev.fluvia.train.targets;

/**
 * Four isotropic Gaussians of std 0.6 at (±1.5, ±1.5), unnormalised as {@code log p̃ = log Σ_k exp(−‖x − μ_k‖²/(2·0.36))};
 * {@code Z = 4·2π·0.36} exactly. Reverse KL is mode-seeking: a flow that misses modes reports a log Z estimate below it.
 */
final class MixtureTarget implements Target {
    private static final double S2 = 0.36;
    private static final double[][] MU = {{1.5, 1.5}, {-1.5, 1.5}, {-1.5, -1.5}, {1.5, -1.5}};

    @Override public String name() { return "mixture"; }
    @Override public int dim() { return 2; }
    @Override public double exactLogZ() { return Math.log(4 * 2 * Math.PI * S2); }

    @Override public void logDensity(double[] x, int n, double[] logp, double[] grad) {
        double[] a = new double[MU.length];
        for (int s = 0; s < n; s++) {
            double m = Double.NEGATIVE_INFINITY;
            for (int k = 0; k < MU.length; k++) {
                double d1 = x[2 * s] - MU[k][0], d2 = x[2 * s + 1] - MU[k][1];
                a[k] = -(d1 * d1 + d2 * d2) / (2 * S2);
                m = Math.max(m, a[k]);
            }
            double sum = 0, g1 = 0, g2 = 0;
            for (int k = 0; k < MU.length; k++) {
                double w = Math.exp(a[k] - m);
                sum += w;
                g1 += w * -(x[2 * s] - MU[k][0]) / S2;
                g2 += w * -(x[2 * s + 1] - MU[k][1]) / S2;
            }
            logp[s] = m + Math.log(sum);
            if (grad != null) {
                grad[2 * s] = g1 / sum;
                grad[2 * s + 1] = g2 / sum;
            }
        }
    }
}
