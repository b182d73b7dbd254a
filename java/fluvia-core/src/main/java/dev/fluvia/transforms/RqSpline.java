package dev.fluvia.transforms;

import dev.fluvia.param.HostMath;

/**
 * The element-wise monotone rational-quadratic spline of Durkan et al. (2019), "Neural Spline Flows", with identity
 * linear tails (docs/FLOWS.md, "Rational-quadratic spline in Fluvia"), evaluated on the host in float64: the oracle of the
 * float32 spline op family ({@code dev.fluvia.backend.spline}) that the layers run on.
 *
 * <p>One spline per transformed element, set by {@code P = 3K − 1} unnormalised parameters laid out
 * {@code [uw_0..uw_{K−1} | uh_0..uh_{K−1} | ud_1..ud_{K−1}]}: bin widths and heights
 * {@code w_k = 2B·(m_w + (1 − K·m_w)·softmax(uw)_k)}, likewise heights with {@code m_h}; interior knot derivatives
 * {@code d_k = m_d + softplus(ud_k + c₀)} with {@code c₀ = log(e^{1−m_d} − 1)} (so raw 0 gives derivative 1, and an
 * all-zero parameter vector is the identity); {@code d_0 = d_K = 1}, matching the slope of the tails. Outside
 * {@code [−B, B]} the map is the identity with log-det 0, so any finite input (±1e6 included) is valid.
 *
 * <p>Instances hold the knots of one element's spline; they are cheap and not shared between threads.
 */
public final class RqSpline {
    public static final double DEFAULT_MIN_WIDTH = 1e-3, DEFAULT_MIN_HEIGHT = 1e-3, DEFAULT_MIN_DERIVATIVE = 1e-3;

    /** Number of unnormalised parameters per element for K bins. */
    public static int paramsPerDim(int bins) { return 3 * bins - 1; }

    private final int K;
    private final double B, minW, minH, minD, c0;
    /** knots x_0..x_K, y_0..y_K, derivatives d_0..d_K, and the softmaxes (for backward). */
    final double[] xs, ys, ds, smw, smh, rawd;

    public RqSpline(int bins, double bound, double minWidth, double minHeight, double minDerivative) {
        if (bins < 1) throw new IllegalArgumentException("rq spline: bins must be >= 1, got " + bins);
        if (!(bound > 0) || !Double.isFinite(bound)) throw new IllegalArgumentException("rq spline: bound must be finite and > 0, got " + bound);
        if (!(minWidth >= 0 && minWidth * bins < 1) || !(minHeight >= 0 && minHeight * bins < 1))
            throw new IllegalArgumentException("rq spline: min bin width/height must be >= 0 and < 1/K, got " + minWidth + ", " + minHeight);
        if (!(minDerivative >= 0 && minDerivative < 1)) throw new IllegalArgumentException("rq spline: min derivative must be in [0, 1), got " + minDerivative);
        this.K = bins;
        this.B = bound;
        this.minW = minWidth;
        this.minH = minHeight;
        this.minD = minDerivative;
        this.c0 = Math.log(Math.expm1(1 - minDerivative));
        xs = new double[K + 1];
        ys = new double[K + 1];
        ds = new double[K + 1];
        smw = new double[K];
        smh = new double[K];
        rawd = new double[Math.max(K - 1, 0)];
    }

    public int bins() { return K; }
    public double bound() { return B; }

    /** Sets the knots from the {@code 3K − 1} unnormalised parameters at {@code p[off..off+3K−2]}. */
    public RqSpline set(float[] p, int off) {
        double[] q = new double[3 * K - 1];
        for (int k = 0; k < q.length; k++) q[k] = p[off + k];
        return set(q, 0);
    }

    /** {@link #set(float[], int)} from float64 parameters. */
    public RqSpline set(double[] p, int off) {
        for (int k = 0; k < 3 * K - 1; k++)
            if (!Double.isFinite(p[off + k]))
                throw new InvalidParameterException("rq spline: conditioner output is not finite (" + p[off + k] + ")");
        softmax(p, off, smw);
        softmax(p, off + K, smh);
        knots(smw, minW, xs);
        knots(smh, minH, ys);
        ds[0] = 1;
        ds[K] = 1;
        for (int k = 1; k < K; k++) {
            rawd[k - 1] = p[off + 2 * K + k - 1];
            ds[k] = minD + HostMath.softplus(rawd[k - 1] + c0);
        }
        return this;
    }

    private void softmax(double[] p, int off, double[] out) {
        double m = Double.NEGATIVE_INFINITY;
        for (int k = 0; k < K; k++) m = Math.max(m, p[off + k]);
        double s = 0;
        for (int k = 0; k < K; k++) { out[k] = Math.exp(p[off + k] - m); s += out[k]; }
        for (int k = 0; k < K; k++) out[k] /= s;
    }

    private void knots(double[] sm, double min, double[] out) {
        double c = 0;
        out[0] = -B;
        for (int k = 0; k < K; k++) {
            c += min + (1 - K * min) * sm[k];
            out[k + 1] = -B + 2 * B * c;
        }
        out[K] = B; // exact right end (the cumulative sum is 1 up to rounding)
    }

    /** The bin k with {@code knots[k] ≤ v < knots[k+1]}, clamped to {@code [0, K−1]} (v inside [−B, B]). */
    private int bin(double[] knots, double v) {
        int lo = 0, hi = K - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (knots[mid] <= v) lo = mid; else hi = mid - 1;
        }
        return lo;
    }

    private static boolean inside(double v, double b) { return v >= -b && v <= b; }

    /** Forward {@code y = g(x)}; {@code out[0] = y}, {@code out[1] = log g'(x)}. */
    public void forward(double x, double[] out) {
        if (!inside(x, B)) { out[0] = x; out[1] = 0; return; }
        int k = bin(xs, x);
        double w = xs[k + 1] - xs[k], h = ys[k + 1] - ys[k], s = h / w;
        double xi = Math.min(1, Math.max(0, (x - xs[k]) / w)), t = xi * (1 - xi);
        double dk = ds[k], dk1 = ds[k + 1];
        double den = s + (dk1 + dk - 2 * s) * t;
        out[0] = ys[k] + h * (s * xi * xi + dk * t) / den;
        double m = dk1 * xi * xi + 2 * s * t + dk * (1 - xi) * (1 - xi);
        out[1] = 2 * Math.log(s) + Math.log(m) - 2 * Math.log(den);
    }

    /** Inverse {@code x = g⁻¹(y)} by the stable root of the bin's quadratic; {@code out[0] = x}, {@code out[1] = −log g'(x)}. */
    public void inverse(double y, double[] out) {
        if (!inside(y, B)) { out[0] = y; out[1] = 0; return; }
        int k = bin(ys, y);
        double w = xs[k + 1] - xs[k], h = ys[k + 1] - ys[k], s = h / w;
        double dk = ds[k], dk1 = ds[k + 1], e = dk1 + dk - 2 * s, dy = y - ys[k];
        double a = h * (s - dk) + dy * e, b = h * dk - dy * e, c = -s * dy;
        double disc = Math.max(0, b * b - 4 * a * c);
        double denom = -b - Math.sqrt(disc); // b > 0 (h·d_k − dy·e ≥ 0 on the bin) and c ≤ 0: no cancellation
        double xi = denom == 0 ? 0 : 2 * c / denom;
        xi = Math.min(1, Math.max(0, xi));
        out[0] = xs[k] + xi * w;
        double t = xi * (1 - xi), den = s + e * t;
        double m = dk1 * xi * xi + 2 * s * t + dk * (1 - xi) * (1 - xi);
        out[1] = -(2 * Math.log(s) + Math.log(m) - 2 * Math.log(den));
    }

    /**
     * Reverse mode of {@link #forward} at x: given {@code gy = ∂L/∂y} and {@code gl = ∂L/∂log g'}, returns ∂L/∂x and adds
     * ∂L/∂(unnormalised parameters) into {@code gp[off..off+3K−2]}.
     */
    public double backward(double x, double gy, double gl, double[] gp, int off) {
        if (!inside(x, B)) return gy;
        int k = bin(xs, x);
        double w = xs[k + 1] - xs[k], h = ys[k + 1] - ys[k], s = h / w;
        double xi = Math.min(1, Math.max(0, (x - xs[k]) / w)), t = xi * (1 - xi);
        double dk = ds[k], dk1 = ds[k + 1], e = dk1 + dk - 2 * s;
        double den = s + e * t, num = s * xi * xi + dk * t;
        double m = dk1 * xi * xi + 2 * s * t + dk * (1 - xi) * (1 - xi);
        double gyk = gy, gh = gy * num / den, gN = gy * h / den;
        double gD = -gy * h * num / (den * den) - 2 * gl / den;
        double gs = 2 * gl / s, gM = gl / m;
        double gdk1 = gM * xi * xi, gdk = gM * (1 - xi) * (1 - xi), gxi = gM * (2 * dk1 * xi - 2 * dk * (1 - xi)), gt = gM * 2 * s;
        gs += gM * 2 * t;
        gs += gN * xi * xi; gxi += gN * 2 * s * xi; gdk += gN * t; gt += gN * dk;
        gs += gD; double ge = gD * t; gt += gD * e;
        gdk1 += ge; gdk += ge; gs -= 2 * ge;
        gxi += gt * (1 - 2 * xi);
        gh += gs / w; double gw = -gs * h / (w * w);
        double gx = gxi / w, gxk = -gxi / w; gw -= gxi * xi / w;
        double gxk1 = gw; gxk -= gw;
        double gyk1 = gh; gyk -= gh;
        // knots → normalised widths/heights → softmax → unnormalised: x_j = −B + 2B·Σ_{i<j} wn_i (x_K fixed at B has no gradient)
        knotGrad(smw, minW, k, gxk, gxk1, gp, off);
        knotGrad(smh, minH, k, gyk, gyk1, gp, off + K);
        if (k >= 1) gp[off + 2 * K + k - 1] += gdk * HostMath.sigmoid(rawd[k - 1] + c0);
        if (k + 1 <= K - 1) gp[off + 2 * K + k] += gdk1 * HostMath.sigmoid(rawd[k] + c0);
        return gx;
    }

    private void knotGrad(double[] sm, double min, int k, double gLo, double gHi, double[] gp, int off) {
        // g_wn_i = 2B·(gLo·[i < k] + gHi·[i < k+1]); then through wn = min + (1 − K·min)·softmax(u)
        double dot = 0;
        double[] g = new double[K];
        for (int i = 0; i < K; i++) {
            double gi = 0;
            if (i < k) gi += gLo;
            if (i < k + 1 && k + 1 < K) gi += gHi;
            g[i] = 2 * B * gi;
            dot += g[i] * sm[i];
        }
        double scale = 1 - K * min;
        for (int i = 0; i < K; i++) gp[off + i] += scale * sm[i] * (g[i] - dot);
    }
}
