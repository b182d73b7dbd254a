package dev.fluvia.backend.coupling;

import static dev.fluvia.backend.Activation.*;

import dev.fluvia.backend.cpu.ActivationVec;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Lane-wise bodies of the soft-clamp affine coupling ({@link CpuCoupling}) over staged, contiguous per-element arrays: the
 * same float32 operations in the same order as {@link CouplingMath} and the scalar loops of {@code CpuCoupling}, so a lane
 * gives the bits of the scalar path. Each method does the whole vectors of {@code [0, cnt)} and returns where it stopped.
 * Only loaded when the backend is vectorised.
 */
public final class CouplingVec {
    private CouplingVec() {}

    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();

    /** {@link CouplingMath#exp32} lane-wise (bit for bit). */
    public static FloatVector exp32(FloatVector x) {
        FloatVector y = x.max(CouplingMath.EXP_LO).min(CouplingMath.EXP_HI);
        FloatVector k = y.fma(LOG2E, SHIFTER);
        FloatVector n = k.sub(SHIFTER).neg();
        FloatVector r = n.fma(FloatVector.broadcast(S, LN2_LO), n.fma(FloatVector.broadcast(S, LN2_HI), y));
        FloatVector q = r.fma(E7, E6).fma(r, FloatVector.broadcast(S, E5)).fma(r, FloatVector.broadcast(S, E4))
                .fma(r, FloatVector.broadcast(S, E3)).fma(r, FloatVector.broadcast(S, E2));
        FloatVector e1 = r.fma(r.fma(q, FloatVector.broadcast(S, 1f)), FloatVector.broadcast(S, 1f));
        IntVector ni = ((IntVector) k.reinterpretAsInts()).sub(0x4B400000);
        IntVector h = ni.lanewise(VectorOperators.ASHR, 1);
        FloatVector s1 = h.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector s2 = ni.sub(h).add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        return e1.mul(s1).mul(s2);
    }

    /** log s = c·tanh32(raw/c). */
    private static FloatVector logScale(FloatVector raw, float clamp) {
        return ActivationVec.tanh(raw.div(clamp)).mul(clamp);
    }

    /**
     * Forward: {@code l = c·tanh(a/c)}, {@code y = fma(x, exp(l), t)}; inverse: {@code y = (x − t)·exp(−l)} (x is then the
     * layer's output side). l is returned as computed (the caller adds or subtracts it). Two passes (tanh, then exp), each
     * loop body small enough for C2 to inline every Vector API call (one fused body was measured to fall back to the
     * non-intrinsic forms at times). The second pass spells {@link #exp32} out in the loop (the same operations): as a call,
     * C2 compiled exp32 on its own and called it, its vectors crossing the call boundary.
     */
    static int softclamp(boolean inverse, float[] a, float[] t, float[] x, float[] y, float[] l, float clamp, int cnt) {
        int e = cnt / L * L;
        for (int i = 0; i < e; i += L) logScale(FloatVector.fromArray(S, a, i), clamp).intoArray(l, i);
        if (inverse) {
            for (int i = 0; i < e; i += L) {
                FloatVector xt = FloatVector.fromArray(S, x, i).sub(FloatVector.fromArray(S, t, i));
                FloatVector s = FloatVector.fromArray(S, l, i).neg();
                // exp32(s), inline
                FloatVector ey = s.max(CouplingMath.EXP_LO).min(CouplingMath.EXP_HI);
                FloatVector k = ey.fma(LOG2E, SHIFTER);
                FloatVector n = k.sub(SHIFTER).neg();
                FloatVector r = n.fma(FloatVector.broadcast(S, LN2_LO), n.fma(FloatVector.broadcast(S, LN2_HI), ey));
                FloatVector q = r.fma(E7, E6).fma(r, FloatVector.broadcast(S, E5)).fma(r, FloatVector.broadcast(S, E4))
                        .fma(r, FloatVector.broadcast(S, E3)).fma(r, FloatVector.broadcast(S, E2));
                FloatVector e1 = r.fma(r.fma(q, FloatVector.broadcast(S, 1f)), FloatVector.broadcast(S, 1f));
                IntVector ni = ((IntVector) k.reinterpretAsInts()).sub(0x4B400000);
                IntVector h = ni.lanewise(VectorOperators.ASHR, 1);
                FloatVector s1 = h.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
                FloatVector s2 = ni.sub(h).add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
                xt.mul(e1.mul(s1).mul(s2)).intoArray(y, i);
            }
            return e;
        }
        for (int i = 0; i < e; i += L) {
            FloatVector s = FloatVector.fromArray(S, l, i);
            // exp32(s), inline
            FloatVector ey = s.max(CouplingMath.EXP_LO).min(CouplingMath.EXP_HI);
            FloatVector k = ey.fma(LOG2E, SHIFTER);
            FloatVector n = k.sub(SHIFTER).neg();
            FloatVector r = n.fma(FloatVector.broadcast(S, LN2_LO), n.fma(FloatVector.broadcast(S, LN2_HI), ey));
            FloatVector q = r.fma(E7, E6).fma(r, FloatVector.broadcast(S, E5)).fma(r, FloatVector.broadcast(S, E4))
                    .fma(r, FloatVector.broadcast(S, E3)).fma(r, FloatVector.broadcast(S, E2));
            FloatVector e1 = r.fma(r.fma(q, FloatVector.broadcast(S, 1f)), FloatVector.broadcast(S, 1f));
            IntVector ni = ((IntVector) k.reinterpretAsInts()).sub(0x4B400000);
            IntVector h = ni.lanewise(VectorOperators.ASHR, 1);
            FloatVector s1 = h.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
            FloatVector s2 = ni.sub(h).add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
            FloatVector.fromArray(S, x, i).fma(e1.mul(s1).mul(s2), FloatVector.fromArray(S, t, i)).intoArray(y, i);
        }
        return e;
    }

    /**
     * Backward of the forward direction: {@code th = tanh(a/c)}, {@code s = exp(c·th)}, {@code gRaw = fma(g·x, s, gl)·(1 − th²)},
     * {@code gX = g·s}. Two passes like {@link #softclamp} (th is kept in gRaw between them).
     */
    static int softclampBackward(float[] a, float[] x, float[] g, float[] gl, float[] gRaw, float[] gX, float clamp, int cnt) {
        int e = cnt / L * L;
        for (int i = 0; i < e; i += L) ActivationVec.tanh(FloatVector.fromArray(S, a, i).div(clamp)).intoArray(gRaw, i);
        for (int i = 0; i < e; i += L) {
            FloatVector th = FloatVector.fromArray(S, gRaw, i);
            FloatVector s = exp32(th.mul(clamp));
            FloatVector gv = FloatVector.fromArray(S, g, i);
            FloatVector gLogs = gv.mul(FloatVector.fromArray(S, x, i)).fma(s, FloatVector.fromArray(S, gl, i));
            gLogs.mul(FloatVector.broadcast(S, 1f).sub(th.mul(th))).intoArray(gRaw, i);
            gv.mul(s).intoArray(gX, i);
        }
        return e;
    }
}
