package dev.fluvia.distributions;

import dev.fluvia.param.Param;
import dev.fluvia.tensor.Tensor;
import java.util.List;

/** The latent distribution p_Z of a flow (FLOWS.md, "Base distributions"). */
public interface BaseDistribution {
    String kind();
    int[] eventShape();
    List<Param> params();
    /** out[n] += log p_Z(z_n). */
    void logProb(Tensor z, Tensor out);
    /** Given gOut = ∂L/∂log p_Z per sample, returns ∂L/∂z and accumulates parameter gradients. */
    Tensor backward(Tensor z, Tensor gOut);
    /** n draws at temperature T (Gaussian std multiplied by T), reproducible for a seed. */
    Tensor sample(int n, float temperature, long seed);
}
