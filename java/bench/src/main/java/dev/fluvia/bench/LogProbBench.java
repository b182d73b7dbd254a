package dev.fluvia.bench;

import dev.fluvia.backend.Scope;
import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.flow.Flow;
import dev.fluvia.tensor.Tensor;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Batch scoring: {@code Flow.logProb} of 65,536 rows under the RealNVP 2-D model of {@link RealNvpStepBench} (8 couplings,
 * conditioners 1 → 64 → 64 → 2), the intermediates in a pooled scope. scripts/bench/torch_peer.py {@code --bench logprob} is
 * the PyTorch peer (the same model under {@code torch.no_grad()}).
 */
@State(org.openjdk.jmh.annotations.Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class LogProbBench {
    @Param({"1"}) public int threads;
    @Param({"true"}) public boolean vector;
    @Param({"65536"}) public int rows;

    CpuBackend be;
    Flow flow;
    Tensor x;

    @Setup public void setup() {
        be = new CpuBackend(threads, vector);
        flow = TrainSetup.realNvp2d(be, 1);
        x = TrainSetup.batch(be, rows, 2, 3);
    }

    @TearDown public void tearDown() { be.close(); }

    @Benchmark public float logProb() {
        try (Scope s = be.scope()) {
            Tensor lp = flow.logProb(x);
            return be.toHost(lp)[0];
        }
    }
}
