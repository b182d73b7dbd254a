package dev.fluvia.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fluvia.backend.coupling.CouplingMath;
import dev.fluvia.backend.coupling.CouplingVec;
import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.backend.cpu.CpuGemm;
import dev.fluvia.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The float32 affine coupling of the CPU backend: {@link CouplingMath#exp32} against float64 {@code Math.exp} over its whole
 * finite range (the bound is documented in docs/FLOWS.md), its special values and lane-wise copy bit for bit, and the op's
 * staged vector path bit-identical to the scalar path and across thread counts at block edges (the oracle and gradient
 * checks of the op are {@code CpuFlowOpsTest}'s, at the FLOWS.md tolerances).
 */
class CouplingFloat32Test {

    /** Distance in ulps (of the float nearest to the float64 value) between a float and a float64 value. */
    private static double ulps(float got, double want) {
        return Math.abs(got - want) / Math.ulp((float) want);
    }

    @Test void exp32WithinOneUlpOfFloat64() {
        double worst = 0; float at = 0;
        // every 13th float from −104 to 89 (both signs of the bit patterns), results from 0 / subnormal to FLT_MAX
        int top = Float.floatToRawIntBits(89f), bottom = Float.floatToRawIntBits(104f);
        for (int bits = 0; bits <= Math.max(top, bottom); bits += 13) {
            float x = Float.intBitsToFloat(bits);
            for (float v : new float[] {x, -x}) {
                if (v > 89f || v < -104f) continue;
                double want = Math.exp(v);
                if (want > Float.MAX_VALUE) continue; // +∞ below
                double u = ulps(CouplingMath.exp32(v), want);
                if (u > worst) { worst = u; at = v; }
            }
        }
        assertTrue(worst <= 1.0, "max error " + worst + " ulp at x = " + at);
    }

    @Test void exp32SpecialValues() {
        assertEquals(1f, CouplingMath.exp32(0f));
        assertEquals(1f, CouplingMath.exp32(-0f));
        assertTrue(Float.isNaN(CouplingMath.exp32(Float.NaN)));
        assertEquals(Float.POSITIVE_INFINITY, CouplingMath.exp32(Float.POSITIVE_INFINITY));
        assertEquals(Float.POSITIVE_INFINITY, CouplingMath.exp32(88.73f)); // e^88.73 > FLT_MAX
        assertEquals(0f, CouplingMath.exp32(Float.NEGATIVE_INFINITY));
        assertEquals(0f, CouplingMath.exp32(-1000f));
        assertTrue(CouplingMath.exp32(88.72f) < Float.POSITIVE_INFINITY);
        float sub = CouplingMath.exp32(-100f); // subnormal: e^−100 = 3.7e−44
        assertTrue(sub > 0 && sub < Float.MIN_NORMAL && Math.abs(sub - Math.exp(-100)) <= Float.MIN_VALUE);
        for (float x = -20f; x <= 20f; x += 0.01f) // monotone
            assertTrue(CouplingMath.exp32(Math.nextUp(x)) >= CouplingMath.exp32(x), "monotone at " + x);
    }

    @Test void exp32LaneWiseFormIsBitIdentical() {
        Assumptions.assumeTrue(CpuBackend.vectorApiAvailable(), "Vector API module absent");
        int lanes = FloatVector.SPECIES_PREFERRED.length();
        SplittableRandom rnd = new SplittableRandom(23);
        float[] xs = new float[lanes * 4096];
        for (int i = 0; i < xs.length; i++)
            xs[i] = switch (i % 3) {
                case 0 -> (float) rnd.nextDouble(-110, 95);
                case 1 -> (float) rnd.nextDouble(-3, 3);
                default -> Float.intBitsToFloat(rnd.nextInt()); // NaNs, infinities, subnormals
            };
        float[] out = new float[xs.length];
        for (int i = 0; i < xs.length; i += lanes)
            CouplingVec.exp32(FloatVector.fromArray(FloatVector.SPECIES_PREFERRED, xs, i)).intoArray(out, i);
        for (int i = 0; i < xs.length; i++) {
            float want = CouplingMath.exp32(xs[i]);
            if (Float.isNaN(want)) assertTrue(Float.isNaN(out[i]), "NaN at " + xs[i]);
            else assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(out[i]), "x = " + xs[i]);
        }
    }

    /** Forward, inverse and backward of both scales on shapes around the staging blocks (256 rows; fewer for wide rows). */
    private static List<float[]> run(int threads, boolean vector) {
        CpuBackend be = new CpuBackend(threads, vector, CpuGemm.JAVA);
        OpsFixture f = new OpsFixture(be, 5);
        List<float[]> outs = new ArrayList<>();
        for (int[] s : new int[][] {{1, 2, 1}, {17, 2, 1}, {255, 2, 1}, {257, 3, 1}, {4099, 2, 1}, {600, 70, 33}, {41, 2000, 1000}}) {
            int n = s[0], d = s[1], k = s[2];
            int[] b = f.randomSubset(d, k);
            Tensor x = f.t(f.rand(n * d, 3), n, d), h = f.t(f.rand(n * 2 * k, 4), n, 2 * k);
            for (CouplingScale sc : CouplingScale.values()) {
                Tensor y = be.alloc(n, d), xi = be.alloc(n, d), ld = f.t(f.rand(n), n), gx = be.alloc(n, d), gh = be.alloc(n, 2 * k);
                be.coupling().affineCouplingForward(x, h, be.index(b), sc, 1.5f, y, ld);
                be.coupling().affineCouplingInverse(y, h, be.index(b), sc, 1.5f, xi, ld);
                be.coupling().affineCouplingBackward(x, h, be.index(b), sc, 1.5f, f.t(f.rand(n * d), n, d), f.t(f.rand(n), n), gx, gh);
                outs.add(be.toHost(y)); outs.add(be.toHost(xi)); outs.add(be.toHost(ld)); outs.add(be.toHost(gx)); outs.add(be.toHost(gh));
            }
        }
        be.close();
        return outs;
    }

    @Test void vectorScalarAndThreadCountsBitIdentical() {
        List<float[]> ref = run(1, false);
        for (List<float[]> other : List.of(run(1, true), run(3, true), run(2, false)))
            for (int i = 0; i < ref.size(); i++) OpsFixture.assertBitIdentical("coupling output " + i, ref.get(i), other.get(i));
    }
}
