package dev.fluvia.backend.check;

import java.util.List;
import java.util.SplittableRandom;

/**
 * An op family's validate-and-benchmark entries: {@link #parity} (odd and edge sizes, every variant: what the CUDA parity
 * test runs on the emulator and on a GPU) and {@link #bench} (one representative size per op: what {@code KernelBenchmark}
 * validates and times). Each family package has one ({@code CouplingBench}, ...), listed in {@link KernelCheck#FAMILIES}.
 */
public interface FamilyBench {
    /** The family's name (its package and its {@code kernels/<family>.cu}). */
    String family();

    /** Entries over odd sizes and every variant of every op of the family. */
    List<KernelCase> parity(SplittableRandom rng);

    /** One entry per op at a representative size for a batch of {@code n}. */
    List<KernelCase> bench(int n, SplittableRandom rng);
}
