package dev.fluvia.transforms;

/**
 * The standard normal CDF in float64 with its logarithm stable far into the tails: the host reference of the log Φ that the
 * mixture-CDF flow's backend ops evaluate ({@code CpuPointwise}, {@code kernels/pointwise.cu}: the same series and continued
 * fraction, both signs from one evaluation); {@code MixCdfTest} holds the two together and this one to asymptotics:
 * {@code Φ(t) = ½·erfc(−t/√2)}; erfc by its Taylor series of erf for |x| ≤ 2 and by its continued fraction
 * {@code erfc(x) = e^{−x²}/√π · 1/(x + ½/(x + 1/(x + 3/2/(x + …))))} (modified Lentz) beyond, kept in the log domain so
 * that {@code log Φ(−40)} ≈ −804.6 is exact where Φ itself underflows. Relative error ~1e-14.
 */
final class NormalCdf {
    private NormalCdf() {}

    private static final double SQRT2 = Math.sqrt(2), LOG_SQRT_PI = 0.5 * Math.log(Math.PI), HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

    /** log φ(t). */
    static double logPdf(double t) { return -0.5 * t * t - HALF_LOG_2PI; }

    /** erf(x) by its Maclaurin series (|x| ≤ 2). */
    private static double erfSeries(double x) {
        double x2 = x * x, term = x, sum = x;
        for (int n = 1; n < 200; n++) {
            term *= -x2 / n;
            double add = term / (2 * n + 1);
            sum += add;
            if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
        }
        return 2 / Math.sqrt(Math.PI) * sum;
    }

    /** log of the continued fraction K(x) with erfc(x) = e^{−x²}/√π · K(x), x > 2 (modified Lentz). */
    private static double logCf(double x) {
        // K = 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))): b_0 = x, a_n = n/2, b_n = x
        double tiny = 1e-300, f = x, c = x, d = 0;
        for (int n = 1; n < 500; n++) {
            double a = n / 2.0;
            d = x + a * d;
            d = Math.abs(d) < tiny ? tiny : d;
            c = x + a / c;
            c = Math.abs(c) < tiny ? tiny : c;
            d = 1 / d;
            double delta = c * d;
            f *= delta;
            if (Math.abs(delta - 1) < 1e-16) break;
        }
        return -Math.log(f);
    }

    /** log erfc(x). */
    static double logErfc(double x) {
        if (x > 2) return -x * x - LOG_SQRT_PI + logCf(x);
        if (x < -2) return Math.log(2 - Math.exp(-x * x - LOG_SQRT_PI + logCf(-x)));
        return Math.log1p(-erfSeries(x));
    }

    /** log Φ(t), finite for every finite t. */
    static double logCdf(double t) {
        return Math.log(0.5) + logErfc(-t / SQRT2);
    }
}
