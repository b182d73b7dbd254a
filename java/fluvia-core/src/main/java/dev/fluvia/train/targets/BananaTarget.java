package dev.fluvia.train.targets;

/**
 * A banana: x₁ ~ N(0, 2²), x₂ | x₁ ~ N(x₁²/4 − 1, ½²), unnormalised as
 * {@code log p̃ = −x₁²/8 − 2(x₂ − x₁²/4 + 1)²}; {@code Z = √(8π)·√(π/2) = 2π} exactly.
 */
final class BananaTarget implements Target {
    @Override public String name() { return "banana"; }
    @Override public int dim() { return 2; }
    @Override public double exactLogZ() { return Math.log(2 * Math.PI); }
    @Override public double[] view() { return new double[] {-8, 8, -3, 13}; }

    @Override public void logDensity(double[] x, int n, double[] logp, double[] grad) {
        for (int s = 0; s < n; s++) {
            double a = x[2 * s], u = x[2 * s + 1] - a * a / 4 + 1;
            logp[s] = -a * a / 8 - 2 * u * u;
            if (grad != null) {
                grad[2 * s] = -a / 4 + 4 * u * (a / 2);
                grad[2 * s + 1] = -4 * u;
            }
        }
    }
}
