package dev.fluvia.transforms;

import dev.fluvia.param.Stash;
import dev.fluvia.FluviaException.CheckpointException;
import dev.fluvia.FluviaException.UnknownNameException;
import dev.fluvia.backend.Backend;
import dev.fluvia.param.Param;
import dev.fluvia.tensor.Index;
import dev.fluvia.tensor.Tensor;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A fixed permutation of the features (FLOWS.md): {@code y[:, k] = x[:, perm[k]]}, {@code ld = 0}.
 * Mode "reverse" ({@code perm[k] = D−1−k}) or "random" (a seeded uniform shuffle); the permutation itself is stored in the config.
 */
public final class Permutation implements Transform {
    public static final String KIND = "permutation";

    private final Backend be;
    private final String mode;
    private final int[] perm, inv;
    private final Index permIdx, invIdx;

    private Permutation(Backend be, String mode, int[] perm) {
        this.be = be;
        this.mode = mode;
        this.perm = perm.clone();
        this.inv = new int[perm.length];
        boolean[] seen = new boolean[perm.length];
        for (int k = 0; k < perm.length; k++) {
            int v = perm[k];
            if (v < 0 || v >= perm.length || seen[v])
                throw new CheckpointException(KIND + ": entry " + k + " (" + v + ") makes the stored list not a permutation of 0.." + (perm.length - 1));
            seen[v] = true;
            inv[v] = k;
        }
        this.permIdx = be.index(this.perm);
        this.invIdx = be.index(inv);
    }

    /**
     * A stored permutation (a checkpoint's): {@code mode} as recorded ("reverse", "random", ...).
     * @throws dev.fluvia.FluviaException.CheckpointException when {@code perm} is not a permutation of 0..D−1
     */
    public static Permutation stored(Backend be, String mode, int[] perm) { return new Permutation(be, mode, perm); }

    /** {@code perm[k]}: the input dim that output dim k takes. */
    public int[] perm() { return perm.clone(); }

    /** {@code perm[k] = D−1−k}. */
    public static Permutation reverse(Backend be, int dim) {
        checkDim(dim);
        int[] p = new int[dim];
        for (int k = 0; k < dim; k++) p[k] = dim - 1 - k;
        return new Permutation(be, "reverse", p);
    }

    /** A uniformly random permutation (Fisher–Yates), reproducible for a seed. */
    public static Permutation random(Backend be, int dim, long seed) {
        checkDim(dim);
        int[] p = new int[dim];
        for (int k = 0; k < dim; k++) p[k] = k;
        SplittableRandom rng = new SplittableRandom(seed);
        for (int k = dim - 1; k > 0; k--) {
            int j = rng.nextInt(k + 1);
            int t = p[k]; p[k] = p[j]; p[j] = t;
        }
        return new Permutation(be, "random", p);
    }

    /** Builds by mode name ("reverse" or "random"). */
    public static Permutation of(Backend be, String mode, int dim, long seed) {
        return switch (mode) {
            case "reverse" -> reverse(be, dim);
            case "random" -> random(be, dim, seed);
            default -> throw new UnknownNameException(KIND + ": unknown mode '" + mode + "' (known: reverse, random)");
        };
    }

    private static void checkDim(int dim) {
        if (dim < 1) throw new IllegalArgumentException(KIND + ": dim must be >= 1, got " + dim);
    }

    /** The permutation (a copy). */
    public int[] permutation() { return perm.clone(); }
    public String mode() { return mode; }

    @Override public String kind() { return KIND; }
    @Override public int[] eventShape() { return new int[] {perm.length}; }
    @Override public List<Param> params() { return List.of(); }

    @Override public Tensor forward(Tensor x, Tensor ld, Stash stash) {
        Events.check(KIND, "forward", x, eventShape());
        Tensor y = be.alloc(x.shape());
        be.gather(x, permIdx, y);
        return y;
    }

    @Override public Tensor inverse(Tensor y, Tensor ld) {
        Events.check(KIND, "inverse", y, eventShape());
        Tensor x = be.alloc(y.shape());
        be.gather(y, invIdx, x);
        return x;
    }

    @Override public Tensor backward(Tensor x, Tensor gy, Tensor gLd, Stash stash) {
        Events.check(KIND, "backward", x, eventShape());
        Tensor gx = be.alloc(x.shape()); // gx[:, perm[k]] = gy[:, k]  ⇔  gx[:, j] = gy[:, inv[j]]
        be.gather(gy, invIdx, gx);
        return gx;
    }

}
