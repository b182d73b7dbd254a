package dev.fluvia.transforms;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fluvia.backend.Activation;
import dev.fluvia.backend.Backend;
import dev.fluvia.nn.Param;
import dev.fluvia.tensor.Index;
import dev.fluvia.tensor.Tensor;
import java.util.List;

/**
 * Invertible linear map in LU form (Glow's invertible 1×1 convolution, on vectors), FLOWS.md:
 * {@code y_n = W x_n}, {@code W = P·L·(U + diag(sign·exp(logs)))}, {@code ld = Σ logs}.
 * {@code P} is a fixed stored permutation, {@code lower}/{@code upper} {@code [C, C]} hold the learned strict lower/upper
 * parts (the other entries are unused), {@code logs [C]} is learned and {@code sign [C]} is fixed (non-trainable).
 * Initialised from a random orthogonal {@code W₀} (seeded QR) factored by PLU with partial pivoting.
 * The inverse runs triangular solves ({@code luSolve}); no general inverse is ever formed.
 */
public final class InvertibleLinear implements Transform {
    public static final String KIND = "lu_linear";

    private final Backend be;
    private final int dim;
    private final long seed;
    private final int[] perm;
    private final Index permIdx;
    private final Param lower, upper, logs, sign;

    /** A layer initialised at a random orthogonal matrix drawn from {@code seed}. */
    public InvertibleLinear(Backend be, int dim, long seed) {
        this(be, dim, seed, SmallLinalg.plu(SmallLinalg.randomOrthogonal(checkDim(dim), seed), dim));
    }

    private InvertibleLinear(Backend be, int dim, long seed, SmallLinalg.Plu f) {
        this.be = be;
        this.dim = dim;
        this.seed = seed;
        this.perm = f.perm().clone();
        this.permIdx = be.index(perm);
        float[] lo = new float[dim * dim], up = new float[dim * dim], ls = new float[dim], sg = new float[dim];
        for (int i = 0; i < dim; i++)
            for (int j = 0; j < dim; j++) {
                if (i > j) lo[i * dim + j] = (float) f.lower()[i * dim + j];
                if (i < j) up[i * dim + j] = (float) f.upper()[i * dim + j];
            }
        for (int i = 0; i < dim; i++) {
            double d = f.diag(i);
            sg[i] = d < 0 ? -1f : 1f;
            ls[i] = (float) Math.log(Math.abs(d));
        }
        this.lower = Param.of(be, "lower", lo, true, dim, dim);
        this.upper = Param.of(be, "upper", up, true, dim, dim);
        this.logs = Param.of(be, "logs", ls, true, dim);
        this.sign = Param.of(be, "sign", sg, false, dim);
    }

    private static int checkDim(int dim) {
        if (dim < 1) throw new IllegalArgumentException(KIND + ": dim must be >= 1, got " + dim);
        return dim;
    }

    /**
     * Rebuilds the layer from its checkpoint description: the stored permutation is kept; lower, upper, logs and sign
     * are loaded afterwards by name.
     */
    public static InvertibleLinear fromConfig(Backend be, ObjectNode c) {
        int d = c.get("dim").asInt();
        long seed = c.has("seed") ? c.get("seed").asLong() : 0L;
        InvertibleLinear init = new InvertibleLinear(be, d, seed);
        int[] p = Masks.ints(c.get("perm"));
        if (java.util.Arrays.equals(p, init.perm)) return init;
        // a permutation other than the seed's (e.g. edited): keep it, placeholders for the loaded parameters
        double[] ident = SmallLinalg.identity(d);
        return new InvertibleLinear(be, d, seed, new SmallLinalg.Plu(checkPermutation(p, d), ident, ident, d));
    }

    private static int[] checkPermutation(int[] p, int d) {
        boolean[] seen = new boolean[d];
        if (p.length != d) throw new dev.fluvia.FluviaException.CheckpointException(KIND + ": stored permutation has " + p.length + " entries, expected " + d);
        for (int v : p) {
            if (v < 0 || v >= d || seen[v]) throw new dev.fluvia.FluviaException.CheckpointException(KIND + ": stored list is not a permutation of 0.." + (d - 1));
            seen[v] = true;
        }
        return p;
    }

    /** The fixed row permutation P ({@code W[i, :] = (L'U')[perm[i], :]}). */
    public int[] permutation() { return perm.clone(); }

    /** The current weight W assembled from its factors (a new tensor). */
    public Tensor weight() {
        Tensor w = be.alloc(dim, dim);
        be.luAssemble(permIdx, lower.value(), upper.value(), logs.value(), sign.value(), w);
        return w;
    }

    @Override public String kind() { return KIND; }
    @Override public int[] eventShape() { return new int[] {dim}; }
    @Override public List<Param> params() { return List.of(lower, upper, logs, sign); }

    @Override public Tensor forward(Tensor x, Tensor ld, Stash stash) {
        Events.check(KIND, "forward", x, eventShape());
        Tensor w = weight();
        Tensor y = be.alloc(x.shape());
        be.linearForward(x, w, null, Activation.IDENTITY, null, y); // y = x·Wᵀ, i.e. y_n = W x_n
        be.addScaledSum(ld, logs.value(), 1f);
        stash.put("w", w);
        return y;
    }

    @Override public Tensor inverse(Tensor y, Tensor ld) {
        Events.check(KIND, "inverse", y, eventShape());
        Tensor x = be.alloc(y.shape());
        be.luSolve(permIdx, lower.value(), upper.value(), logs.value(), sign.value(), y, x);
        be.addScaledSum(ld, logs.value(), -1f);
        return x;
    }

    @Override public Tensor backward(Tensor x, Tensor gy, Tensor gLd, Stash stash) {
        Events.check(KIND, "backward", x, eventShape());
        Tensor w = stash.get("w");
        if (w == null) w = weight();
        Tensor gx = be.alloc(x.shape()), gw = be.alloc(dim, dim);
        be.linearBackward(x, w, gy, gx, gw, null);
        be.luWeightBackward(permIdx, lower.value(), upper.value(), logs.value(), sign.value(), gw, lower.grad(), upper.grad(), logs.grad());
        be.addScaledTotal(logs.grad(), gLd, 1f);
        be.release(gw);
        return gx;
    }

    @Override public ObjectNode config() {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("dim", dim);
        o.put("seed", seed);
        o.set("perm", Masks.json(perm));
        return o;
    }
}
