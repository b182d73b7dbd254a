package dev.fluvia.transforms.image;

import dev.fluvia.backend.Backend;
import dev.fluvia.param.Param;
import dev.fluvia.param.ParamSource;
import dev.fluvia.tensor.Tensor;
import dev.fluvia.transforms.LuWeight;
import dev.fluvia.param.Stash;
import dev.fluvia.transforms.Transform;
import java.util.List;

/**
 * Glow's invertible 1×1 convolution in LU form, FLOWS.md: {@code y[:, :, i, j] = W x[:, :, i, j]},
 * {@code W = P·L·(U + diag(sign·exp(logs)))}, {@code ld = H·W·Σ logs}. The same parameters and initialisation as the
 * vector layer {@link dev.fluvia.transforms.InvertibleLinear} (random orthogonal W₀ from a seed, PLU with partial
 * pivoting; both are {@link LuWeight}); the product runs as a 1×1 {@code conv2dForward}, the inverse as {@code luSolve}
 * per pixel.
 */
public final class InvertibleConv1x1 implements Transform {
    public static final String KIND = "lu_conv1x1";

    private final Backend be;
    private final int[] shape;
    private final int c, hw;
    private final long seed;
    private final LuWeight lu;

    public InvertibleConv1x1(Backend be, int[] shape, long seed) {
        this(be, ImageEvents.image(KIND, shape), seed, null);
    }

    /** {@code lu == null}: the seed's weight; {@code shape} is already checked. */
    private InvertibleConv1x1(Backend be, int[] shape, long seed, LuWeight lu) {
        this.be = be;
        this.shape = shape.clone();
        this.c = shape[0];
        this.hw = shape[1] * shape[2];
        this.seed = seed;
        this.lu = lu != null ? lu : new LuWeight(be, c, seed);
    }

    /** A layer from a checkpoint: its stored permutation, and lower, upper, logs and sign from {@code src}. */
    public static InvertibleConv1x1 stored(ParamSource src, Backend be, int[] shape, long seed, int[] perm) {
        int[] s = ImageEvents.image(KIND, shape);
        return new InvertibleConv1x1(be, s, seed, LuWeight.stored(src, be, KIND, s[0], seed, perm));
    }

    /** The seed of the initial (random orthogonal) weight. */
    public long seed() { return seed; }

    /** The fixed channel permutation P. */
    public int[] permutation() { return lu.permutation(); }

    @Override public String kind() { return KIND; }
    @Override public int[] eventShape() { return shape.clone(); }
    @Override public List<Param> params() { return lu.params(); }

    /** The current W {@code [C, C]} assembled from its factors (a new tensor). */
    public Tensor weight() { return lu.weight(); }

    @Override public Tensor forward(Tensor x, Tensor ld, Stash stash) {
        ImageEvents.check(KIND, "forward", x, shape);
        Tensor wt = weight();
        Tensor y = be.alloc(x.shape());
        be.conv2dForward(x, be.view(wt, c, c, 1, 1), null, y);
        lu.addLogDet(ld, hw);
        stash.put("w", wt);
        return y;
    }

    @Override public Tensor inverse(Tensor y, Tensor ld) {
        ImageEvents.check(KIND, "inverse", y, shape);
        return lu.inverse(y, ld, hw);
    }

    @Override public Tensor backward(Tensor x, Tensor gy, Tensor gLd, Stash stash) {
        ImageEvents.check(KIND, "backward", x, shape);
        Tensor wt = stash.get("w");
        if (wt == null) wt = weight();
        Tensor gx = be.alloc(x.shape()), gw = be.alloc(c, c);
        be.conv2dBackward(x, be.view(wt, c, c, 1, 1), gy, gx, be.view(gw, c, c, 1, 1), null);
        lu.backward(gw, gLd, hw);
        be.release(gw);
        return gx;
    }

}
