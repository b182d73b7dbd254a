package dev.fluvia.bench;

import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.flow.Flow;
import dev.fluvia.flow.MemoryMode;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * Prints the peak pooled memory (bytes held by open allocation scopes) of one training step in each {@link MemoryMode},
 * for the benchmark models. Deterministic: the figure depends only on the model, the batch and the mode.
 * Usage: {@code java -cp fluvia-bench.jar dev.fluvia.bench.PeakMemory [model-prefix...]} (no argument: every model;
 * otherwise only the models whose name starts with one of the prefixes, e.g. {@code maf}).
 */
public final class PeakMemory {
    private PeakMemory() {}

    public static void main(String[] args) {
        List<String> only = List.of(args);
        report(only, "realnvp2d-8x64", 512, 2, be -> TrainSetup.realNvp2d(be, 1));
        report(only, "realnvp2d-8x64", 4096, 2, be -> TrainSetup.realNvp2d(be, 1));
        report(only, "coupling-d8-256", 4096, 8, be -> TrainSetup.coupling8(be, 1));
        report(only, "maf8-5x512", 512, 8, be -> TrainSetup.maf8(be, 1));
    }

    static void report(List<String> only, String name, int batch, int d, Function<CpuBackend, Flow> model) {
        if (!only.isEmpty() && only.stream().noneMatch(name::startsWith)) return;
        for (MemoryMode mode : MemoryMode.values()) {
            try (CpuBackend be = new CpuBackend(1)) {
                TrainSetup.Trainer tr = new TrainSetup.Trainer(be, model.apply(be), TrainSetup.batch(be, batch, d, 2), mode);
                tr.step(); // warm the pool
                be.resetPeak();
                tr.step();
                System.out.printf(Locale.ROOT, "peak-memory model=%s batch=%d mode=%s peakPooledBytes=%d (%.2f MiB)%n",
                        name, batch, mode, be.peakPooledBytes(), be.peakPooledBytes() / 1048576.0);
            }
        }
    }
}
