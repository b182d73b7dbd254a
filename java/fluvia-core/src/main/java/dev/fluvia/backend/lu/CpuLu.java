package dev.fluvia.backend.lu;

import static dev.fluvia.backend.cpu.CpuBackend.h;
import static dev.fluvia.backend.cpu.CpuBackend.ix;

import dev.fluvia.backend.OpChecks;
import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.tensor.Index;
import dev.fluvia.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** The CPU reference of the lu ops ({@link LuOps}): chunked over rows, reductions in a fixed order. */
public final class CpuLu implements LuOps {
    private static final long TRANSCENDENTAL = CpuBackend.TRANSCENDENTAL;
    private final CpuBackend cpu;

    public CpuLu(CpuBackend cpu) { this.cpu = cpu; }

    private static int hw(Tensor x) { return OpChecks.planeSize(x); }

    private static float get(MemorySegment s, long i) { return s.getAtIndex(ValueLayout.JAVA_FLOAT, i); }
    private static void set(MemorySegment s, long i, float v) { s.setAtIndex(ValueLayout.JAVA_FLOAT, i, v); }

    /** Host float64 copies of L' and U' (dense), used by the small C×C LU ops. */
    private double[][] luFactors(Tensor lower, Tensor upper, Tensor logs, Tensor sign) {
        int c = logs.dim(0);
        float[] lo = cpu.toHost(lower), up = cpu.toHost(upper), ls = cpu.toHost(logs), sg = cpu.toHost(sign);
        double[] l = new double[c * c], u = new double[c * c];
        for (int i = 0; i < c; i++)
            for (int j = 0; j < c; j++) {
                l[i * c + j] = i > j ? lo[i * c + j] : (i == j ? 1 : 0);
                u[i * c + j] = i < j ? up[i * c + j] : (i == j ? sg[i] * Math.exp(ls[i]) : 0);
            }
        return new double[][] {l, u};
    }

    @Override public void luAssemble(Index perm, Tensor lower, Tensor upper, Tensor logs, Tensor sign, Tensor w) {
        LuOps.Checks.luAssemble(perm, lower, upper, logs, sign, w);
        int c = logs.dim(0);
        double[][] f = luFactors(lower, upper, logs, sign);
        double[] l = f[0], u = f[1];
        int[] p = ix(perm);
        float[] out = new float[c * c];
        for (int i = 0; i < c; i++) {
            int src = p[i]; // row i of W = row perm[i] of L'U'
            for (int j = 0; j < c; j++) {
                double s = 0;
                for (int q = 0; q <= Math.min(src, j); q++) s += l[src * c + q] * u[q * c + j];
                out[i * c + j] = (float) s;
            }
        }
        cpu.upload(out, w);
    }

    @Override public void luSolve(Index perm, Tensor lower, Tensor upper, Tensor logs, Tensor sign, Tensor y, Tensor x) {
        LuOps.Checks.luSolve(perm, lower, upper, logs, sign, y, x);
        int c = logs.dim(0);
        double[][] f = luFactors(lower, upper, logs, sign);
        double[] l = f[0], u = f[1];
        int[] p = ix(perm);
        int n = y.dim(0), hw = hw(y);
        MemorySegment ys = h(y).segment(), xs = h(x).segment();
        cpu.forRows(n, (long) n * hw * c * c, (lo, hi) -> {
            double[] v = new double[c];
            for (int r = lo; r < hi; r++)
                for (int px = 0; px < hw; px++) {
                    long base = (long) r * c * hw + px;
                    // Pᵀ y: (P M)[i] = M[p[i]]  ⇒  (Pᵀ y)[p[i]] = y[i]
                    for (int i = 0; i < c; i++) v[p[i]] = get(ys, base + (long) i * hw);
                    for (int i = 0; i < c; i++) { double s = v[i]; for (int q = 0; q < i; q++) s -= l[i * c + q] * v[q]; v[i] = s; }
                    for (int i = c - 1; i >= 0; i--) { double s = v[i]; for (int q = i + 1; q < c; q++) s -= u[i * c + q] * v[q]; v[i] = s / u[i * c + i]; }
                    for (int i = 0; i < c; i++) set(xs, base + (long) i * hw, (float) v[i]);
                }
        });
    }

    @Override public void luWeightBackward(Index perm, Tensor lower, Tensor upper, Tensor logs, Tensor sign,
                                           Tensor gw, Tensor glower, Tensor gupper, Tensor glogs) {
        LuOps.Checks.luWeightBackward(perm, lower, upper, logs, sign, gw, glower, gupper, glogs);
        int c = logs.dim(0);
        double[][] f = luFactors(lower, upper, logs, sign);
        double[] l = f[0], u = f[1];
        int[] p = ix(perm);
        float[] g = cpu.toHost(gw);
        double[] gm = new double[c * c]; // Pᵀ gw: row p[i] of Pᵀgw = row i of gw
        for (int i = 0; i < c; i++) for (int j = 0; j < c; j++) gm[p[i] * c + j] = g[i * c + j];
        float[] gl = cpu.toHost(glower), gu = cpu.toHost(gupper), gs = cpu.toHost(glogs);
        for (int i = 0; i < c; i++)
            for (int j = 0; j < c; j++) {
                if (i > j) { // (Pᵀgw · U'ᵀ)[i, j]
                    double s = 0;
                    for (int q = 0; q < c; q++) s += gm[i * c + q] * u[j * c + q];
                    gl[i * c + j] += (float) s;
                } else { // (L'ᵀ · Pᵀgw)[i, j]
                    double s = 0;
                    for (int q = 0; q < c; q++) s += l[q * c + i] * gm[q * c + j];
                    if (i < j) gu[i * c + j] += (float) s;
                    else gs[i] += (float) (s * u[i * c + i]); // d(sign·exp(logs))/dlogs = U'_ii
                }
            }
        cpu.upload(gl, glower);
        cpu.upload(gu, gupper);
        cpu.upload(gs, glogs);
    }
}
