package dev.fluvia.transforms;

import dev.fluvia.FluviaException.CheckpointException;
import dev.fluvia.backend.Backend;
import dev.fluvia.param.Param;
import dev.fluvia.param.ParamSource;
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
        this(ParamSource.fresh(be), be, c, SmallLinalg.plu(SmallLinalg.randomOrthogonal(c, seed), c));
    }

    private LuWeight(ParamSource src, Backend be, int c, SmallLinalg.Plu f) { this(src, be, c, f.perm(), hostFactors(f)); }

    /** {@code h}: the host factors {lower, upper, logs, sign}, or null for a stored source (which never asks for them). */
    private LuWeight(ParamSource src, Backend be, int c, int[] perm, float[][] h) {
        this.be = be;
        this.c = c;
        this.perm = perm.clone();
        this.permIdx = be.index(this.perm);
        this.lower = src.param("lower", true, () -> h[0], c, c);
        this.upper = src.param("upper", true, () -> h[1], c, c);
        this.logs = src.param("logs", true, () -> h[2], c);
        this.sign = src.param("sign", false, () -> h[3], c);
    }

    /**
     * The weight of a checkpoint: the stored permutation and the factors from {@code src} (a stored source: nothing is
     * drawn or decomposed; a fresh one, rebuilding from the config alone: the seed's factors, or the identity's when the
     * stored permutation is not the seed's).
     * @throws CheckpointException naming {@code kind} when {@code storedPerm} is not a permutation of 0..c−1
     */
    public static LuWeight stored(ParamSource src, Backend be, String kind, int c, long seed, int[] storedPerm) {
        boolean[] seen = new boolean[c];
        if (storedPerm.length != c) throw new CheckpointException(kind + ": stored permutation has " + storedPerm.length + " entries, expected " + c);
        for (int v : storedPerm) {
            if (v < 0 || v >= c || seen[v]) throw new CheckpointException(kind + ": stored list is not a permutation of 0.." + (c - 1));
            seen[v] = true;
        }
        float[][] h = null;
        if (src.fresh()) {  // rebuilt from the config alone: the seed's factors when the permutation is the seed's, else the identity's
            SmallLinalg.Plu f = SmallLinalg.plu(SmallLinalg.randomOrthogonal(c, seed), c);
            double[] ident = SmallLinalg.identity(c);
            h = hostFactors(Arrays.equals(f.perm(), storedPerm) ? f : new SmallLinalg.Plu(storedPerm, ident, ident, c));
        }
        return new LuWeight(src, be, c, storedPerm, h);
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
        be.luAssemble(permIdx, lower.value(), upper.value(), logs.value(), sign.value(), w);
        return w;
    }

    /** {@code ld += mult·Σ logs}: the forward log-det of W applied {@code mult} times per sample. */
    public void addLogDet(Tensor ld, float mult) { be.addScaledSum(ld, logs.value(), mult); }

    /** Solves {@code W x = y} per sample (and per pixel of an image) and adds {@code −mult·Σ logs} into ld. */
    public Tensor inverse(Tensor y, Tensor ld, float mult) {
        Tensor x = be.alloc(y.shape());
        be.luSolve(permIdx, lower.value(), upper.value(), logs.value(), sign.value(), y, x);
        be.addScaledSum(ld, logs.value(), -mult);
        return x;
    }

    /**
     * Accumulates the factors' gradients from {@code gw = ∂L/∂W} and from the log-det term {@code mult·Σ logs}
     * ({@code ∂/∂logs += mult·Σ_n gLd_n}).
     */
    public void backward(Tensor gw, Tensor gLd, float mult) {
        be.luWeightBackward(permIdx, lower.value(), upper.value(), logs.value(), sign.value(), gw, lower.grad(), upper.grad(), logs.grad());
        be.addScaledTotal(logs.grad(), gLd, mult);
    }
}
