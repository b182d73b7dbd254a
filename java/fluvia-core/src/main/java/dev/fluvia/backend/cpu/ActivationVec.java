package dev.fluvia.backend.cpu;

import static dev.fluvia.backend.Activation.*;

import dev.fluvia.backend.Activation;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Lane-wise activations for the vector write-backs ({@link GemmVec}) and the element-wise activation op: the same IEEE float32
 * operations, in the same order, as the scalar forms of {@link Activation#apply}, so a lane gives the bits the scalar path
 * gives for the same element (the tail of a row may take either path). Only loaded when {@link Simd#AVAILABLE}.
 *
 * <p>tanh is {@link Activation#tanh32} (fused multiply-adds and one division; within 2 ulp of the correctly rounded tanh).
 * {@code VectorOperators.TANH} was not used: on x86 it calls the JDK's SVML stubs, whose results are not those of any
 * scalar Java form (so a scalar tail, or a machine without the stubs, would round differently), and elsewhere it falls
 * back to scalar {@code Math.tanh} per lane.
 */
public final class ActivationVec {
    private ActivationVec() {}

    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();

    /** Whether {@link #apply} has a lane-wise form of {@code act} (ELU and SiLU stay scalar). */
    static boolean vectorizes(Activation act) {
        return act == Activation.IDENTITY || act == Activation.RELU || act == Activation.TANH;
    }

    /** act(v) lane-wise; only for {@link #vectorizes} activations. */
    static FloatVector apply(Activation act, FloatVector v) {
        return switch (act) {
            case IDENTITY -> v;
            case RELU -> GemmVec.relu(v);
            case TANH -> tanh(v);
            default -> throw new IllegalArgumentException("no lane-wise " + act.id());
        };
    }

    /** {@link Activation#tanh32} lane-wise (bit for bit). */
    public static FloatVector tanh(FloatVector x) {
        FloatVector a = x.abs();
        FloatVector s = a.mul(a);
        FloatVector p = s.fma(T4, T3).fma(s, FloatVector.broadcast(S, T2)).fma(s, FloatVector.broadcast(S, T1))
                .fma(s, FloatVector.broadcast(S, T0));
        FloatVector small = a.mul(s).fma(p, a);
        FloatVector y = a.min(TANH_CLAMP).mul(2f);
        FloatVector k = y.fma(LOG2E, SHIFTER);
        FloatVector n = k.sub(SHIFTER).neg();
        FloatVector r = n.fma(FloatVector.broadcast(S, LN2_LO), n.fma(FloatVector.broadcast(S, LN2_HI), y));
        FloatVector q = r.fma(E7, E6).fma(r, FloatVector.broadcast(S, E5)).fma(r, FloatVector.broadcast(S, E4))
                .fma(r, FloatVector.broadcast(S, E3)).fma(r, FloatVector.broadcast(S, E2));
        FloatVector e1 = r.fma(r.fma(q, FloatVector.broadcast(S, 1f)), FloatVector.broadcast(S, 1f));
        FloatVector scale = ((IntVector) k.reinterpretAsInts()).sub(0x4B400000 - 127).lanewise(VectorOperators.LSHL, 23)
                .reinterpretAsFloats();
        FloatVector big = FloatVector.broadcast(S, 1f).sub(FloatVector.broadcast(S, 2f).div(e1.mul(scale).add(1f)));
        FloatVector t = big.blend(small, a.compare(VectorOperators.LT, TANH_SMALL));
        IntVector sign = ((IntVector) x.reinterpretAsInts()).and(0x80000000);
        return ((IntVector) t.reinterpretAsInts()).or(sign).reinterpretAsFloats();
    }

    /**
     * y[i] = act(x[i]) for i in [lo, hi) over whole vectors (act one of {@link #vectorizes}); returns the first index not done.
     * x and y may be the same segment.
     */
    public static long apply(Activation act, MemorySegment x, MemorySegment y, long lo, long hi) {
        if (!vectorizes(act)) return lo;
        long i = lo;
        for (; i + L <= hi; i += L) apply(act, FloatVector.fromMemorySegment(S, x, i * 4, NATIVE)).intoMemorySegment(y, i * 4, NATIVE);
        return i;
    }
}
