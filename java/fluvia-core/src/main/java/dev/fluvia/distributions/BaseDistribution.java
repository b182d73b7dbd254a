package dev.fluvia.distributions;

import dev.fluvia.param.Param;
import dev.fluvia.tensor.Tensor;
import java.util.List;

/** The latent distribution p_Z of a flow (FLOWS.md, "Base distributions"). */
public interface BaseDistribution {
    /** {@return the distribution's kind as written in checkpoints ("std_normal", "diag_normal", ...)} */
    String kind();
    /** {@return the shape of one sample z, without the batch extent} A copy. */
    int[] eventShape();
    /** {@return the learnable parameters in a fixed order (empty for a fixed distribution)} */
    List<Param> params();
    /**
     * out[n] += log p_Z(z_n).
     *
     * @param z   a batch of latents {@code [N, ...eventShape()]}
     * @param out per-sample log-densities {@code [N]} in nats, accumulated into ({@code +=})
     * @throws dev.fluvia.FluviaException.ShapeException when {@code z} or {@code out} does not fit
     */
    void logProb(Tensor z, Tensor out);
    /**
     * Given gOut = ∂L/∂log p_Z per sample, returns ∂L/∂z and accumulates parameter gradients.
     *
     * @param z    the batch {@link #logProb} saw, {@code [N, ...eventShape()]}
     * @param gOut ∂L/∂log p_Z(z_n) per sample, {@code [N]}
     * @return ∂L/∂z, a new tensor shaped like {@code z}; parameter gradients are added into each {@link Param#grad()}
     */
    Tensor backward(Tensor z, Tensor gOut);
    /**
     * n draws at temperature T (Gaussian std multiplied by T), reproducible for a seed.
     *
     * @param n           the number of draws
     * @param temperature T; 1 draws from p_Z itself (bounded bases accept only 1)
     * @param seed        the seed; the same seed, n, T and backend give the same draws
     * @return a new tensor {@code [n, ...eventShape()]}
     * @throws IllegalArgumentException when a bounded base (uniform, beta) gets {@code T != 1}
     */
    Tensor sample(int n, float temperature, long seed);
}
