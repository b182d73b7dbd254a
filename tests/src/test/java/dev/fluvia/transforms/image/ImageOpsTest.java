package dev.fluvia.transforms.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fluvia.FluviaException.ShapeException;
import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.tensor.Tensor;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** The CPU reference of the image ops against direct float64 formulas written here. */
class ImageOpsTest {
    static final CpuBackend be = new CpuBackend(2);
    static final SplittableRandom rng = new SplittableRandom(7);

    @AfterAll static void close() { be.close(); }

    static float[] randn(int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) CpuBackend.gaussian(rng);
        return a;
    }

    static void close(double[] ref, float[] got, double atol, double rtol, String what) {
        assertEquals(ref.length, got.length, what + ": length");
        for (int i = 0; i < ref.length; i++)
            assertTrue(Math.abs(got[i] - ref[i]) <= atol + rtol * Math.abs(ref[i]),
                    what + "[" + i + "]: got " + got[i] + " expected " + ref[i]);
    }

    /** Direct float64 convolution, zero "same" padding. */
    static double[] conv(float[] x, float[] w, float[] b, int n, int ci, int co, int hh, int ww, int k) {
        double[] y = new double[n * co * hh * ww];
        int pad = k / 2;
        for (int r = 0; r < n; r++)
            for (int o = 0; o < co; o++)
                for (int h = 0; h < hh; h++)
                    for (int v = 0; v < ww; v++) {
                        double s = b == null ? 0 : b[o];
                        for (int c = 0; c < ci; c++)
                            for (int i = 0; i < k; i++)
                                for (int j = 0; j < k; j++) {
                                    int sh = h + i - pad, sw = v + j - pad;
                                    if (sh < 0 || sh >= hh || sw < 0 || sw >= ww) continue;
                                    s += (double) w[((o * ci + c) * k + i) * k + j] * x[((r * ci + c) * hh + sh) * ww + sw];
                                }
                        y[((r * co + o) * hh + h) * ww + v] = s;
                    }
        return y;
    }

    @Test void conv2dForwardAndBackwardMatchFloat64() {
        for (int k : new int[] {1, 3})
            for (int[] s : new int[][] {{2, 3, 5, 4, 3}, {3, 2, 4, 1, 6}}) {
                int n = s[0], ci = s[1], co = s[2], hh = s[3], ww = s[4];
                float[] x = randn(n * ci * hh * ww), w = randn(co * ci * k * k), b = randn(co), gy = randn(n * co * hh * ww);
                Tensor xt = be.fromHost(x, n, ci, hh, ww), wt = be.fromHost(w, co, ci, k, k), bt = be.fromHost(b, co);
                Tensor y = be.alloc(n, co, hh, ww);
                be.fill(y, Float.NaN);
                be.conv().conv2dForward(xt, wt, bt, y);
                close(conv(x, w, b, n, ci, co, hh, ww, k), be.toHost(y), 1e-5, 1e-4, "conv k=" + k);
                // adjoint identities in float64: L = Σ gy⊙conv(x, w) + Σ b·Σgy ⇒ ∂L/∂x, ∂L/∂w by linearity (unit probes)
                double[] gxRef = new double[x.length], gwRef = new double[w.length], gbRef = new double[co];
                for (int i = 0; i < x.length; i++) {
                    float[] e = new float[x.length];
                    e[i] = 1;
                    double[] yi = conv(e, w, null, n, ci, co, hh, ww, k);
                    for (int q = 0; q < yi.length; q++) gxRef[i] += yi[q] * gy[q];
                }
                for (int i = 0; i < w.length; i++) {
                    float[] e = new float[w.length];
                    e[i] = 1;
                    double[] yi = conv(x, e, null, n, ci, co, hh, ww, k);
                    for (int q = 0; q < yi.length; q++) gwRef[i] += yi[q] * gy[q];
                }
                for (int q = 0; q < gy.length; q++) gbRef[(q / (hh * ww)) % co] += gy[q];
                float[] gw0 = randn(w.length), gb0 = randn(co);
                for (int i = 0; i < w.length; i++) gwRef[i] += gw0[i];
                for (int i = 0; i < co; i++) gbRef[i] += gb0[i];
                Tensor gx = be.alloc(n, ci, hh, ww), gw = be.fromHost(gw0, co, ci, k, k), gb = be.fromHost(gb0, co);
                be.fill(gx, Float.NaN);
                be.conv().conv2dBackward(xt, wt, be.fromHost(gy, n, co, hh, ww), gx, gw, gb);
                close(gxRef, be.toHost(gx), 1e-5, 1e-4, "conv gx k=" + k);
                close(gwRef, be.toHost(gw), 1e-4, 1e-4, "conv gw (accumulated) k=" + k);
                close(gbRef, be.toHost(gb), 1e-4, 1e-4, "conv gb (accumulated) k=" + k);
            }
    }

    /**
     * Float64 adjoints of {@link #conv} written out directly: gx[r, c, h + i − p, w + j − p] += W[o, c, i, j]·gy[r, o, h, w]
     * and gw[o, c, i, j] += x[r, c, h + i − p, w + j − p]·gy[r, o, h, w] over every in-image tap.
     */
    static double[][] convAdjoints(float[] x, float[] w, float[] gy, int n, int ci, int co, int hh, int ww, int k) {
        double[] gx = new double[x.length], gw = new double[w.length];
        int pad = k / 2;
        for (int r = 0; r < n; r++)
            for (int o = 0; o < co; o++)
                for (int h = 0; h < hh; h++)
                    for (int v = 0; v < ww; v++) {
                        double g = gy[((r * co + o) * hh + h) * ww + v];
                        for (int c = 0; c < ci; c++)
                            for (int i = 0; i < k; i++)
                                for (int j = 0; j < k; j++) {
                                    int sh = h + i - pad, sw = v + j - pad;
                                    if (sh < 0 || sh >= hh || sw < 0 || sw >= ww) continue;
                                    int xi = ((r * ci + c) * hh + sh) * ww + sw, wi = ((o * ci + c) * k + i) * k + j;
                                    gx[xi] += w[wi] * g;
                                    gw[wi] += x[xi] * g;
                                }
                    }
        return new double[][] {gx, gw};
    }

    /**
     * The edges of the direct kernels' blocking against float64: channel counts that are not multiples of the 6-channel
     * blocks, more output channels than one forward task (8 blocks) or one weight-gradient task (64), fewer outputs than
     * inputs and the reverse, images narrower and wider than a run of positions (1×1, 1×19, 9×9), a batch of one, no bias,
     * no input gradient, and inputs large enough that the weight gradient runs in several groups of samples.
     */
    @Test void conv2dEdgeShapesMatchFloat64() {
        int[][] shapes = { // n, ci, co, H, W, k
                {3, 7, 13, 5, 6, 3}, {2, 13, 70, 4, 3, 3}, {2, 13, 70, 4, 3, 1}, {1, 1, 1, 1, 1, 3}, {1, 1, 1, 1, 1, 1},
                {2, 20, 3, 7, 2, 3}, {2, 5, 4, 1, 19, 3}, {4, 2, 9, 9, 9, 3}, {3, 6, 6, 2, 2, 1}, {5, 96, 4, 64, 64, 3}};
        for (int[] sh : shapes) {
            int n = sh[0], ci = sh[1], co = sh[2], hh = sh[3], ww = sh[4], k = sh[5];
            String what = "conv n=" + n + " ci=" + ci + " co=" + co + " " + hh + "x" + ww + " k=" + k;
            float[] x = randn(n * ci * hh * ww), w = randn(co * ci * k * k), b = randn(co), gy = randn(n * co * hh * ww);
            for (int i = 0; i < w.length; i++) w[i] /= (float) Math.sqrt(ci * k * k);
            boolean withBias = (n + ci) % 2 == 0, withGx = co != 4;
            Tensor xt = be.fromHost(x, n, ci, hh, ww), wt = be.fromHost(w, co, ci, k, k), y = be.alloc(n, co, hh, ww);
            be.fill(y, Float.NaN);
            be.conv().conv2dForward(xt, wt, withBias ? be.fromHost(b, co) : null, y);
            close(conv(x, w, withBias ? b : null, n, ci, co, hh, ww, k), be.toHost(y), 1e-4, 1e-4, what + " y");
            double[][] ref = convAdjoints(x, w, gy, n, ci, co, hh, ww, k);
            float[] gw0 = randn(w.length);
            for (int i = 0; i < w.length; i++) ref[1][i] += gw0[i];
            Tensor gx = withGx ? be.alloc(n, ci, hh, ww) : null, gw = be.fromHost(gw0, co, ci, k, k);
            if (gx != null) be.fill(gx, Float.NaN);
            be.conv().conv2dBackward(xt, wt, be.fromHost(gy, n, co, hh, ww), gx, gw, null);
            if (gx != null) close(ref[0], be.toHost(gx), 1e-4, 1e-4, what + " gx");
            close(ref[1], be.toHost(gw), 1e-3, 1e-4, what + " gw (accumulated)");
        }
    }

    /** The convolution's outputs and gradients, bit for bit, on a backend with the given threads and kernel path. */
    static java.util.List<float[]> convRun(int threads, boolean vector) {
        try (CpuBackend b = new CpuBackend(threads, vector)) {
            SplittableRandom r = new SplittableRandom(11);
            java.util.List<float[]> outs = new java.util.ArrayList<>();
            for (int k : new int[] {1, 3}) {
                int n = 5, ci = 16, co = 20, hh = 8, ww = 9; // large enough that every kernel runs in parallel tasks
                float[] x = new float[n * ci * hh * ww], w = new float[co * ci * k * k], gy = new float[n * co * hh * ww], bias = new float[co];
                for (float[] a : new float[][] {x, w, gy, bias}) for (int i = 0; i < a.length; i++) a[i] = (float) CpuBackend.gaussian(r);
                Tensor xt = b.fromHost(x, n, ci, hh, ww), wt = b.fromHost(w, co, ci, k, k), y = b.alloc(n, co, hh, ww);
                b.conv().conv2dForward(xt, wt, b.fromHost(bias, co), y);
                Tensor gx = b.alloc(n, ci, hh, ww), gw = b.alloc(co, ci, k, k), gb = b.alloc(co);
                b.conv().conv2dBackward(xt, wt, b.fromHost(gy, n, co, hh, ww), gx, gw, gb);
                outs.add(b.toHost(y)); outs.add(b.toHost(gx)); outs.add(b.toHost(gw)); outs.add(b.toHost(gb));
            }
            return outs;
        }
    }

    @Test void conv2dBitIdenticalAcrossRunsThreadsAndKernels() {
        var ref = convRun(2, true);
        var others = java.util.Map.of("second run", convRun(2, true), "1 thread", convRun(1, true), "3 threads", convRun(3, true),
                "scalar kernels", convRun(2, false), "scalar, 1 thread", convRun(1, false));
        others.forEach((what, got) -> {
            for (int i = 0; i < ref.size(); i++) assertArrayEquals(ref.get(i), got.get(i), what + ": output " + i);
        });
    }

    @Test void conv2dShapeErrorsNameTheOp() {
        Tensor x = be.alloc(1, 2, 3, 3);
        var e = assertThrows(ShapeException.class, () -> be.conv().conv2dForward(x, be.alloc(4, 3, 3, 3), null, be.alloc(1, 4, 3, 3)));
        assertTrue(e.getMessage().startsWith("conv2dForward"), e.getMessage());
        e = assertThrows(ShapeException.class, () -> be.conv().conv2dForward(x, be.alloc(4, 2, 5, 5), null, be.alloc(1, 4, 3, 3)));
        assertTrue(e.getMessage().contains("1x1 or 3x3"), e.getMessage());
    }

    @Test void squeezeOrderRoundTripAndOddSizes() {
        int n = 2, c = 3, hh = 4, ww = 6;
        float[] x = randn(n * c * hh * ww);
        Tensor y = be.alloc(n, 4 * c, hh / 2, ww / 2);
        be.image().squeeze(be.fromHost(x, n, c, hh, ww), y);
        float[] yh = be.toHost(y);
        for (int r = 0; r < n; r++)
            for (int ch = 0; ch < c; ch++)
                for (int i = 0; i < 2; i++)
                    for (int j = 0; j < 2; j++)
                        for (int h = 0; h < hh / 2; h++)
                            for (int w = 0; w < ww / 2; w++)
                                assertEquals(x[((r * c + ch) * hh + 2 * h + i) * ww + 2 * w + j],
                                        yh[((r * 4 * c + 4 * ch + 2 * i + j) * (hh / 2) + h) * (ww / 2) + w]);
        Tensor back = be.alloc(n, c, hh, ww);
        be.image().unsqueeze(y, back);
        assertArrayEquals(x, be.toHost(back));
        var e = assertThrows(ShapeException.class, () -> be.image().squeeze(be.alloc(1, 1, 3, 4), be.alloc(1, 4, 1, 2)));
        assertTrue(e.getMessage().startsWith("squeeze") && e.getMessage().contains("even"), e.getMessage());
    }

    @Test void sliceAndPlaceChannels() {
        int n = 2, c = 5, hw = 6;
        float[] x = randn(n * c * hw);
        Tensor xt = be.fromHost(x, n, c, 2, 3), part = be.alloc(n, 2, 2, 3);
        be.image().sliceChannels(xt, 3, part);
        float[] p = be.toHost(part);
        for (int r = 0; r < n; r++) for (int q = 0; q < 2 * hw; q++) assertEquals(x[(r * c + 3) * hw + q], p[r * 2 * hw + q]);
        Tensor dst = be.fromHost(new float[n * c * hw], n, c, 2, 3);
        be.image().placeChannels(part, 1, dst);
        float[] d = be.toHost(dst);
        for (int r = 0; r < n; r++)
            for (int ch = 0; ch < c; ch++)
                for (int q = 0; q < hw; q++)
                    assertEquals(ch == 1 || ch == 2 ? x[(r * c + ch + 2) * hw + q] : 0f, d[(r * c + ch) * hw + q]);
        var e = assertThrows(ShapeException.class, () -> be.image().sliceChannels(xt, 4, part));
        assertTrue(e.getMessage().startsWith("sliceChannels"), e.getMessage());
    }

    @Test void viewSharesStorage() {
        Tensor t = be.fromHost(new float[] {1, 2, 3, 4, 5, 6}, 1, 6);
        Tensor v = be.view(t, 2, 3);
        be.elementwise().scale(v, 2f);
        assertArrayEquals(new float[] {2, 4, 6, 8, 10, 12}, be.toHost(t));
        assertThrows(ShapeException.class, () -> be.view(t, 4, 2));
    }

    @Test void conditionalNormalMatchesFloat64() {
        int n = 3, d = 10;
        float[] z = randn(n * d), mu = randn(n * d), ls = randn(n * d), g = randn(n), out0 = randn(n);
        for (int i = 0; i < ls.length; i++) ls[i] *= 0.5f;
        Tensor zt = be.fromHost(z, n, 2, 5, 1), mt = be.fromHost(mu, n, 2, 5, 1), lt = be.fromHost(ls, n, 2, 5, 1), out = be.fromHost(out0, n);
        be.dist().condNormalLogProb(zt, mt, lt, out);
        double[] ref = new double[n], gz = new double[n * d], gm = new double[n * d], gl = new double[n * d];
        for (int r = 0; r < n; r++) {
            ref[r] = out0[r];
            for (int j = 0; j < d; j++) {
                int i = r * d + j;
                double s = Math.exp(ls[i]), u = (z[i] - mu[i]) / s;
                ref[r] += -0.5 * u * u - ls[i] - 0.5 * Math.log(2 * Math.PI);
                gz[i] = -u / s * g[r];
                gm[i] = u / s * g[r];
                gl[i] = (u * u - 1) * g[r];
            }
        }
        close(ref, be.toHost(out), 1e-5, 1e-5, "condNormalLogProb");
        Tensor gzt = be.alloc(zt.shape()), gmt = be.alloc(zt.shape()), glt = be.alloc(zt.shape());
        be.dist().condNormalLogProbBackward(zt, mt, lt, be.fromHost(g, n), gzt, gmt, glt);
        close(gz, be.toHost(gzt), 1e-5, 1e-4, "gz");
        close(gm, be.toHost(gmt), 1e-5, 1e-4, "gmu");
        close(gl, be.toHost(glt), 1e-5, 1e-4, "glogSigma");
        float[] eps = randn(n * d);
        Tensor zs = be.alloc(zt.shape());
        be.dist().condNormalSample(mt, lt, be.fromHost(eps, zt.shape()), 0.7f, zs);
        double[] zref = new double[n * d];
        for (int i = 0; i < zref.length; i++) zref[i] = mu[i] + 0.7 * Math.exp(ls[i]) * eps[i];
        close(zref, be.toHost(zs), 1e-6, 1e-5, "condNormalSample");
    }

    @Test void logitMatchesFloat64() {
        int n = 2, d = 12;
        float lambda = 0.05f;
        float[] x = new float[n * d], gy = randn(n * d), gLd = randn(n);
        for (int i = 0; i < x.length; i++) x[i] = (float) rng.nextDouble();
        Tensor xt = be.fromHost(x, n, 3, 2, 2), y = be.alloc(xt.shape()), ld = be.alloc(n);
        be.image().logitForward(xt, lambda, y, ld);
        double a = 1 - 2.0 * lambda;
        double[] yref = new double[n * d], ldref = new double[n], gx = new double[n * d];
        for (int i = 0; i < x.length; i++) {
            double p = lambda + a * x[i];
            yref[i] = Math.log(p / (1 - p));
            double dy = a / (p * (1 - p));   // dy/dx
            ldref[i / d] += Math.log(dy);
            gx[i] = gy[i] * dy + gLd[i / d] * a * (2 * p - 1) / (p * (1 - p));  // d log(dy/dx)/dx
        }
        close(yref, be.toHost(y), 1e-5, 1e-5, "logit y");
        close(ldref, be.toHost(ld), 1e-4, 1e-5, "logit ld");
        Tensor xb = be.alloc(xt.shape()), ld2 = be.alloc(n);
        be.image().logitInverse(y, lambda, xb, ld2);
        close(toDouble(x), be.toHost(xb), 1e-5, 1e-5, "logit inverse");
        double[] neg = new double[n];
        for (int r = 0; r < n; r++) neg[r] = -ldref[r];
        close(neg, be.toHost(ld2), 1e-4, 1e-5, "logit inverse ld");
        Tensor gxt = be.alloc(xt.shape());
        be.image().logitBackward(xt, lambda, be.fromHost(gy, xt.shape()), be.fromHost(gLd, n), gxt);
        close(gx, be.toHost(gxt), 1e-4, 1e-4, "logit gx");
    }

    static double[] toDouble(float[] a) { double[] d = new double[a.length]; for (int i = 0; i < a.length; i++) d[i] = a[i]; return d; }
}
