package dev.fluvia.transforms.image;

import dev.fluvia.backend.Backend;
import dev.fluvia.param.Param;
import dev.fluvia.param.ParamSource;
import dev.fluvia.tensor.Tensor;
import dev.fluvia.transforms.PlainWeight;
import dev.fluvia.param.Stash;
import dev.fluvia.transforms.Transform;
import java.util.List;

/**
 * Glow's plain invertible 1×1 convolution (the non-LU comparison variant), FLOWS.md: a free {@code W [C, C]},
 * {@code ld = H·W·log|det W|} by a host float64 PLU factorisation of the small W (slogdet). The inverse factors W on the
 * host and runs {@code luSolve} per pixel. Initialised at the random orthogonal matrix of the seed. The weight's logic
 * is {@link PlainWeight}'s (shared with the vector form {@link dev.fluvia.transforms.PlainLinear}).
 */
public final class Conv1x1 implements Transform {
    public static final String KIND = "conv1x1";

    private final Backend be;
    private final int[] shape;
    private final int c, hw;
    private final long seed;
    private final PlainWeight weight;
    private final Param w;

    public Conv1x1(Backend be, int[] shape, long seed) { this(ParamSource.fresh(be), be, shape, seed); }

    /** @param src where w comes from (a stored source draws nothing) */
    public Conv1x1(ParamSource src, Backend be, int[] shape, long seed) {
        this.be = be;
        this.shape = ImageEvents.image(KIND, shape);
        this.c = shape[0];
        this.hw = shape[1] * shape[2];
        this.seed = seed;
        this.weight = new PlainWeight(src, be, KIND, c, seed);
        this.w = weight.param();
    }

    /** The seed of the initial (random orthogonal) weight. */
    public long seed() { return seed; }

    @Override public String kind() { return KIND; }
    @Override public int[] eventShape() { return shape.clone(); }
    @Override public List<Param> params() { return List.of(w); }

    private Tensor kernel(Tensor m) { return be.view(m, c, c, 1, 1); }

    @Override public Tensor forward(Tensor x, Tensor ld, Stash stash) {
        ImageEvents.check(KIND, "forward", x, shape);
        Tensor y = be.alloc(x.shape());
        be.conv2dForward(x, kernel(w.value()), null, y);
        weight.addLogDet(ld, hw);
        return y;
    }

    @Override public Tensor inverse(Tensor y, Tensor ld) {
        ImageEvents.check(KIND, "inverse", y, shape);
        return weight.inverse(y, ld, hw);
    }

    @Override public Tensor backward(Tensor x, Tensor gy, Tensor gLd, Stash stash) {
        ImageEvents.check(KIND, "backward", x, shape);
        Tensor gx = be.alloc(x.shape());
        be.conv2dBackward(x, kernel(w.value()), gy, gx, kernel(w.grad()), null);
        weight.logDetBackward(gLd, hw);
        return gx;
    }

}
