package dev.fluvia.backend;

import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.tensor.Index;
import dev.fluvia.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Bit-identical results: the same inputs through a sequence of ops (sizes large enough to run in parallel, spanning several
 * row chunks, several K slices of the GEMM and several flat blocks) give the same bits between runs, between 1 and 2 threads, and between the vector and the
 * scalar kernels — with the Java GEMM kernel ({@code --blas java}), the one that promises this.
 */
class CpuDeterminismTest {

    /** Runs the sequence on a fresh backend and returns every output. */
    static List<float[]> run(int threads, boolean vector) {
        CpuBackend be = new CpuBackend(threads, vector, dev.fluvia.backend.cpu.CpuGemm.JAVA); // the Java GEMM: the bit-identical one
        OpsFixture f = new OpsFixture(be, 99);
        List<float[]> outs = new ArrayList<>();
        int n = 3001, in = 63, hid = 70, k = 2 * 3; // big enough that every op below runs in parallel chunks
        for (int tr = 0; tr < 4; tr++) { // GEMM: K = 300 spans two slices, all transposes, beta ≠ 0
            boolean ta = (tr & 1) != 0, tb = (tr & 2) != 0;
            int m = 203, nn = 131, kk = 300;
            Tensor a = ta ? f.t(f.rand(m * kk), kk, m) : f.t(f.rand(m * kk), m, kk);
            Tensor b = tb ? f.t(f.rand(kk * nn), nn, kk) : f.t(f.rand(kk * nn), kk, nn);
            Tensor c = f.t(f.rand(m * nn), m, nn);
            be.dense().gemm(ta, tb, 0.9f, a, b, 0.5f, c);
            outs.add(be.toHost(c));
        }
        Tensor x = f.t(f.rand(n * in), n, in), w = f.t(f.rand(hid * in, 0.2), hid, in), bias = f.t(f.rand(hid), hid);
        for (Activation act : Activation.values()) {
            Tensor pre = be.alloc(n, hid), y = be.alloc(n, hid);
            be.dense().linearForward(x, w, bias, act, pre, y);
            Tensor g = f.t(f.rand(n * hid), n, hid);
            be.dense().activationBackward(act, pre, y, g, g);
            Tensor gx = be.alloc(n, in), gw = be.alloc(hid, in), gb = be.alloc(hid);
            be.dense().linearBackward(x, w, g, gx, gw, gb);
            outs.add(be.toHost(y)); outs.add(be.toHost(pre)); outs.add(be.toHost(g));
            outs.add(be.toHost(gx)); outs.add(be.toHost(gw)); outs.add(be.toHost(gb));
        }
        int d = 7;
        Index bi = be.index(new int[] {6, 0, 3});
        Tensor xc = f.t(f.rand(n * d), n, d), h = f.t(f.rand(n * k), n, k), ld = f.t(f.rand(n), n);
        for (CouplingScale sc : CouplingScale.values()) {
            Tensor yc = be.alloc(n, d), gx = be.alloc(n, d), gh = be.alloc(n, k);
            be.coupling().affineCouplingForward(xc, h, bi, sc, 2f, yc, ld);
            be.coupling().affineCouplingBackward(xc, h, bi, sc, 2f, f.t(f.rand(n * d), n, d), f.t(f.rand(n), n), gx, gh);
            outs.add(be.toHost(yc)); outs.add(be.toHost(gx)); outs.add(be.toHost(gh));
        }
        outs.add(be.toHost(ld));
        int c = 31;
        Tensor xa = f.t(f.rand(n * c), n, c), logs = f.t(f.rand(c, 0.3), c), gl = be.alloc(c), gbias = be.alloc(c), gxa = be.alloc(n, c);
        be.actnorm().actnormBackward(xa, logs, f.t(f.rand(n * c), n, c), f.t(f.rand(n), n), gxa, gl, gbias);
        outs.add(be.toHost(gl)); outs.add(be.toHost(gbias)); outs.add(be.toHost(gxa));
        int big = 100_003;
        Tensor p = f.t(f.rand(big), big), gp = f.t(f.rand(big), big), m = be.alloc(big), v = be.alloc(big);
        for (int step = 1; step <= 3; step++) be.optim().adamUpdate(p, gp, m, v, 1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, step);
        be.elementwise().axpy(0.3f, gp, p);
        be.elementwise().scale(p, 1.1f);
        outs.add(be.toHost(p)); outs.add(be.toHost(m)); outs.add(be.toHost(v));
        outs.add(new float[] {(float) be.reduce().sum(p), (float) be.reduce().sumSquares(p),
                Float.intBitsToFloat((int) Double.doubleToRawLongBits(be.reduce().sumSquares(gp)))});
        be.close();
        return outs;
    }

    static void same(String what, List<float[]> a, List<float[]> b) {
        for (int i = 0; i < a.size(); i++) OpsFixture.assertBitIdentical(what + " output " + i, a.get(i), b.get(i));
    }

    @Test void bitIdenticalBetweenRuns() { same("run 1 vs run 2", run(2, true), run(2, true)); }

    @Test void bitIdenticalBetweenOneAndTwoThreads() {
        same("threads 1 vs 2 (vector)", run(1, true), run(2, true));
        same("threads 1 vs 2 (scalar)", run(1, false), run(2, false));
    }

    @Test void vectorAndScalarKernelsAgreeBitForBit() { same("vector vs scalar", run(2, true), run(2, false)); }
}
