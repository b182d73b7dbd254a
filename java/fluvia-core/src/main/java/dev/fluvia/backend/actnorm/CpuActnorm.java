package dev.fluvia.backend.actnorm;

import static dev.fluvia.backend.cpu.CpuBackend.h;
import static dev.fluvia.backend.cpu.CpuBackend.ix;

import dev.fluvia.backend.OpChecks;
import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.tensor.Index;
import dev.fluvia.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** The CPU reference of the actnorm ops ({@link ActnormOps}): chunked over rows, reductions in a fixed order. */
public final class CpuActnorm implements ActnormOps {
    private static final long TRANSCENDENTAL = CpuBackend.TRANSCENDENTAL;
    private final CpuBackend cpu;

    public CpuActnorm(CpuBackend cpu) { this.cpu = cpu; }

    private static int hw(Tensor x) { return OpChecks.planeSize(x); }

    private static float get(MemorySegment s, long i) { return s.getAtIndex(ValueLayout.JAVA_FLOAT, i); }
    private static void set(MemorySegment s, long i, float v) { s.setAtIndex(ValueLayout.JAVA_FLOAT, i, v); }

    private void actnormApply(Tensor in, Tensor logs, Tensor bias, Tensor out, Tensor ld, boolean inverse) {
        int n = in.dim(0), c = in.dim(1), hw = hw(in);
        float[] ls = cpu.toHost(logs), bs = bias == null ? new float[c] : cpu.toHost(bias);
        float[] sc = new float[c];
        double sum = 0;
        for (int i = 0; i < c; i++) { sc[i] = (float) Math.exp(inverse ? -ls[i] : ls[i]); sum += ls[i]; }
        float ldTerm = (float) ((inverse ? -sum : sum) * hw);
        MemorySegment is = h(in).segment(), os = h(out).segment(), lds = ld == null ? null : h(ld).segment();
        cpu.forRows(n, in.numel(), (lo, hi) -> {
            for (int r = lo; r < hi; r++) {
                for (int ch = 0; ch < c; ch++) {
                    long base = ((long) r * c + ch) * hw;
                    for (int p = 0; p < hw; p++) {
                        float v = get(is, base + p);
                        set(os, base + p, inverse ? (v - bs[ch]) * sc[ch] : v * sc[ch] + bs[ch]);
                    }
                }
                if (lds != null) set(lds, r, get(lds, r) + ldTerm);
            }
        });
    }

    @Override public void actnormForward(Tensor x, Tensor logs, Tensor bias, Tensor y, Tensor ld) {
        ActnormOps.Checks.actnormForward(x, logs, bias, y, ld);
        actnormApply(x, logs, bias, y, ld, false);
    }

    @Override public void actnormInverse(Tensor y, Tensor logs, Tensor bias, Tensor x, Tensor ld) {
        ActnormOps.Checks.actnormInverse(y, logs, bias, x, ld);
        actnormApply(y, logs, bias, x, ld, true);
    }

    @Override public void actnormBackward(Tensor x, Tensor logs, Tensor gy, Tensor gLd, Tensor gx, Tensor glogs, Tensor gbias) {
        ActnormOps.Checks.actnormBackward(x, logs, gy, gLd, gx, glogs, gbias);
        int n = x.dim(0), c = x.dim(1), hw = hw(x);
        float[] ls = cpu.toHost(logs);
        float[] sc = new float[c];
        for (int i = 0; i < c; i++) sc[i] = (float) Math.exp(ls[i]);
        MemorySegment xs = h(x).segment(), gys = h(gy).segment(), gxs = gx == null ? null : h(gx).segment(), gls = h(gLd).segment();
        double[] acc = cpu.reduceRows(n, 2 * c + 1, x.numel(), (lo, hi, a) -> {
            for (int r = lo; r < hi; r++) {
                a[2 * c] += get(gls, r);
                for (int ch = 0; ch < c; ch++) {
                    long base = ((long) r * c + ch) * hw;
                    double sxy = 0, sg = 0;
                    for (int p = 0; p < hw; p++) {
                        float g = get(gys, base + p);
                        sxy += (double) g * get(xs, base + p);
                        sg += g;
                        if (gxs != null) set(gxs, base + p, g * sc[ch]);
                    }
                    a[ch] += sxy;
                    a[c + ch] += sg;
                }
            }
        });
        MemorySegment gl = h(glogs).segment(), gb = gbias == null ? null : h(gbias).segment();
        double ldTotal = acc[2 * c] * hw;
        for (int ch = 0; ch < c; ch++) {
            set(gl, ch, (float) (get(gl, ch) + acc[ch] * sc[ch] + ldTotal));
            if (gb != null) set(gb, ch, (float) (get(gb, ch) + acc[c + ch]));
        }
    }

    @Override public void actnormInitStats(Tensor x, Tensor mean, Tensor std) {
        ActnormOps.Checks.actnormInitStats(x, mean, std);
        int n = x.dim(0), c = x.dim(1), hw = hw(x);
        MemorySegment xs = h(x).segment();
        // per chunk Welford (count, mean, M2) per channel, merged in chunk order (Chan et al.)
        int chunks = (n + CpuBackend.CHUNK - 1) / CpuBackend.CHUNK;
        double[][] parts = new double[chunks][3 * c];
        cpu.forChunks(chunks, ci -> {
            double[] a = parts[ci];
            for (int r = ci * CpuBackend.CHUNK, e = Math.min(n, (ci + 1) * CpuBackend.CHUNK); r < e; r++)
                for (int ch = 0; ch < c; ch++) {
                    long base = ((long) r * c + ch) * hw;
                    for (int p = 0; p < hw; p++) {
                        double v = get(xs, base + p);
                        double cnt = ++a[3 * ch], dlt = v - a[3 * ch + 1];
                        a[3 * ch + 1] += dlt / cnt;
                        a[3 * ch + 2] += dlt * (v - a[3 * ch + 1]);
                    }
                }
        });
        float[] mo = new float[c], so = new float[c];
        for (int ch = 0; ch < c; ch++) {
            double cnt = 0, mu = 0, m2 = 0;
            for (double[] p : parts) {
                double nb = p[3 * ch];
                if (nb == 0) continue;
                double dlt = p[3 * ch + 1] - mu, tot = cnt + nb;
                mu += dlt * nb / tot;
                m2 += p[3 * ch + 2] + dlt * dlt * cnt * nb / tot;
                cnt = tot;
            }
            mo[ch] = (float) mu;
            so[ch] = (float) Math.sqrt(cnt > 0 ? m2 / cnt : 0);
        }
        cpu.upload(mo, mean);
        cpu.upload(so, std);
    }
}
