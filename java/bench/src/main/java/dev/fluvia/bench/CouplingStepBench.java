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
 * One training step (forward, backward, Adam) of a single affine coupling, D = 8, conditioner 4 → 256 → 256 → 8 (ReLU),
 * batch 4096, STORE mode. GEMM work per step ≈ 3 × 4096 × 2·(4·256 + 256·256 + 256·8) = 1.686 GFLOP
 * (forward, input gradient, weight gradient).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class CouplingStepBench {
    @Param({"1"}) public int threads;
    @Param({"true"}) public boolean vector;
    @Param({"4096"}) public int batch;

    CpuBackend be;
    TrainSetup.Trainer trainer;

    @Setup public void setup() {
        be = new CpuBackend(threads, vector);
        trainer = new TrainSetup.Trainer(be, TrainSetup.coupling8(be, 1), TrainSetup.batch(be, batch, 8, 2), MemoryMode.STORE);
    }

    @TearDown public void tearDown() { be.close(); }

    @Benchmark public double step() { return trainer.step(); }
}
