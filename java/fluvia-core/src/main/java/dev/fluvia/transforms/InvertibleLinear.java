package dev.fluvia.transforms;

import dev.fluvia.param.Stash;
import dev.fluvia.backend.Activation;
import dev.fluvia.backend.Backend;
import dev.fluvia.param.Param;
import dev.fluvia.param.ParamSource;
import dev.fluvia.tensor.Tensor;
import java.util.List;

/**
 * Invertible linear map in LU form (Glow's invertible 1×1 convolution, on vectors), FLOWS.md:
 * {@code y_n = W x_n}, {@code W = P·L·(U + diag(sign·exp(logs)))}, {@code ld = Σ logs}.
 * {@code P} is a fixed stored permutation, {@code lower}/{@code upper} {@code [C, C]} hold the learned strict lower/upper
 * parts (the other entries are unused), {@code logs [C]} is learned and {@code sign [C]} is fixed (non-trainable).
 * Initialised from a random orthogonal {@code W₀} (seeded QR) factored by PLU with partial pivoting.
 * The inverse runs triangular solves ({@code luSolve}); no general inverse is ever formed. The weight's logic is
 * {@link LuWeight}'s (shared with the image form {@link dev.fluvia.transforms.image.InvertibleConv1x1}).
 */
public final class InvertibleLinear implements Transform {
    public static final String KIND = "lu_linear";

    private final Backend be;
    private final int dim;
    private final long seed;
    private final LuWeight lu;

    /** A layer initialised at a random orthogonal matrix drawn from {@code seed}. */
    public InvertibleLinear(Backend be, int dim, long seed) {
        this(be, dim, seed, new LuWeight(be, checkDim(dim), seed));
    }

    private InvertibleLinear(Backend be, int dim, long seed, LuWeight lu) {
        this.be = be;
        this.dim = dim;
        this.seed = seed;
        this.lu = lu;
    }

    /** A layer from a checkpoint: its stored permutation, and lower, upper, logs and sign from {@code src}. */
    public static InvertibleLinear stored(ParamSource src, Backend be, int dim, long seed, int[] perm) {
        int d = checkDim(dim);
        return new InvertibleLinear(be, d, seed, LuWeight.stored(src, be, KIND, d, seed, perm));
    }

    public int dim() { return dim; }
    /** The seed of the initial (random orthogonal) weight. */
    public long seed() { return seed; }

    private static int checkDim(int dim) {
        if (dim < 1) throw new IllegalArgumentException(KIND + ": dim must be >= 1, got " + dim);
        return dim;
    }

    /** The fixed row permutation P ({@code W[i, :] = (L'U')[perm[i], :]}). */
    public int[] permutation() { return lu.permutation(); }

    /** The current weight W assembled from its factors (a new tensor). */
    public Tensor weight() { return lu.weight(); }

    @Override public String kind() { return KIND; }
    @Override public int[] eventShape() { return new int[] {dim}; }
    @Override public List<Param> params() { return lu.params(); }

    @Override public Tensor forward(Tensor x, Tensor ld, Stash stash) {
        Events.check(KIND, "forward", x, eventShape());
        Tensor w = weight();
        Tensor y = be.alloc(x.shape());
        be.linearForward(x, w, null, Activation.IDENTITY, null, y); // y = x·Wᵀ, i.e. y_n = W x_n
        lu.addLogDet(ld, 1f);
        stash.put("w", w);
        return y;
    }

    @Override public Tensor inverse(Tensor y, Tensor ld) {
        Events.check(KIND, "inverse", y, eventShape());
        return lu.inverse(y, ld, 1f);
    }

    @Override public Tensor backward(Tensor x, Tensor gy, Tensor gLd, Stash stash) {
        Events.check(KIND, "backward", x, eventShape());
        Tensor w = stash.get("w");
        if (w == null) w = weight();
        Tensor gx = be.alloc(x.shape()), gw = be.alloc(dim, dim);
        be.linearBackward(x, w, gy, gx, gw, null);
        lu.backward(gw, gLd, 1f);
        be.release(gw);
        return gx;
    }

}
