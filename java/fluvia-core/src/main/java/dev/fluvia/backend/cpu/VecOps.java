package dev.fluvia.backend.cpu;

import dev.fluvia.backend.Activation;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API bodies of the CPU backend's hot element-wise ops. Each method handles the whole vectors of {@code [lo, hi)} and
 * returns the index where it stopped; the caller finishes the tail (and does everything on the scalar path) with a scalar
 * loop that performs the same float operations in the same order, so both paths give bit-identical results.
 * Only loaded when {@link Simd#AVAILABLE}.
 */
public final class VecOps {
    private VecOps() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();

    private static FloatVector load(MemorySegment s, long i) { return FloatVector.fromMemorySegment(S, s, i * 4, NATIVE); }
    private static void store(FloatVector v, MemorySegment s, long i) { v.intoMemorySegment(s, i * 4, NATIVE); }
    private static long bound(long lo, long hi) { return lo + (hi - lo) / L * L; }

    /** y[i] = y[i] + a·x[i]. */
    public static long axpy(float a, MemorySegment x, MemorySegment y, long lo, long hi) {
        long i = lo;
        for (long e = bound(lo, hi); i < e; i += L) store(load(y, i).add(load(x, i).mul(a)), y, i);
        return i;
    }

    /** t[i] = t[i]·s. */
    public static long scale(MemorySegment t, float s, long lo, long hi) {
        long i = lo;
        for (long e = bound(lo, hi); i < e; i += L) store(load(t, i).mul(s), t, i);
        return i;
    }

    /** t[i] = value. */
    public static long fill(MemorySegment t, float value, long lo, long hi) {
        FloatVector v = FloatVector.broadcast(S, value);
        long i = lo;
        for (long e = bound(lo, hi); i < e; i += L) store(v, t, i);
        return i;
    }

    /** out[i] = g[i]·act'(pre[i], y[i]) for the activations whose derivative is a few arithmetic ops; others return lo. */
    public static long activationBackward(Activation act, MemorySegment pre, MemorySegment y, MemorySegment g, MemorySegment out, long lo, long hi) {
        long i = lo, e = bound(lo, hi);
        FloatVector one = FloatVector.broadcast(S, 1f), zero = FloatVector.zero(S);
        switch (act) {
            case IDENTITY -> { for (; i < e; i += L) store(load(g, i).mul(one), out, i); }
            case RELU -> {
                for (; i < e; i += L) {
                    VectorMask<Float> pos = load(pre, i).compare(VectorOperators.GT, 0f);
                    store(load(g, i).mul(zero.blend(one, pos)), out, i);
                }
            }
            case TANH -> {
                for (; i < e; i += L) { FloatVector yv = load(y, i); store(load(g, i).mul(one.sub(yv.mul(yv))), out, i); }
            }
            case ELU -> {
                for (; i < e; i += L) {
                    VectorMask<Float> pos = load(pre, i).compare(VectorOperators.GT, 0f);
                    store(load(g, i).mul(load(y, i).add(1f).blend(one, pos)), out, i);
                }
            }
            default -> { }
        }
        return i;
    }

    /** acc[o] += Σ_{r in [rLo, rHi)} g[r·cols + o] in r order, for the whole vectors of columns; returns the first column not done. */
    public static int columnSums(MemorySegment g, int cols, int rLo, int rHi, float[] acc) {
        int o = 0;
        for (int e = cols / L * L; o < e; o += L) {
            FloatVector s = FloatVector.fromArray(S, acc, o);
            for (int r = rLo; r < rHi; r++) s = s.add(load(g, (long) r * cols + o));
            s.intoArray(acc, o);
        }
        return o;
    }

    /**
     * Adam on [lo, hi): m = β1·m + (1−β1)·g; v = β2·v + (1−β2)·g·g; p = p − lr·((m/bc1)/(√(v/bc2) + eps) + wd·p).
     */
    public static long adam(MemorySegment p, MemorySegment g, MemorySegment m, MemorySegment v, long lo, long hi,
                     float beta1, float beta2, float omb1, float omb2, float bc1, float bc2, float eps, float lr, float wd) {
        long i = lo;
        for (long e = bound(lo, hi); i < e; i += L) {
            FloatVector gi = load(g, i);
            FloatVector mi = load(m, i).mul(beta1).add(gi.mul(omb1));
            FloatVector vi = load(v, i).mul(beta2).add(gi.mul(omb2).mul(gi));
            store(mi, m, i);
            store(vi, v, i);
            FloatVector upd = mi.div(bc1).div(vi.div(bc2).sqrt().add(eps));
            FloatVector pi = load(p, i);
            store(pi.sub(upd.add(pi.mul(wd)).mul(lr)), p, i);
        }
        return i;
    }
}
