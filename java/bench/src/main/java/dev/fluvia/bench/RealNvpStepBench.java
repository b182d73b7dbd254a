package dev.fluvia.bench;

import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.flow.MemoryMode;
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
 * One training step (forward, backward, Adam) of RealNVP on 2-D data: 8 affine couplings, conditioners 1 → 64 → 64 → 2
 * (ReLU), batch 512, in both memory modes. Peak pooled memory per mode is printed by {@link PeakMemory}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class RealNvpStepBench {
    @Param({"1"}) public int threads;
    @Param({"true"}) public boolean vector;
    @Param({"STORE", "RECOMPUTE"}) public MemoryMode mode;
    @Param({"512"}) public int batch;

    CpuBackend be;
    TrainSetup.Trainer trainer;

    @Setup public void setup() {
        be = new CpuBackend(threads, vector);
        trainer = new TrainSetup.Trainer(be, TrainSetup.realNvp2d(be, 1), TrainSetup.batch(be, batch, 2, 2), mode);
    }

    @TearDown public void tearDown() { be.close(); }

    @Benchmark public double step() { return trainer.step(); }
}
