package dev.fluvia.transforms;

import dev.fluvia.param.Stash;
import dev.fluvia.backend.Activation;
import dev.fluvia.backend.Backend;
import dev.fluvia.param.Param;
import dev.fluvia.param.ParamSource;
import dev.fluvia.tensor.Tensor;
import java.util.List;

/**
 * Plain invertible linear map {@code y_n = W x_n} with a free {@code W [C, C]} (FLOWS.md's non-LU comparison variant
 * of the invertible 1×1 convolution), {@code ld = log|det W|} by a host float64 PLU factorisation of the small W
 * (slogdet). The inverse factors W on the host and runs the backend's triangular solves ({@code luSolve}); no explicit
 * inverse is applied to data. Initialised at the same random orthogonal matrix as {@link InvertibleLinear} for a seed.
 * The weight's logic is {@link PlainWeight}'s (shared with the image form {@link dev.fluvia.transforms.image.Conv1x1}).
 */
public final class PlainLinear implements Transform {
    public static final String KIND = "linear";

    private final Backend be;
    private final int dim;
    private final long seed;
    private final PlainWeight weight;
    private final Param w;

    public PlainLinear(Backend be, int dim, long seed) { this(ParamSource.fresh(be), be, dim, seed); }

    /** @param src where w comes from (a stored source draws nothing) */
    public PlainLinear(ParamSource src, Backend be, int dim, long seed) {
        if (dim < 1) throw new IllegalArgumentException(KIND + ": dim must be >= 1, got " + dim);
        this.be = be;
        this.dim = dim;
        this.seed = seed;
        this.weight = new PlainWeight(src, be, KIND, dim, seed);
        this.w = weight.param();
    }

    public int dim() { return dim; }
    /** The seed of the initial (random orthogonal) weight. */
    public long seed() { return seed; }

    @Override public String kind() { return KIND; }
    @Override public int[] eventShape() { return new int[] {dim}; }
    @Override public List<Param> params() { return List.of(w); }

    @Override public Tensor forward(Tensor x, Tensor ld, Stash stash) {
        Events.check(KIND, "forward", x, eventShape());
        Tensor y = be.alloc(x.shape());
        be.linearForward(x, w.value(), null, Activation.IDENTITY, null, y); // y_n = W x_n
        weight.addLogDet(ld, 1f);
        return y;
    }

    @Override public Tensor inverse(Tensor y, Tensor ld) {
        Events.check(KIND, "inverse", y, eventShape());
        return weight.inverse(y, ld, 1f);
    }

    @Override public Tensor backward(Tensor x, Tensor gy, Tensor gLd, Stash stash) {
        Events.check(KIND, "backward", x, eventShape());
        Tensor gx = be.alloc(x.shape());
        be.linearBackward(x, w.value(), gy, gx, w.grad(), null);
        weight.logDetBackward(gLd, 1f);
        return gx;
    }

}
