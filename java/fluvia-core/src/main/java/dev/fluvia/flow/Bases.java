package dev.fluvia.flow;

import dev.fluvia.FluviaException.UnknownNameException;
import dev.fluvia.backend.Backend;
import dev.fluvia.distributions.BaseDistribution;
import dev.fluvia.distributions.BetaDist;
import dev.fluvia.distributions.GaussianMixture;
import dev.fluvia.distributions.Logistic;
import dev.fluvia.distributions.UniformBox;
import dev.fluvia.transforms.Sigmoid;
import dev.fluvia.transforms.Transform;
import java.util.List;

/**
 * The base distributions of {@code --base} beyond the Gaussians: {@code uniform} (the unit cube), {@code logistic},
 * {@code beta} (learnable α, β per dimension) and {@code gmm} / {@code gmm:K} (a learnable K-component diagonal Gaussian
 * mixture, K = 4 by default). The bounded bases (uniform, beta) live on (0, 1)^D: the preset's layers map onto ℝ^D, so a
 * {@link Sigmoid} layer is appended as the last layer (x → z ∈ (0, 1)^D), its log-det counted in the density.
 */
public final class Bases {
    /** The base names {@link PresetOptions#base()} accepts ({@code gmm:K}: K a component count in [1, 4096], e.g. {@code gmm:8}). */
    public static final List<String> NAMES = List.of("normal", "diag", "uniform", "logistic", "beta", "gmm", "gmm:K");

    private Bases() {}

    /** Builds the base; for a bounded base also appends the sigmoid layer to {@code layers}. */
    static BaseDistribution build(String name, Backend be, int dim, long seed, List<Transform> layers) {
        String n = name.toLowerCase(java.util.Locale.ROOT);
        if (n.equals("gmm") || n.startsWith("gmm:")) {
            int k = 4;
            if (n.startsWith("gmm:")) {
                try {
                    k = Integer.parseInt(n.substring(4));
                } catch (NumberFormatException e) {
                    k = -1;
                }
                if (k < 1 || k > 4096) throw new UnknownNameException("base '" + name + "': gmm:K needs a component count K in [1, 4096], e.g. gmm:8");
            }
            return new GaussianMixture(be, k, seed ^ 0x5DEECE66DL, dim);
        }
        return switch (n) {
            case "logistic" -> new Logistic(be, dim);
            case "uniform" -> { layers.add(new Sigmoid(be, dim)); yield UniformBox.unit(be, dim); }
            case "beta" -> { layers.add(new Sigmoid(be, dim)); yield new BetaDist(be, dim); }
            default -> throw new UnknownNameException("unknown base distribution '" + name + "' (known: " + String.join(", ", NAMES) + ")");
        };
    }
}
