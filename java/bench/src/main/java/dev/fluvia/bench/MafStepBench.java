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
 * One training step (forward, backward, Adam) of MAF on 8-D data: 5 MAF layers with reversed orders between layers,
 * MADE conditioners 8 → 512 → 512 → 16 (ReLU), batch 512, in both memory modes ({@link TrainSetup#maf8}).
 * GEMM work per stored-mode step ≈ 3 × 5 × 512 × 2·(8·512 + 512·512 + 512·16) = 4.215 GFLOP. In RECOMPUTE mode the
 * inputs of layers 2..5 are rebuilt by their inverse, MAF's sequential direction ({@code Backend.mafInverse}).
 * Peak pooled memory per mode is printed by {@link PeakMemory}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class MafStepBench {
    @Param({"1"}) public int threads;
    @Param({"true"}) public boolean vector;
    @Param({"STORE", "RECOMPUTE"}) public MemoryMode mode;
    @Param({"512"}) public int batch;

    CpuBackend be;
    TrainSetup.Trainer trainer;

    @Setup public void setup() {
        be = new CpuBackend(threads, vector);
        trainer = new TrainSetup.Trainer(be, TrainSetup.maf8(be, 1), TrainSetup.batch(be, batch, 8, 2), mode);
    }

    @TearDown public void tearDown() { be.close(); }

    @Benchmark public double step() { return trainer.step(); }
}
