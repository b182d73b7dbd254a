package dev.fluvia.backend;

import dev.fluvia.FluviaException.BackendUnavailableException;
import dev.fluvia.FluviaException.UnknownNameException;
import dev.fluvia.backend.cpu.CpuBackend;

/** Opens a backend by name: cpu, cuda, auto. (Placeholder until the CUDA backend lands: cuda is unavailable.) */
public final class Backends {
    private Backends() {}

    public static Backend create(String name, int threads) {
        return switch (name.toLowerCase()) {
            case "cpu" -> new CpuBackend(threads);
            case "auto" -> {
                System.err.println("fluvia: no CUDA backend in this build; using the CPU backend");
                yield new CpuBackend(threads);
            }
            case "cuda" -> throw new BackendUnavailableException("the CUDA backend is not part of this build");
            default -> throw new UnknownNameException("unknown backend '" + name + "' (known: cpu, cuda, auto)");
        };
    }
}
