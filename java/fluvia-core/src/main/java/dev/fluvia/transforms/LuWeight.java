package dev.fluvia.transforms;

import dev.fluvia.FluviaException.CheckpointException;
import dev.fluvia.backend.Backend;
import dev.fluvia.param.Param;
import dev.fluvia.tensor.Index;
import dev.fluvia.tensor.Tensor;
import java.util.Arrays;
import java.util.List;

/**
 * The LU-parametrised weight {@code W = P·L·(U + diag(sign·exp(logs)))} {@code [C, C]} shared by
 * {@link InvertibleLinear} and {@link dev.fluvia.transforms.image.InvertibleConv1x1} (FLOWS.md): the fixed stored
 * permutation P, the parameters {@code lower}/{@code upper} {@code [C, C]} (learned strict lower/upper parts),
 * {@code logs [C]} (learned) and {@code sign [C]} (fixed), W's assembly, the log-det term {@code mult·Σ logs}
 * ({@code mult} = 1 for vectors, H·W for images), the inverse by triangular solves and the parameters' backward.
 * The layers differ only in how they apply W to data.
 */
public final class LuWeight {
    private final Backend be;
    private final int c;
    private final int[] perm;
    private final Index permIdx;
    private final Param lower, upper, logs, sign;

    /** The factors of a random orthogonal {@code W₀ [c, c]} drawn from {@code seed} (seeded QR, PLU with partial pivoting). */
    public LuWeight(Backend be, int c, long seed) {
        this(be, c, SmallLinalg.plu(SmallLinalg.randomOrthogonal(c, seed), c));
    }

    private LuWeight(Backend be, int c, SmallLinalg.Plu f) {
        this.be = be;
        this.c = c;
        this.perm = f.perm().clone();
        this.permIdx = be.index(perm);
        float[][] h = hostFactors(f);
        this.lower = Param.of(be, "lower", h[0], true, c, c);
        this.upper = Param.of(be, "upper", h[1], true, c, c);
        this.logs = Param.of(be, "logs", h[2], true, c);
        this.sign = Param.of(be, "sign", h[3], false, c);
    }

    /**
     * The weight of a checkpoint: the seed's when {@code storedPerm} is the seed's permutation, else the stored
     * permutation (e.g. edited) with placeholder factors, which the loaded parameters then overwrite by name.
     * @throws CheckpointException naming {@code kind} when {@code storedPerm} is not a permutation of 0..c−1
     */
    public static LuWeight restore(Backend be, String kind, int c, long seed, int[] storedPerm) {
        LuWeight init = new LuWeight(be, c, seed);
        if (Arrays.equals(storedPerm, init.perm)) return init;
        boolean[] seen = new boolean[c];
        if (storedPerm.length != c) throw new CheckpointException(kind + ": stored permutation has " + storedPerm.length + " entries, expected " + c);
        for (int v : storedPerm) {
            if (v < 0 || v >= c || seen[v]) throw new CheckpointException(kind + ": stored list is not a permutation of 0.." + (c - 1));
            seen[v] = true;
        }
        double[] ident = SmallLinalg.identity(c);
        return new LuWeight(be, c, new SmallLinalg.Plu(storedPerm, ident, ident, c));
    }

    /**
     * Float32 host arrays {@code {lower, upper, logs, sign}} of PLU factors: the strict lower and upper parts,
     * {@code log|U_ii|} and {@code sign(U_ii)}.
     */
    static float[][] hostFactors(SmallLinalg.Plu f) {
        int c = f.c();
        float[] lo = new float[c * c], up = new float[c * c], ls = new float[c], sg = new float[c];
        for (int i = 0; i < c; i++) {
            for (int j = 0; j < c; j++) {
                if (i > j) lo[i * c + j] = (float) f.lower()[i * c + j];
                if (i < j) up[i * c + j] = (float) f.upper()[i * c + j];
            }
            double d = f.diag(i);
            sg[i] = d < 0 ? -1f : 1f;
            ls[i] = (float) Math.log(Math.abs(d));
        }
        return new float[][] {lo, up, ls, sg};
    }

    /** The fixed row permutation P ({@code W[i, :] = (L'U')[perm[i], :]}). */
    public int[] permutation() { return perm.clone(); }

    /** lower, upper, logs, sign: the layer's parameters, in checkpoint order. */
    public List<Param> params() { return List.of(lower, upper, logs, sign); }

    /** The current W {@code [C, C]} assembled from its factors (a new tensor). */
    public Tensor weight() {
        Tensor w = be.alloc(c, c);
        be.lu().luAssemble(permIdx, lower.value(), upper.value(), logs.value(), sign.value(), w);
        return w;
    }

    /** {@code ld += mult·Σ logs}: the forward log-det of W applied {@code mult} times per sample. */
    public void addLogDet(Tensor ld, float mult) { be.reduce().addScaledSum(ld, logs.value(), mult); }

    /** Solves {@code W x = y} per sample (and per pixel of an image) and adds {@code −mult·Σ logs} into ld. */
    public Tensor inverse(Tensor y, Tensor ld, float mult) {
        Tensor x = be.alloc(y.shape());
        be.lu().luSolve(permIdx, lower.value(), upper.value(), logs.value(), sign.value(), y, x);
        be.reduce().addScaledSum(ld, logs.value(), -mult);
        return x;
    }

    /**
     * Accumulates the factors' gradients from {@code gw = ∂L/∂W} and from the log-det term {@code mult·Σ logs}
     * ({@code ∂/∂logs += mult·Σ_n gLd_n}).
     */
    public void backward(Tensor gw, Tensor gLd, float mult) {
        be.lu().luWeightBackward(permIdx, lower.value(), upper.value(), logs.value(), sign.value(), gw, lower.grad(), upper.grad(), logs.grad());
        be.reduce().addScaledTotal(logs.grad(), gLd, mult);
    }
}
