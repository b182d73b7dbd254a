package dev.fluvia.oracle;

import dev.fluvia.backend.CouplingScale;
import java.util.Map;

/**
 * Float64 references of the image layers, written from docs/CHECKPOINT.md section 6 and FLOWS.md (not from the layer
 * code). One sample is an image {@code [C, H, W]} flattened row-major: element {@code (c, h, w)} is at {@code (c·H + h)·W + w}.
 * Parameters are looked up by the layer's names ({@code net.conv0.w}, {@code prior.b}, {@code lower}, ...).
 */
public final class ImageOracles {
    private ImageOracles() {}

    // ---------------------------------------------------------------- shared pieces

    /**
     * 2-D convolution, stride 1, "same" zero padding {@code p = k/2}, cross-correlation (no kernel flip):
     * {@code y[o,h,w] = b[o] + Σ_{c,i,j} W[o,c,i,j]·x[c, h+i−p, w+j−p]}, x = 0 outside the image. {@code b} may be null.
     */
    public static double[] conv2d(double[] x, int ci, int hh, int ww, double[] wt, double[] b, int co, int k) {
        int p = k / 2;
        double[] y = new double[co * hh * ww];
        for (int o = 0; o < co; o++)
            for (int h = 0; h < hh; h++)
                for (int w = 0; w < ww; w++) {
                    double s = b == null ? 0 : b[o];
                    for (int c = 0; c < ci; c++)
                        for (int i = 0; i < k; i++)
                            for (int j = 0; j < k; j++) {
                                int hs = h + i - p, ws = w + j - p;
                                if (hs < 0 || hs >= hh || ws < 0 || ws >= ww) continue;
                                s += wt[((o * ci + c) * k + i) * k + j] * x[(c * hh + hs) * ww + ws];
                            }
                    y[(o * hh + h) * ww + w] = s;
                }
        return y;
    }

    static double[] relu(double[] a) {
        double[] r = new double[a.length];
        for (int i = 0; i < a.length; i++) r[i] = Math.max(a[i], 0);
        return r;
    }

    /** Per-channel {@code z·exp(logs[c]) + bias[c]} on {@code [C, H·W]} values. */
    static double[] channelAffine(double[] z, int c, int hw, double[] logs, double[] bias) {
        double[] r = new double[z.length];
        for (int ch = 0; ch < c; ch++)
            for (int s = 0; s < hw; s++) r[ch * hw + s] = z[ch * hw + s] * Math.exp(logs[ch]) + bias[ch];
        return r;
    }

    /** Channels {@code [from, from + count)} of a {@code [C, hw]} image. */
    static double[] channels(double[] x, int from, int count, int hw) {
        double[] r = new double[count * hw];
        System.arraycopy(x, from * hw, r, 0, count * hw);
        return r;
    }

    /**
     * A convolutional conditioner {@code [Cin, H, W] → [Cout, H, W]}: {@code type} "glow", "glow_actnorm" or "resnet",
     * hidden width, residual blocks (resnet only). Tensors under the prefix "net.".
     */
    public record Conditioner(String type, int width, int blocks) {
        public static Conditioner glow(int width) { return new Conditioner("glow", width, 0); }
        public static Conditioner glowActNorm(int width) { return new Conditioner("glow_actnorm", width, 0); }
        public static Conditioner resnet(int width, int blocks) { return new Conditioner("resnet", width, blocks); }

        double[] apply(double[] x, int cin, int cout, int h, int w, Map<String, double[]> p) {
            int hw = h * w, wd = width;
            switch (type) {
                case "glow", "glow_actnorm" -> {
                    boolean an = type.equals("glow_actnorm");
                    double[] z0 = conv2d(x, cin, h, w, p.get("net.conv0.w"), p.get("net.conv0.b"), wd, 3);
                    if (an) z0 = channelAffine(z0, wd, hw, p.get("net.an0.logs"), p.get("net.an0.bias"));
                    double[] a0 = relu(z0);
                    double[] z1 = conv2d(a0, wd, h, w, p.get("net.conv1.w"), p.get("net.conv1.b"), wd, 1);
                    if (an) z1 = channelAffine(z1, wd, hw, p.get("net.an1.logs"), p.get("net.an1.bias"));
                    double[] a1 = relu(z1);
                    return conv2d(a1, wd, h, w, p.get("net.conv2.w"), p.get("net.conv2.b"), cout, 3);
                }
                case "resnet" -> {
                    double[] hid = relu(conv2d(x, cin, h, w, p.get("net.in.w"), p.get("net.in.b"), wd, 3));
                    for (int i = 0; i < blocks; i++) {
                        String q = "net.block" + i + ".";
                        double[] a = relu(conv2d(hid, wd, h, w, p.get(q + "a.w"), p.get(q + "a.b"), wd, 3));
                        double[] r = conv2d(a, wd, h, w, p.get(q + "b.w"), p.get(q + "b.b"), wd, 3);
                        for (int k = 0; k < hid.length; k++) hid[k] += r[k];
                    }
                    return conv2d(relu(hid), wd, h, w, p.get("net.out.w"), p.get("net.out.b"), cout, 3);
                }
                default -> throw new IllegalArgumentException("unknown conditioner " + type);
            }
        }
    }

    /**
     * The coupling mask of an image {@code [C, H, W]}: which flat positions are transformed (B), in increasing order, and
     * for each the conditioner output channels of its two values (raw/shift first, t second for affine).
     */
    record Mask(int c, int h, int w, String kind, int parity) {
        int hw() { return h * w; }

        /** Channel mask: s = ⌊C/2⌋; parity 0 conditions on [0, s), parity 1 on [s, C). */
        int condFrom() { return parity == 0 ? 0 : c / 2; }
        int condCount() { return parity == 0 ? c / 2 : c - c / 2; }
        int transFrom() { return parity == 0 ? c / 2 : 0; }
        int transCount() { return c - condCount(); }

        boolean checker() { return kind.equals("checkerboard"); }

        /** m[h, w] = 1 (conditioning position) when (h + w) mod 2 = parity. */
        boolean conditioning(int hh, int ww) { return (hh + ww) % 2 == parity; }

        int cin() { return checker() ? c : condCount(); }

        /** Per-element conditioner outputs: affine needs 2 (raw, t), additive 1 (shift). */
        int cout(int perElement) { return perElement * (checker() ? c : transCount()); }

        /** The conditioner's input: x ⊙ m (checkerboard) or the conditioning channels (channel). */
        double[] condInput(double[] x) {
            if (!checker()) return channels(x, condFrom(), condCount(), hw());
            double[] r = new double[x.length];
            for (int ch = 0; ch < c; ch++)
                for (int i = 0; i < h; i++)
                    for (int j = 0; j < w; j++)
                        if (conditioning(i, j)) r[(ch * h + i) * w + j] = x[(ch * h + i) * w + j];
            return r;
        }

        /** Whether the flat position (ch, i, j) is transformed. */
        boolean transformed(int ch, int i, int j) {
            return checker() ? !conditioning(i, j) : ch >= transFrom() && ch < transFrom() + transCount();
        }

        /** Index into the conditioner output of value {@code v} (0: raw / shift, 1: t) for transformed (ch, i, j). */
        int outIndex(int ch, int i, int j, int v) {
            int per = checker() ? c : transCount(), oc = checker() ? ch : ch - transFrom();
            return ((v * per + oc) * h + i) * w + j;
        }
    }

    // ---------------------------------------------------------------- layers

    /** squeeze: y[4c + 2i + j, h, w] = x[c, 2h + i, 2w + j]; ld = 0. */
    public static TransformOracle squeeze(int c, int h, int w) {
        int h2 = h / 2, w2 = w / 2;
        return new TransformOracle() {
            int outIdx(int ch, int hh, int ww) { return ((4 * ch + 2 * (hh % 2) + ww % 2) * h2 + hh / 2) * w2 + ww / 2; }

            @Override public Out forward(double[] x, Map<String, double[]> p) {
                double[] y = new double[x.length];
                for (int ch = 0; ch < c; ch++)
                    for (int hh = 0; hh < h; hh++)
                        for (int ww = 0; ww < w; ww++) y[outIdx(ch, hh, ww)] = x[(ch * h + hh) * w + ww];
                return new Out(y, 0);
            }

            @Override public Out inverse(double[] y, Map<String, double[]> p) {
                double[] x = new double[y.length];
                for (int ch = 0; ch < c; ch++)
                    for (int hh = 0; hh < h; hh++)
                        for (int ww = 0; ww < w; ww++) x[(ch * h + hh) * w + ww] = y[outIdx(ch, hh, ww)];
                return new Out(x, 0);
            }
        };
    }

    /**
     * image_affine_coupling: on every transformed element, softclamp {@code logs = c·tanh(raw/c)}, {@code y = x·e^logs + t};
     * sigmoid {@code logs = log σ(raw + 2)}, {@code y = (x + t)·e^logs}; ld = Σ logs.
     */
    public static TransformOracle affineCoupling(int[] shape, String mask, int parity, CouplingScale scale, double clamp, Conditioner net) {
        Mask m = new Mask(shape[0], shape[1], shape[2], mask, parity);
        return new TransformOracle() {
            double logS(double raw) {
                return scale == CouplingScale.SOFTCLAMP ? clamp * Math.tanh(raw / clamp) : -Math.log1p(Math.exp(-(raw + 2)));
            }

            Out run(double[] in, Map<String, double[]> p, boolean fwd) {
                double[] out = net.apply(m.condInput(in), m.cin(), m.cout(2), m.h, m.w, p), r = in.clone();
                double ld = 0;
                for (int ch = 0; ch < m.c; ch++)
                    for (int i = 0; i < m.h; i++)
                        for (int j = 0; j < m.w; j++) {
                            if (!m.transformed(ch, i, j)) continue;
                            int at = (ch * m.h + i) * m.w + j;
                            double ls = logS(out[m.outIndex(ch, i, j, 0)]), t = out[m.outIndex(ch, i, j, 1)], v = in[at];
                            if (fwd) r[at] = scale == CouplingScale.SOFTCLAMP ? v * Math.exp(ls) + t : (v + t) * Math.exp(ls);
                            else r[at] = scale == CouplingScale.SOFTCLAMP ? (v - t) * Math.exp(-ls) : v * Math.exp(-ls) - t;
                            ld += fwd ? ls : -ls;
                        }
                return new Out(r, ld);
            }

            @Override public Out forward(double[] x, Map<String, double[]> p) { return run(x, p, true); }
            @Override public Out inverse(double[] y, Map<String, double[]> p) { return run(y, p, false); }
        };
    }

    /** image_additive_coupling: y = x + m on the transformed elements, ld = 0. */
    public static TransformOracle additiveCoupling(int[] shape, String mask, int parity, Conditioner net) {
        Mask m = new Mask(shape[0], shape[1], shape[2], mask, parity);
        return new TransformOracle() {
            Out run(double[] in, Map<String, double[]> p, double sign) {
                double[] out = net.apply(m.condInput(in), m.cin(), m.cout(1), m.h, m.w, p), r = in.clone();
                for (int ch = 0; ch < m.c; ch++)
                    for (int i = 0; i < m.h; i++)
                        for (int j = 0; j < m.w; j++)
                            if (m.transformed(ch, i, j)) r[(ch * m.h + i) * m.w + j] += sign * out[m.outIndex(ch, i, j, 0)];
                return new Out(r, 0);
            }

            @Override public Out forward(double[] x, Map<String, double[]> p) { return run(x, p, 1); }
            @Override public Out inverse(double[] y, Map<String, double[]> p) { return run(y, p, -1); }
        };
    }

    /** actnorm on images: y[c,h,w] = x[c,h,w]·exp(logs[c]) + bias[c], ld = H·W·Σ logs. */
    public static TransformOracle actNorm(int[] shape) {
        int c = shape[0], hw = shape[1] * shape[2];
        return new TransformOracle() {
            @Override public Out forward(double[] x, Map<String, double[]> p) {
                double[] ls = p.get("logs");
                double ld = 0;
                for (double v : ls) ld += hw * v;
                return new Out(channelAffine(x, c, hw, ls, p.get("bias")), ld);
            }

            @Override public Out inverse(double[] y, Map<String, double[]> p) {
                double[] ls = p.get("logs"), b = p.get("bias"), x = new double[y.length];
                double ld = 0;
                for (int ch = 0; ch < c; ch++) {
                    for (int s = 0; s < hw; s++) x[ch * hw + s] = (y[ch * hw + s] - b[ch]) / Math.exp(ls[ch]);
                    ld -= hw * ls[ch];
                }
                return new Out(x, ld);
            }
        };
    }

    /** The same C×C matrix applied at every pixel: y[:, h, w] = W·x[:, h, w] (a 1×1 convolution, no bias). */
    static double[] perPixel(double[] wt, double[] x, int c, int hw) {
        return conv2d(x, c, 1, hw, wt, null, c, 1);
    }

    static double[] perPixelSolve(double[] wt, double[] y, int c, int hw) {
        double[] x = new double[y.length], col = new double[c];
        for (int s = 0; s < hw; s++) {
            for (int ch = 0; ch < c; ch++) col[ch] = y[ch * hw + s];
            double[] sol = Dense.solve(wt, col, c);
            for (int ch = 0; ch < c; ch++) x[ch * hw + s] = sol[ch];
        }
        return x;
    }

    /** lu_conv1x1: W = P·(I + strictLower(lower))·(strictUpper(upper) + diag(sign·e^logs)); ld = H·W·Σ logs. */
    public static TransformOracle luConv1x1(int[] shape, int[] perm) {
        int c = shape[0], hw = shape[1] * shape[2];
        return new TransformOracle() {
            double ld(Map<String, double[]> p) {
                double s = 0;
                for (double v : p.get("logs")) s += v;
                return hw * s;
            }

            @Override public Out forward(double[] x, Map<String, double[]> p) {
                return new Out(perPixel(LinearOracles.luWeight(perm, p), x, c, hw), ld(p));
            }

            @Override public Out inverse(double[] y, Map<String, double[]> p) {
                return new Out(perPixelSolve(LinearOracles.luWeight(perm, p), y, c, hw), -ld(p));
            }
        };
    }

    /** conv1x1: y[:, h, w] = w·x[:, h, w]; ld = H·W·log|det w|. */
    public static TransformOracle conv1x1(int[] shape) {
        int c = shape[0], hw = shape[1] * shape[2];
        return new TransformOracle() {
            @Override public Out forward(double[] x, Map<String, double[]> p) {
                double[] w = p.get("w");
                return new Out(perPixel(w, x, c, hw), hw * Dense.logAbsDet(w, c));
            }

            @Override public Out inverse(double[] y, Map<String, double[]> p) {
                double[] w = p.get("w");
                return new Out(perPixelSolve(w, y, c, hw), -hw * Dense.logAbsDet(w, c));
            }
        };
    }

    /** logit with a = 1 − 2λ: p = λ + a·x, y = log p − log(1 − p), ld = Σ [log a − log p − log(1 − p)]. */
    public static TransformOracle logit(double lambda) {
        double a = 1 - 2 * lambda;
        return new TransformOracle() {
            @Override public Out forward(double[] x, Map<String, double[]> p) {
                double[] y = new double[x.length];
                double ld = 0;
                for (int i = 0; i < x.length; i++) {
                    double q = lambda + a * x[i];
                    y[i] = Math.log(q) - Math.log(1 - q);
                    ld += Math.log(a) - Math.log(q) - Math.log(1 - q);
                }
                return new Out(y, ld);
            }

            @Override public Out inverse(double[] y, Map<String, double[]> p) {
                double[] x = new double[y.length];
                double ld = 0;
                for (int i = 0; i < y.length; i++) {
                    double q = 1 / (1 + Math.exp(-y[i]));
                    x[i] = (q - lambda) / a;
                    ld -= Math.log(a) - Math.log(q) - Math.log(1 - q);
                }
                return new Out(x, ld);
            }
        };
    }

    /**
     * split [C, H, W] → x₁ = channels [0, C₁), C₁ = ⌊C/2⌋; "ld" = log p(z₂ | x₁) of z₂ = channels [C₁, C): standard normal,
     * or (conditional) a normal with [μ | log σ] = conv3×3(x₁) ("prior.w", "prior.b"). The inverse takes x₁ followed by z₂
     * (see {@link TransformCheck}) and returns x with ld = −log p(z₂ | x₁).
     */
    public static TransformOracle split(int[] shape, boolean conditional) {
        int c = shape[0], h = shape[1], w = shape[2], hw = h * w, c1 = c / 2, c2 = c - c1;
        return new TransformOracle() {
            double logDensity(double[] x1, double[] z2, Map<String, double[]> p) {
                double[] hp = conditional ? conv2d(x1, c1, h, w, p.get("prior.w"), p.get("prior.b"), 2 * c2, 3) : null;
                double s = 0;
                for (int i = 0; i < c2 * hw; i++) {
                    double mu = conditional ? hp[i] : 0, logSigma = conditional ? hp[c2 * hw + i] : 0;
                    double u = (z2[i] - mu) * Math.exp(-logSigma);
                    s += -0.5 * u * u - logSigma - 0.5 * Math.log(2 * Math.PI);
                }
                return s;
            }

            @Override public Out forward(double[] x, Map<String, double[]> p) {
                double[] x1 = channels(x, 0, c1, hw);
                return new Out(x1, logDensity(x1, channels(x, c1, c2, hw), p));
            }

            @Override public Out inverse(double[] yz, Map<String, double[]> p) {
                double[] x1 = channels(yz, 0, c1, hw), z2 = channels(yz, c1, c2, hw);
                return new Out(yz.clone(), -logDensity(x1, z2, p));
            }
        };
    }
}
