package dev.fluvia.bench;

import dev.fluvia.backend.Activation;
import dev.fluvia.backend.cpu.ActivationVec;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * tanh over 4096 floats (N(0, 2²) draws, the range of conditioner pre-activations), per element: the former scalar form
 * ({@code (float) Math.tanh}), the CPU backend's float32 {@link Activation#tanh32} in scalar code and lane-wise
 * ({@link ActivationVec#tanh}), and the JDK's {@code lanewise(VectorOperators.TANH)} for comparison.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class ActivationBench {
    static final int N = 4096;
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    final float[] x = new float[N], y = new float[N];

    @Setup public void setup() {
        SplittableRandom r = new SplittableRandom(3);
        for (int i = 0; i < N; i++) x[i] = (float) (2 * r.nextGaussian());
    }

    @Benchmark @OperationsPerInvocation(N) public float[] mathTanh() {
        for (int i = 0; i < N; i++) y[i] = (float) Math.tanh(x[i]);
        return y;
    }

    @Benchmark @OperationsPerInvocation(N) public float[] tanh32Scalar() {
        for (int i = 0; i < N; i++) y[i] = Activation.tanh32(x[i]);
        return y;
    }

    @Benchmark @OperationsPerInvocation(N) public float[] tanh32Vector() {
        for (int i = 0; i < N; i += S.length()) ActivationVec.tanh(FloatVector.fromArray(S, x, i)).intoArray(y, i);
        return y;
    }

    @Benchmark @OperationsPerInvocation(N) public float[] jdkLanewiseTanh() {
        for (int i = 0; i < N; i += S.length()) FloatVector.fromArray(S, x, i).lanewise(VectorOperators.TANH).intoArray(y, i);
        return y;
    }
}
