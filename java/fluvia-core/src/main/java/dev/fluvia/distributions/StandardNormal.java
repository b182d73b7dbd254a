package dev.fluvia.distributions;

import dev.fluvia.backend.Backend;
import dev.fluvia.param.Param;
import dev.fluvia.tensor.Tensor;
import java.util.List;

/** N(0, I): log p = −½‖z‖² − (D/2)·log 2π. */
public final class StandardNormal implements BaseDistribution {
    /** The kind written in checkpoints. */
    public static final String KIND = "std_normal";
    private final Backend be;
    private final int[] event;

    /**
     * N(0, I) over samples of the given shape.
     *
     * @param be         the backend
     * @param eventShape the shape of one sample ({@code [D]} or {@code [C, H, W]})
     */
    public StandardNormal(Backend be, int... eventShape) { this.be = be; this.event = eventShape.clone(); }

    @Override public String kind() { return KIND; }
    @Override public int[] eventShape() { return event.clone(); }
    @Override public List<Param> params() { return List.of(); }
    @Override public void logProb(Tensor z, Tensor out) { be.dist().stdNormalLogProb(z, out); }

    @Override public Tensor backward(Tensor z, Tensor gOut) {
        Tensor gz = be.alloc(z.shape());
        be.dist().stdNormalLogProbBackward(z, gOut, gz);
        return gz;
    }

    @Override public Tensor sample(int n, float temperature, long seed) {
        Tensor z = be.alloc(Dists.batchShape(n, event));
        be.randomNormal(z, seed, temperature);
        return z;
    }

}
