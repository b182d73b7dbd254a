package dev.fluvia.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fluvia.backend.cpu.ActivationVec;
import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.backend.cpu.CpuGemm;
import dev.fluvia.tensor.Tensor;
import java.util.SplittableRandom;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The CPU backend's float32 tanh ({@link Activation#tanh32}): within 2 ulp of tanh computed in float64 over a sweep of every
 * 61st float in [0, 12] (plus the band around the branch point exhaustively), exact special values, and the lane-wise form
 * ({@link ActivationVec#tanh}) and the vectorised epilogue / activation op bit-identical to the scalar ones.
 */
class ActivationTanhTest {

    /** Distance in ulps (of the float nearest to the float64 value) between a float and a float64 value. */
    private static double ulps(float got, double want) {
        return Math.abs(got - want) / Math.ulp((float) want);
    }

    @Test void withinTwoUlpOfFloat64Tanh() {
        double worst = 0; float at = 0;
        int top = Float.floatToRawIntBits(12f), b0 = Float.floatToRawIntBits(0.6f), b1 = Float.floatToRawIntBits(0.65f);
        for (int bits = 0; bits <= top; bits += (bits >= b0 && bits <= b1) ? 1 : 61) {
            float x = Float.intBitsToFloat(bits);
            for (float v : new float[] {x, -x}) {
                double u = ulps(Activation.tanh32(v), Math.tanh(v));
                if (u > worst) { worst = u; at = v; }
            }
        }
        assertTrue(worst <= 2.0, "max error " + worst + " ulp at x = " + at);
    }

    @Test void specialValues() {
        assertEquals(Float.floatToRawIntBits(0f), Float.floatToRawIntBits(Activation.tanh32(0f)));
        assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(Activation.tanh32(-0f)));
        assertTrue(Float.isNaN(Activation.tanh32(Float.NaN)));
        assertEquals(1f, Activation.tanh32(Float.POSITIVE_INFINITY));
        assertEquals(-1f, Activation.tanh32(Float.NEGATIVE_INFINITY));
        assertEquals(1f, Activation.tanh32(50f));
        assertEquals(-1f, Activation.tanh32(-Float.MAX_VALUE));
        assertEquals(Float.MIN_VALUE, Activation.tanh32(Float.MIN_VALUE)); // subnormal: tanh(x) = x
        assertEquals(1e-20f, Activation.tanh32(1e-20f));
        for (float x = -12f; x <= 12f; x += 0.01f) { // odd, monotone, |tanh| ≤ 1
            float t = Activation.tanh32(x);
            assertEquals(-t, Activation.tanh32(-x));
            assertTrue(Math.abs(t) <= 1f);
            assertTrue(Activation.tanh32(Math.nextUp(x)) >= t, "monotone at " + x);
        }
        assertEquals(Activation.tanh32(0.3f), Activation.TANH.apply(0.3f)); // the activation's scalar form is this tanh
    }

    @Test void laneWiseFormIsBitIdentical() {
        Assumptions.assumeTrue(CpuBackend.vectorApiAvailable(), "Vector API module absent");
        int lanes = FloatVector.SPECIES_PREFERRED.length();
        SplittableRandom rnd = new SplittableRandom(17);
        float[] xs = new float[lanes * 4096];
        for (int i = 0; i < xs.length; i++)
            xs[i] = switch (i % 4) {
                case 0 -> (float) (rnd.nextDouble(-1, 1)); // the polynomial, and the branch point
                case 1 -> (float) (rnd.nextDouble(-12, 12));
                case 2 -> Float.intBitsToFloat(rnd.nextInt()); // any bit pattern (NaNs, infinities, subnormals)
                default -> (float) (rnd.nextDouble(0.6, 0.65) * (rnd.nextBoolean() ? 1 : -1));
            };
        float[] out = new float[xs.length];
        for (int i = 0; i < xs.length; i += lanes)
            ActivationVec.tanh(FloatVector.fromArray(FloatVector.SPECIES_PREFERRED, xs, i)).intoArray(out, i);
        for (int i = 0; i < xs.length; i++) {
            float want = Activation.tanh32(xs[i]);
            if (Float.isNaN(want)) assertTrue(Float.isNaN(out[i]), "NaN at " + xs[i]);
            else assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(out[i]), "x = " + xs[i]);
        }
    }

    /** linearForward with tanh (vector epilogue vs scalar backend) and the element-wise activate op: the same bits. */
    @Test void vectorEpilogueAndActivateMatchScalar() {
        for (String gemm : new String[] {CpuGemm.JAVA, CpuGemm.OPENBLAS}) {
            if (gemm.equals(CpuGemm.OPENBLAS) && !CpuGemm.blasAvailable()) continue;
            float[][] outs = new float[2][], acts = new float[2][];
            for (int v = 0; v < 2; v++)
                try (CpuBackend be = new CpuBackend(2, v == 0, gemm)) {
                    OpsFixture f = new OpsFixture(be, 9);
                    int n = 257, in = 19, out = 67; // odd widths: partial vectors and scalar tails
                    Tensor x = f.t(f.rand(n * in), n, in), w = f.t(f.rand(out * in, 0.6), out, in), bias = f.t(f.rand(out), out);
                    Tensor pre = f.poisoned(n, out), y = f.poisoned(n, out);
                    be.dense().linearForward(x, w, bias, Activation.TANH, pre, y);
                    outs[v] = be.toHost(y);
                    float[] p = be.toHost(pre);
                    for (int i = 0; i < p.length; i++) assertEquals(Activation.tanh32(p[i]), outs[v][i], "y = tanh(pre) at " + i);
                    Tensor z = f.poisoned(n, out);
                    be.dense().activate(Activation.TANH, pre, z);
                    acts[v] = be.toHost(z);
                }
            OpsFixture.assertBitIdentical(gemm + " tanh epilogue vector vs scalar", outs[0], outs[1]);
            OpsFixture.assertBitIdentical(gemm + " activate vector vs scalar", acts[0], acts[1]);
        }
    }
}
