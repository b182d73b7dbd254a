package dev.fluvia.transforms;

import dev.fluvia.backend.Backend;
import dev.fluvia.param.Param;
import dev.fluvia.param.ParamSource;
import dev.fluvia.tensor.Index;
import dev.fluvia.tensor.Tensor;

/**
 * The free weight {@code W [C, C]} shared by {@link PlainLinear} and {@link dev.fluvia.transforms.image.Conv1x1}
 * (FLOWS.md's non-LU comparison variant): initialised at the random orthogonal matrix of a seed; its log-det term
 * {@code mult·log|det W|} ({@code mult} = 1 for vectors, H·W for images) by a host float64 PLU factorisation of the
 * small W (slogdet); the inverse by the backend's triangular solves ({@code luSolve}) on those factors, so no explicit
 * inverse is applied to data. The layers differ only in how they apply W to data.
 */
public final class PlainWeight {
    private final Backend be;
    private final String kind;
    private final int c;
    private final Param w;

    /** @param kind the owning layer's kind, named in error messages */
    public PlainWeight(Backend be, String kind, int c, long seed) { this(ParamSource.fresh(be), be, kind, c, seed); }

    /** @param src where w comes from (a stored source draws nothing) */
    public PlainWeight(ParamSource src, Backend be, String kind, int c, long seed) {
        this.be = be;
        this.kind = kind;
        this.c = c;
        this.w = src.param("w", true, () -> SmallLinalg.toFloat(SmallLinalg.randomOrthogonal(c, seed)), c, c);
    }

    /** The parameter {@code w}. */
    public Param param() { return w; }

    /**
     * PLU factors of the current W (host float64).
     * @throws InvalidParameterException when W is singular or not finite
     */
    private SmallLinalg.Plu factor() {
        try {
            return SmallLinalg.plu(SmallLinalg.toDouble(be.toHost(w.value())), c);
        } catch (InvalidParameterException e) {
            throw new InvalidParameterException(kind + ": weight w cannot be used: " + e.getMessage());
        }
    }

    /** {@code ld += mult·log|det W|}. */
    public void addLogDet(Tensor ld, float mult) {
        Tensor logAbsDet = be.fromHost(new float[] {(float) SmallLinalg.logAbsDet(factor())}, 1);
        be.addScaledSum(ld, logAbsDet, mult);
        be.release(logAbsDet);
    }

    /** Solves {@code W x = y} per sample (and per pixel of an image) and adds {@code −mult·log|det W|} into ld. */
    public Tensor inverse(Tensor y, Tensor ld, float mult) {
        SmallLinalg.Plu f = factor();
        float[][] h = LuWeight.hostFactors(f);
        Index p = be.index(f.perm());
        Tensor lt = be.fromHost(h[0], c, c), ut = be.fromHost(h[1], c, c), lst = be.fromHost(h[2], c), sgt = be.fromHost(h[3], c);
        Tensor x = be.alloc(y.shape());
        be.luSolve(p, lt, ut, lst, sgt, y, x);
        Tensor ldt = be.fromHost(new float[] {(float) SmallLinalg.logAbsDet(f)}, 1);
        be.addScaledSum(ld, ldt, -mult);
        for (Tensor t : new Tensor[] {lt, ut, lst, sgt, ldt}) be.release(t);
        return x;
    }

    /**
     * Accumulates the gradient of the log-det term into {@code w}'s: {@code ∂(mult·log|det W|)/∂W = mult·W⁻ᵀ} for every
     * sample, so {@code gW += mult·(Σ_n gLd_n)·W⁻ᵀ}.
     */
    public void logDetBackward(Tensor gLd, float mult) {
        Tensor winvT = be.fromHost(SmallLinalg.toFloat(SmallLinalg.inverseTranspose(factor())), c, c);
        be.axpy((float) (mult * be.sum(gLd)), winvT, w.grad());
        be.release(winvT);
    }
}
