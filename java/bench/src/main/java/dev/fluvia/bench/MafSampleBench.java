package dev.fluvia.bench;

import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.flow.Flow;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Sampling throughput of the MAF of {@link MafStepBench} ({@link TrainSetup#maf8}): one op = {@code Flow.sampleHost(batch)},
 * i.e. base draws and, per layer, the sequential inverse {@code Backend.mafInverse} (D = 8 autoregressive steps inside
 * one op). Returns one sample value so the work cannot be eliminated.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class MafSampleBench {
    @Param({"1"}) public int threads;
    @Param({"true"}) public boolean vector;
    @Param({"512"}) public int batch;

    CpuBackend be;
    Flow flow;
    long seed;

    @Setup public void setup() {
        be = new CpuBackend(threads, vector);
        flow = TrainSetup.maf8(be, 1);
    }

    @TearDown public void tearDown() { be.close(); }

    @Benchmark public float sample() {
        return flow.sampleHost(batch, 1f, seed++)[0];
    }
}
