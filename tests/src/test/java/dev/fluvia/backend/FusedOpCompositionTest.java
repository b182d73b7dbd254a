package dev.fluvia.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.fluvia.backend.check.KernelCheck;
import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.backend.elementwise.Binary;
import dev.fluvia.backend.elementwise.Unary;
import dev.fluvia.tensor.Index;
import dev.fluvia.tensor.Tensor;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * A fused op is an optimisation of a composition of the generic primitives (issue 9): the affine coupling (SOFTCLAMP,
 * SIGMOID), the standard-normal log-density and the actnorm log-det, each written with gather, the element-wise maps and
 * the row reductions, agree with the fused op within the element-wise tolerance. {@link #check} takes any backend;
 * CudaParityTest runs it on CUDA (the emulator in every build).
 */
public class FusedOpCompositionTest {

    static float[] rand(SplittableRandom r, int n, double lo, double hi) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (lo + (hi - lo) * r.nextDouble());
        return a;
    }

    static void same(Backend be, String what, Tensor fused, Tensor composed) {
        KernelCheck.compare(what, be.toHost(fused), be.toHost(composed), 1e-5, 1e-4);
    }

    /** Runs every comparison on {@code be}. */
    public static void check(Backend be) {
        SplittableRandom r = new SplittableRandom(11);
        int n = 37, d = 63, k = 31;
        float clamp = 2f;
        int[] perm = IntStream.range(0, d).map(i -> (i * 17) % d).toArray();
        int[] bIdx = java.util.Arrays.copyOf(perm, k);
        Index b = be.index(bIdx), raw = be.index(IntStream.range(0, k).toArray()), shift = be.index(IntStream.range(k, 2 * k).toArray());
        Tensor x = be.fromHost(rand(r, n * d, -3, 3), n, d), h = be.fromHost(rand(r, n * 2 * k, -4, 4), n, 2 * k);

        for (CouplingScale sc : CouplingScale.values()) {
            // fused
            Tensor y = be.alloc(n, d), ld = be.alloc(n);
            be.coupling().affineCouplingForward(x, h, b, sc, clamp, y, ld);
            // composed: log s from the raw scales, ld = Σ_k log s, y_b from x_b, s and t
            Tensor hr = be.alloc(n, k), t = be.alloc(n, k), logs = be.alloc(n, k), xb = be.alloc(n, k), yb = be.alloc(n, k), s = be.alloc(n, k);
            be.coupling().gather(h, raw, hr);
            be.coupling().gather(h, shift, t);
            be.coupling().gather(x, b, xb);
            if (sc == CouplingScale.SOFTCLAMP) {        // log s = c·tanh(h/c), y_b = x_b·s + t
                be.copy(hr, logs);
                be.elementwise().scale(logs, 1f / clamp);
                be.elementwise().map(Unary.TANH, logs, logs);
                be.elementwise().scale(logs, clamp);
                be.elementwise().map(Unary.EXP, logs, s);
                be.elementwise().map(Binary.MUL, xb, s, yb);
                be.elementwise().map(Binary.ADD, yb, t, yb);
            } else {                                    // log s = log sigmoid(h + 2), y_b = (x_b + t)·s
                Tensor twos = be.alloc(k);
                be.fill(twos, 2f);
                be.elementwise().map(Binary.ADD, hr, twos, logs);
                be.elementwise().map(Unary.LOG_SIGMOID, logs, logs);
                be.elementwise().map(Unary.EXP, logs, s);
                be.elementwise().map(Binary.ADD, xb, t, yb);
                be.elementwise().map(Binary.MUL, yb, s, yb);
            }
            Tensor ldComposed = be.alloc(n);
            be.elementwise().rowSum(logs, ldComposed);
            same(be, "affineCouplingForward " + sc + " ld = rowSum(log s)", ld, ldComposed);
            Tensor yFusedB = be.alloc(n, k);
            be.coupling().gather(y, b, yFusedB);
            same(be, "affineCouplingForward " + sc + " y_b", yFusedB, yb);
        }

        // stdNormalLogProb: −½ Σ z² − (D/2)·log 2π
        Tensor lp = be.alloc(n), sq = be.alloc(n, d), lpc = be.alloc(n);
        be.dist().stdNormalLogProb(x, lp);
        be.elementwise().map(Unary.SQUARE, x, sq);
        be.elementwise().rowSum(sq, lpc);
        be.elementwise().scale(lpc, -0.5f);
        Tensor c = be.fromHost(new float[] {(float) (-0.5 * d * Math.log(2 * Math.PI))}, 1);
        Tensor cn = be.alloc(n);
        be.fill(cn, be.toHost(c)[0]);
        be.elementwise().axpy(1f, cn, lpc);
        same(be, "stdNormalLogProb = −½ rowSum(z²) − (D/2) log 2π", lp, lpc);

        // actnorm forward: y = x·exp(logs) + bias (row broadcasts), ld = N × Σ logs
        Tensor logsC = be.fromHost(rand(r, d, -1, 1), d), bias = be.fromHost(rand(r, d, -1, 1), d);
        Tensor ya = be.alloc(n, d), lda = be.alloc(n), e = be.alloc(d), yc = be.alloc(n, d);
        be.actnorm().actnormForward(x, logsC, bias, ya, lda);
        be.elementwise().map(Unary.EXP, logsC, e);
        be.elementwise().map(Binary.MUL, x, e, yc);
        be.elementwise().map(Binary.ADD, yc, bias, yc);
        same(be, "actnormForward y = x·exp(logs) + bias", ya, yc);
        Tensor ls1 = be.view(logsC, 1, d), tot = be.alloc(1), ldc = be.alloc(n);
        be.elementwise().rowSum(ls1, tot);
        Tensor ones = be.alloc(n, 1);
        be.fill(ones, 1f);
        be.elementwise().map(Binary.MUL, ones, tot, be.view(ldc, n, 1));
        same(be, "actnormForward ld = Σ logs", lda, ldc);
    }

    @Test void fusedOpsEqualTheirCompositionsOnTheCpu() {
        try (CpuBackend cpu = new CpuBackend(2)) {
            check(cpu);
        }
        try (CpuBackend scalar = new CpuBackend(1, false)) {
            check(scalar);
        }
    }

    @Test void aWrongCompositionIsCaught() {
        try (CpuBackend be = new CpuBackend(1)) {
            Tensor a = be.fromHost(new float[] {1, 2, 3}, 3), b = be.fromHost(new float[] {1, 2, 3.1f}, 3);
            org.junit.jupiter.api.Assertions.assertThrows(KernelCheck.Mismatch.class, () -> same(be, "planted", a, b));
            assertEquals(3, be.toHost(a).length);
        }
    }
}
