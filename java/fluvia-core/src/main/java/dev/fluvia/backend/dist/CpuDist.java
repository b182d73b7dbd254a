package dev.fluvia.backend.dist;

import static dev.fluvia.backend.cpu.CpuBackend.h;
import static dev.fluvia.backend.cpu.CpuBackend.ix;

import dev.fluvia.backend.OpChecks;
import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.backend.cpu.VecOps;
import dev.fluvia.tensor.Index;
import dev.fluvia.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** The CPU reference of the dist ops ({@link DistOps}): chunked over rows, reductions in a fixed order. */
public final class CpuDist implements DistOps {
    private static final long TRANSCENDENTAL = CpuBackend.TRANSCENDENTAL;
    private static final double LOG_2PI = Math.log(2 * Math.PI);
    private final CpuBackend cpu;

    public CpuDist(CpuBackend cpu) { this.cpu = cpu; }

    private static int hw(Tensor x) { return OpChecks.planeSize(x); }

    private static float get(MemorySegment s, long i) { return s.getAtIndex(ValueLayout.JAVA_FLOAT, i); }
    private static void set(MemorySegment s, long i, float v) { s.setAtIndex(ValueLayout.JAVA_FLOAT, i, v); }

    @Override public void stdNormalLogProb(Tensor z, Tensor out) {
        DistOps.Checks.stdNormalLogProb(z, out);
        int n = z.rows(), d = z.rowSize();
        double c = -0.5 * d * LOG_2PI;
        MemorySegment zs = h(z).segment(), os = h(out).segment();
        cpu.forRows(n, (long) n * d, (lo, hi) -> {
            for (int r = lo; r < hi; r++) {
                double s = 0;
                for (int j = 0; j < d; j++) { double v = get(zs, (long) r * d + j); s += v * v; }
                set(os, r, (float) (get(os, r) + (-0.5 * s + c)));
            }
        });
    }

    @Override public void stdNormalLogProbBackward(Tensor z, Tensor gOut, Tensor gz) {
        DistOps.Checks.stdNormalLogProbBackward(z, gOut, gz);
        int n = z.rows(), d = z.rowSize();
        MemorySegment zs = h(z).segment(), gs = h(gOut).segment(), gzs = h(gz).segment();
        cpu.forRows(n, (long) n * d, (lo, hi) -> {
            for (int r = lo; r < hi; r++) {
                float g = get(gs, r);
                for (int j = 0; j < d; j++) set(gzs, (long) r * d + j, -get(zs, (long) r * d + j) * g);
            }
        });
    }

    @Override public void diagNormalLogProb(Tensor z, Tensor mu, Tensor logSigma, Tensor out) {
        DistOps.Checks.diagNormalLogProb(z, mu, logSigma, out);
        int n = z.rows(), d = z.rowSize();
        float[] m = cpu.toHost(mu), ls = cpu.toHost(logSigma);
        double[] inv = new double[d];
        double c = 0;
        for (int j = 0; j < d; j++) { inv[j] = Math.exp(-ls[j]); c += -ls[j] - 0.5 * LOG_2PI; }
        double cc = c;
        MemorySegment zs = h(z).segment(), os = h(out).segment();
        cpu.forRows(n, (long) n * d, (lo, hi) -> {
            for (int r = lo; r < hi; r++) {
                double s = 0;
                for (int j = 0; j < d; j++) { double u = (get(zs, (long) r * d + j) - m[j]) * inv[j]; s += u * u; }
                set(os, r, (float) (get(os, r) + (-0.5 * s + cc)));
            }
        });
    }

    @Override public void diagNormalLogProbBackward(Tensor z, Tensor mu, Tensor logSigma, Tensor gOut, Tensor gz, Tensor gmu, Tensor glogSigma) {
        DistOps.Checks.diagNormalLogProbBackward(z, mu, logSigma, gOut, gz, gmu, glogSigma);
        int n = z.rows(), d = z.rowSize();
        float[] m = cpu.toHost(mu), ls = cpu.toHost(logSigma);
        double[] inv = new double[d];
        for (int j = 0; j < d; j++) inv[j] = Math.exp(-ls[j]);
        MemorySegment zs = h(z).segment(), gs = h(gOut).segment(), gzs = gz == null ? null : h(gz).segment();
        double[] acc = cpu.reduceRows(n, 2 * d, (long) n * d, (lo, hi, a) -> {
            for (int r = lo; r < hi; r++) {
                double g = get(gs, r);
                for (int j = 0; j < d; j++) {
                    double u = (get(zs, (long) r * d + j) - m[j]) * inv[j];
                    if (gzs != null) set(gzs, (long) r * d + j, (float) (-u * inv[j] * g));
                    a[j] += u * inv[j] * g;          // ∂/∂μ
                    a[d + j] += (u * u - 1) * g;     // ∂/∂log σ
                }
            }
        });
        float[] gm = cpu.toHost(gmu), gl = cpu.toHost(glogSigma);
        for (int j = 0; j < d; j++) { gm[j] += (float) acc[j]; gl[j] += (float) acc[d + j]; }
        cpu.upload(gm, gmu);
        cpu.upload(gl, glogSigma);
    }

    @Override public void condNormalLogProb(Tensor z, Tensor mu, Tensor logSigma, Tensor out) {
        DistOps.Checks.condNormalLogProb(z, mu, logSigma, out);
        int n = z.rows(), d = z.rowSize();
        MemorySegment zs = h(z).segment(), ms = h(mu).segment(), ls = h(logSigma).segment(), os = h(out).segment();
        cpu.forRows(n, (long) n * d * CpuBackend.TRANSCENDENTAL, (lo, hi) -> {
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

    @Override public void condNormalLogProbBackward(Tensor z, Tensor mu, Tensor logSigma, Tensor gOut, Tensor gz, Tensor gmu, Tensor glogSigma) {
        String op = "condNormalLogProbBackward";
        DistOps.Checks.condNormalLogProbBackward(z, mu, logSigma, gOut, gz, gmu, glogSigma);
        int n = z.rows(), d = z.rowSize();
        MemorySegment zs = h(z).segment(), ms = h(mu).segment(), ls = h(logSigma).segment(), gs = h(gOut).segment(), gzs = gz == null ? null : h(gz).segment(),
                gms = h(gmu).segment(), gls = h(glogSigma).segment();
        cpu.forRows(n, (long) n * d * CpuBackend.TRANSCENDENTAL, (lo, hi) -> {
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

    @Override public void condNormalSample(Tensor mu, Tensor logSigma, Tensor eps, float temperature, Tensor z) {
        DistOps.Checks.condNormalSample(mu, logSigma, eps, z);
        MemorySegment ms = h(mu).segment(), ls = h(logSigma).segment(), es = h(eps).segment(), zs = h(z).segment();
        for (long i = 0, n = z.numel(); i < n; i++)
            set(zs, i, (float) (get(ms, i) + temperature * Math.exp(get(ls, i)) * get(es, i)));
    }
}
