package dev.fluvia.distributions;

import dev.fluvia.backend.Backend;
import dev.fluvia.param.Param;
import dev.fluvia.tensor.Tensor;
import java.util.List;

/**
 * The standard logistic distribution per element (NICE): {@code log p(z) = Σ −(z + 2·softplus(−z))}, its gradient
 * {@code 1 − 2σ(z)}; samples {@code T·log(u/(1−u))} from the backend's uniform draws (temperature scales the draw, as
 * for a Gaussian's std). Runs on the dist ops {@code logisticLogProb}, {@code logisticLogProbBackward}, {@code logisticSample}.
 */
public final class Logistic implements BaseDistribution {
    /** The kind written in checkpoints. */
    public static final String KIND = "logistic";
    private final Backend be;
    private final int[] event;

    /**
     * The standard logistic base.
     *
     * @param be    the backend
     * @param event the shape of one sample
     */
    public Logistic(Backend be, int... event) { this.be = be; this.event = event.clone(); }

    @Override public String kind() { return KIND; }
    @Override public int[] eventShape() { return event.clone(); }
    @Override public List<Param> params() { return List.of(); }

    @Override public void logProb(Tensor z, Tensor out) { be.dist().logisticLogProb(z, out); }

    @Override public Tensor backward(Tensor z, Tensor gOut) {
        Tensor gz = be.alloc(z.shape());
        be.dist().logisticLogProbBackward(z, gOut, gz);
        return gz;
    }

    @Override public Tensor sample(int n, float temperature, long seed) {
        int[] shape = Dists.batchShape(n, event);
        Tensor u = be.alloc(shape), z = be.alloc(shape);
        be.randomUniform(u, seed);
        be.dist().logisticSample(u, temperature, z);
        be.release(u);
        return z;
    }
}
