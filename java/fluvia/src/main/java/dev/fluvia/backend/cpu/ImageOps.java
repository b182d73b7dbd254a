package dev.fluvia.backend.cpu;

import dev.fluvia.backend.Activation;
import dev.fluvia.backend.OpChecks;
import dev.fluvia.tensor.Tensor;
import java.lang.foreign.MemorySegment;

/**
 * The CPU reference of the image ops of {@link dev.fluvia.backend.Backend} (NCHW float32): views, convolution
 * (im2col + the backend's GEMM, one sample at a time, so every reduction over the batch runs in sample order),
 * squeeze, channel slicing, the conditional Gaussian prior and the logit pre-processing.
 */
final class ImageOps {
    private static final double LOG_2PI = Math.log(2 * Math.PI);

    private final CpuBackend be;

    ImageOps(CpuBackend be) { this.be = be; }

    private static float get(MemorySegment s, long i) { return s.getAtIndex(HostTensor.F, i); }
    private static void set(MemorySegment s, long i, float v) { s.setAtIndex(HostTensor.F, i, v); }
    private static MemorySegment seg(Tensor t) { return CpuBackend.h(t).seg; }

    /** A tensor over elements [offset, offset + prod(shape)) of t's storage. */
    private static HostTensor slice(Tensor t, long offset, int... shape) {
        long n = 1;
        for (int s : shape) n *= s;
        return new HostTensor(seg(t).asSlice(offset * 4, n * 4), shape);
    }

    // ------------------------------------------------------------------ view, activation

    Tensor view(Tensor t, int... shape) {
        OpChecks.view(t, shape);
        return new HostTensor(seg(t), shape);
    }

    void activate(Activation act, Tensor x, Tensor y) {
        OpChecks.activate(x, y);
        MemorySegment xs = seg(x), ys = seg(y);
        for (long i = 0, n = x.numel(); i < n; i++) set(ys, i, act.apply(get(xs, i)));
    }

    // ------------------------------------------------------------------ convolution

    /** col[(c·k + i)·k + j, h·W + w] = x[c, h + i − k/2, w + j − k/2] (0 outside), for one sample at element offset xo. */
    private static void im2col(MemorySegment xs, long xo, int ci, int hh, int ww, int k, MemorySegment col) {
        int pad = k / 2, hw = hh * ww;
        for (int c = 0; c < ci; c++)
            for (int i = 0; i < k; i++)
                for (int j = 0; j < k; j++) {
                    long row = ((long) (c * k + i) * k + j) * hw;
                    for (int h = 0; h < hh; h++) {
                        int sh = h + i - pad;
                        for (int w = 0; w < ww; w++) {
                            int sw = w + j - pad;
                            float v = sh < 0 || sh >= hh || sw < 0 || sw >= ww ? 0f : get(xs, xo + ((long) c * hh + sh) * ww + sw);
                            set(col, row + (long) h * ww + w, v);
                        }
                    }
                }
    }

    /** gx[c, h', w'] = Σ over the (i, j, h, w) that read it of gcol (gather form: each output summed in a fixed order). */
    private static void col2im(MemorySegment gcol, int ci, int hh, int ww, int k, MemorySegment gx, long xo) {
        int pad = k / 2, hw = hh * ww;
        for (int c = 0; c < ci; c++)
            for (int sh = 0; sh < hh; sh++)
                for (int sw = 0; sw < ww; sw++) {
                    float s = 0;
                    for (int i = 0; i < k; i++) {
                        int h = sh - i + pad;
                        if (h < 0 || h >= hh) continue;
                        for (int j = 0; j < k; j++) {
                            int w = sw - j + pad;
                            if (w < 0 || w >= ww) continue;
                            s += get(gcol, ((long) (c * k + i) * k + j) * hw + (long) h * ww + w);
                        }
                    }
                    set(gx, xo + ((long) c * hh + sh) * ww + sw, s);
                }
    }

    void conv2dForward(Tensor x, Tensor w, Tensor bias, Tensor y) {
        int k = OpChecks.conv2dForward(x, w, bias, y);
        int n = x.dim(0), ci = x.dim(1), hh = x.dim(2), ww = x.dim(3), co = w.dim(0), hw = hh * ww, kk = ci * k * k;
        Tensor wm = view(w, co, kk);
        MemorySegment xs = seg(x), ys = seg(y);
        try (var s = be.scope()) {
            Tensor col = k == 1 ? null : be.alloc(kk, hw);
            for (int r = 0; r < n; r++) {
                Tensor yr = slice(y, (long) r * co * hw, co, hw);
                Tensor in = k == 1 ? slice(x, (long) r * ci * hw, ci, hw) : col;
                if (k != 1) im2col(xs, (long) r * ci * hw, ci, hh, ww, k, seg(col));
                be.gemm(false, false, 1f, wm, in, 0f, yr);
            }
        }
        if (bias != null) {
            MemorySegment bs = seg(bias);
            be.forRows(n, (long) n * co * hw, (lo, hi) -> {
                for (int r = lo; r < hi; r++)
                    for (int o = 0; o < co; o++) {
                        float b = get(bs, o);
                        long base = ((long) r * co + o) * hw;
                        for (int p = 0; p < hw; p++) set(ys, base + p, get(ys, base + p) + b);
                    }
            });
        }
    }

    void conv2dBackward(Tensor x, Tensor w, Tensor gy, Tensor gx, Tensor gw, Tensor gb) {
        int k = OpChecks.conv2dBackward(x, w, gy, gx, gw, gb);
        int n = x.dim(0), ci = x.dim(1), hh = x.dim(2), ww = x.dim(3), co = w.dim(0), hw = hh * ww, kk = ci * k * k;
        Tensor wm = view(w, co, kk), gwm = view(gw, co, kk);
        MemorySegment xs = seg(x);
        try (var s = be.scope()) {
            Tensor col = k == 1 ? null : be.alloc(kk, hw), gcol = k == 1 || gx == null ? null : be.alloc(kk, hw);
            for (int r = 0; r < n; r++) {
                Tensor gyr = slice(gy, (long) r * co * hw, co, hw);
                Tensor in = k == 1 ? slice(x, (long) r * ci * hw, ci, hw) : col;
                if (k != 1) im2col(xs, (long) r * ci * hw, ci, hh, ww, k, seg(col));
                be.gemm(false, true, 1f, gyr, in, 1f, gwm);                 // gw += gy_r · colᵀ
                if (gx != null) {
                    if (k == 1) be.gemm(true, false, 1f, wm, gyr, 0f, slice(gx, (long) r * ci * hw, ci, hw));
                    else {
                        be.gemm(true, false, 1f, wm, gyr, 0f, gcol);        // gcol = Wᵀ · gy_r
                        col2im(seg(gcol), ci, hh, ww, k, seg(gx), (long) r * ci * hw);
                    }
                }
            }
        }
        if (gb != null) {
            MemorySegment gys = seg(gy), gbs = seg(gb);
            double[] acc = be.reduceRows(n, co, (long) n * co * hw, (lo, hi, a) -> {
                for (int r = lo; r < hi; r++)
                    for (int o = 0; o < co; o++) {
                        long base = ((long) r * co + o) * hw;
                        for (int p = 0; p < hw; p++) a[o] += get(gys, base + p);
                    }
            });
            for (int o = 0; o < co; o++) set(gbs, o, (float) (get(gbs, o) + acc[o]));
        }
    }

    // ------------------------------------------------------------------ squeeze and channels

    void squeeze(Tensor x, Tensor y) {
        OpChecks.squeeze(x, y);
        squeezeCopy(x, y, true);
    }

    void unsqueeze(Tensor y, Tensor x) {
        OpChecks.unsqueeze(y, x);
        squeezeCopy(x, y, false);
    }

    private void squeezeCopy(Tensor x, Tensor y, boolean toSqueezed) {
        int n = x.dim(0), c = x.dim(1), hh = x.dim(2), ww = x.dim(3), h2 = hh / 2, w2 = ww / 2;
        MemorySegment xs = seg(x), ys = seg(y);
        be.forRows(n, x.numel(), (lo, hi) -> {
            for (int r = lo; r < hi; r++)
                for (int ch = 0; ch < c; ch++)
                    for (int i = 0; i < 2; i++)
                        for (int j = 0; j < 2; j++)
                            for (int h = 0; h < h2; h++)
                                for (int w = 0; w < w2; w++) {
                                    long yi = (((long) r * 4 * c + 4 * ch + 2 * i + j) * h2 + h) * w2 + w;
                                    long xi = (((long) r * c + ch) * hh + 2 * h + i) * ww + 2 * w + j;
                                    if (toSqueezed) set(ys, yi, get(xs, xi)); else set(xs, xi, get(ys, yi));
                                }
        });
    }

    void sliceChannels(Tensor x, int start, Tensor y) {
        OpChecks.sliceChannels(x, start, y);
        channelCopy(x, start, y, true);
    }

    void placeChannels(Tensor src, int start, Tensor dst) {
        OpChecks.placeChannels(src, start, dst);
        channelCopy(dst, start, src, false);
    }

    private static void channelCopy(Tensor full, int start, Tensor part, boolean toPart) {
        int n = full.dim(0), c = full.dim(1), cp = part.dim(1);
        long hw = (long) full.dim(2) * full.dim(3), bytes = cp * hw * 4;
        MemorySegment fs = seg(full), ps = seg(part);
        for (int r = 0; r < n; r++) {
            long fo = ((long) r * c + start) * hw * 4, po = (long) r * cp * hw * 4;
            if (toPart) MemorySegment.copy(fs, fo, ps, po, bytes); else MemorySegment.copy(ps, po, fs, fo, bytes);
        }
    }

    // ------------------------------------------------------------------ conditional Gaussian

    void condNormalLogProb(Tensor z, Tensor mu, Tensor logSigma, Tensor out) {
        OpChecks.condNormalLogProb(z, mu, logSigma, out);
        int n = z.rows(), d = z.rowSize();
        MemorySegment zs = seg(z), ms = seg(mu), ls = seg(logSigma), os = seg(out);
        be.forRows(n, (long) n * d * CpuBackend.TRANSCENDENTAL, (lo, hi) -> {
            for (int r = lo; r < hi; r++) {
                double s = 0;
                for (int j = 0; j < d; j++) {
                    long i = (long) r * d + j;
                    double l = get(ls, i), u = (get(zs, i) - get(ms, i)) * Math.exp(-l);
                    s += -0.5 * u * u - l - 0.5 * LOG_2PI;
                }
                set(os, r, (float) (get(os, r) + s));
            }
        });
    }

    void condNormalLogProbBackward(Tensor z, Tensor mu, Tensor logSigma, Tensor gOut, Tensor gz, Tensor gmu, Tensor glogSigma) {
        String op = "condNormalLogProbBackward";
        OpChecks.condNormalLogProbBackward(z, mu, logSigma, gOut, gz, gmu, glogSigma);
        int n = z.rows(), d = z.rowSize();
        MemorySegment zs = seg(z), ms = seg(mu), ls = seg(logSigma), gs = seg(gOut), gzs = gz == null ? null : seg(gz),
                gms = seg(gmu), gls = seg(glogSigma);
        be.forRows(n, (long) n * d * CpuBackend.TRANSCENDENTAL, (lo, hi) -> {
            for (int r = lo; r < hi; r++) {
                double g = get(gs, r);
                for (int j = 0; j < d; j++) {
                    long i = (long) r * d + j;
                    double inv = Math.exp(-get(ls, i)), u = (get(zs, i) - get(ms, i)) * inv;
                    if (gzs != null) set(gzs, i, (float) (-u * inv * g));
                    set(gms, i, (float) (u * inv * g));
                    set(gls, i, (float) ((u * u - 1) * g));
                }
            }
        });
    }

    void condNormalSample(Tensor mu, Tensor logSigma, Tensor eps, float temperature, Tensor z) {
        OpChecks.condNormalSample(mu, logSigma, eps, z);
        MemorySegment ms = seg(mu), ls = seg(logSigma), es = seg(eps), zs = seg(z);
        for (long i = 0, n = z.numel(); i < n; i++)
            set(zs, i, (float) (get(ms, i) + temperature * Math.exp(get(ls, i)) * get(es, i)));
    }

    // ------------------------------------------------------------------ logit pre-processing

    void logitForward(Tensor x, float lambda, Tensor y, Tensor ld) {
        OpChecks.logitForward(x, lambda, y, ld);
        logit(x, lambda, y, ld, false);
    }

    void logitInverse(Tensor y, float lambda, Tensor x, Tensor ld) {
        OpChecks.logitInverse(y, lambda, x, ld);
        logit(y, lambda, x, ld, true);
    }

    private void logit(Tensor in, float lambda, Tensor out, Tensor ld, boolean inverse) {
        int n = in.rows(), d = in.rowSize();
        double a = 1 - 2.0 * lambda, logA = Math.log(a);
        MemorySegment is = seg(in), os = seg(out), ls = seg(ld);
        be.forRows(n, (long) n * d * CpuBackend.TRANSCENDENTAL, (lo, hi) -> {
            for (int r = lo; r < hi; r++) {
                double acc = 0;
                for (int j = 0; j < d; j++) {
                    long i = (long) r * d + j;
                    double v = get(is, i), p;
                    if (inverse) {
                        p = 1 / (1 + Math.exp(-v));
                        set(os, i, (float) ((p - lambda) / a));
                    } else {
                        p = lambda + a * v;
                        set(os, i, (float) (Math.log(p) - Math.log1p(-p)));
                    }
                    acc += logA - Math.log(p) - Math.log1p(-p);
                }
                set(ls, r, (float) (get(ls, r) + (inverse ? -acc : acc)));
            }
        });
    }

    void logitBackward(Tensor x, float lambda, Tensor gy, Tensor gLd, Tensor gx) {
        OpChecks.logitBackward(x, lambda, gy, gLd, gx);
        int n = x.rows(), d = x.rowSize();
        double a = 1 - 2.0 * lambda;
        MemorySegment xs = seg(x), gys = seg(gy), gls = seg(gLd), gxs = seg(gx);
        be.forRows(n, (long) n * d * CpuBackend.TRANSCENDENTAL, (lo, hi) -> {
            for (int r = lo; r < hi; r++) {
                double gl = get(gls, r);
                for (int j = 0; j < d; j++) {
                    long i = (long) r * d + j;
                    double p = lambda + a * get(xs, i), q = p * (1 - p);
                    set(gxs, i, (float) (get(gys, i) * a / q + gl * a * (2 * p - 1) / q));
                }
            }
        });
    }
}
