package dev.fluvia.backend.cpu;

import dev.fluvia.backend.Activation;
import dev.fluvia.backend.OpChecks;
import dev.fluvia.tensor.Tensor;
import java.lang.foreign.MemorySegment;

/**
 * The CPU reference of the image ops of {@link dev.fluvia.backend.Backend} (NCHW float32): views, convolution (direct
 * kernels, {@link DirectConv}), squeeze, channel slicing, the conditional Gaussian prior and the logit pre-processing.
 */
final class ImageOps {
    private static final double LOG_2PI = Math.log(2 * Math.PI);

    private final CpuBackend be;

    ImageOps(CpuBackend be) { this.be = be; }

    private static float get(MemorySegment s, long i) { return s.getAtIndex(HostTensor.F, i); }
    private static void set(MemorySegment s, long i, float v) { s.setAtIndex(HostTensor.F, i, v); }
    private static MemorySegment seg(Tensor t) { return CpuBackend.h(t).seg; }

    // ------------------------------------------------------------------ view, activation

    Tensor view(Tensor t, int... shape) {
        OpChecks.view(t, shape);
        return new HostTensor(seg(t), shape);
    }

    void activate(Activation act, Tensor x, Tensor y) {
        OpChecks.activate(x, y);
        MemorySegment xs = seg(x), ys = seg(y);
        be.forFlat(x.numel(), (lo, hi) -> {
            if (act == Activation.RELU) for (long i = lo; i < hi; i++) { float v = get(xs, i); set(ys, i, v > 0 ? v : 0f); }
            else for (long i = lo; i < hi; i++) set(ys, i, act.apply(get(xs, i)));
        });
    }

    // ------------------------------------------------------------------ convolution

    /**
     * y = W ⋆ x + b by the direct kernel ({@link DirectConv#forward}): every output is one fma chain over the taps
     * (c, i, j) in order, plus the bias; samples and output channels are split over the pool without any reduction
     * between tasks, so the result does not depend on the thread count.
     */
    void conv2dForward(Tensor x, Tensor w, Tensor bias, Tensor y) {
        int k = OpChecks.conv2dForward(x, w, bias, y);
        DirectConv.forward(be, seg(x), seg(w), bias == null ? null : seg(bias), x.dim(0), x.dim(1), x.dim(2), x.dim(3), k,
                w.dim(0), seg(y));
    }

    /**
     * Gradients of {@link #conv2dForward}: {@code gw +=} {@link DirectConv#weightGrad} (one fma chain per weight over the
     * samples and pixels in order); {@code gx} is the transposed convolution, itself a direct convolution of gy:
     * {@code gx = conv(gy, W')} with W'[c, o, i, j] = W[o, c, k−1−i, k−1−j] (for k = 1 simply Wᵀ), same padding.
     * gb is reduced from gy over fixed 64-sample chunks, as the other bias gradients of the backend.
     */
    void conv2dBackward(Tensor x, Tensor w, Tensor gy, Tensor gx, Tensor gw, Tensor gb) {
        int k = OpChecks.conv2dBackward(x, w, gy, gx, gw, gb);
        int n = x.dim(0), ci = x.dim(1), hh = x.dim(2), ww = x.dim(3), co = w.dim(0), hw = hh * ww;
        MemorySegment gys = seg(gy);
        DirectConv.weightGrad(be, seg(x), gys, n, ci, hh, ww, k, co, seg(gw));
        if (gx != null)
            try (var s = be.scope()) {
                DirectConv.forward(be, gys, flippedTranspose(seg(w), co, ci, k), null, n, co, hh, ww, k, ci, seg(gx));
            }
        if (gb != null) {
            MemorySegment gbs = seg(gb);
            double[] acc = be.reduceRows(n, co, (long) n * co * hw, (lo, hi, a) -> {
                for (int r = lo; r < hi; r++)
                    for (int o = 0; o < co; o++) { // four interleaved partial sums per row, combined in a fixed order
                        long base = ((long) r * co + o) * hw;
                        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
                        int p = 0;
                        for (; p + 4 <= hw; p += 4) {
                            s0 += get(gys, base + p); s1 += get(gys, base + p + 1);
                            s2 += get(gys, base + p + 2); s3 += get(gys, base + p + 3);
                        }
                        for (; p < hw; p++) s0 += get(gys, base + p);
                        a[o] += (s0 + s1) + (s2 + s3);
                    }
            });
            for (int o = 0; o < co; o++) set(gbs, o, (float) (get(gbs, o) + acc[o]));
        }
    }

    /** W'[c, (o·k + i)·k + j] = W[o, c, k−1−i, k−1−j]: the weights of the transposed convolution, in a scoped buffer. */
    private MemorySegment flippedTranspose(MemorySegment ws, int co, int ci, int k) {
        int kk = k * k;
        MemorySegment wf = seg(be.alloc(ci, co * kk));
        for (int o = 0; o < co; o++)
            for (int c = 0; c < ci; c++)
                for (int t = 0; t < kk; t++)
                    set(wf, ((long) c * co + o) * kk + t, get(ws, ((long) o * ci + c) * kk + kk - 1 - t));
        return wf;
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
