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
 * Plain invertible linear map {@code y_n = W x_n} with a free {@code W [C, C]} (FLOWS.md's non-LU comparison variant
 * of the invertible 1×1 convolution), {@code ld = log|det W|} by a host float64 PLU factorisation of the small W
 * (slogdet). The inverse factors W on the host and runs the backend's triangular solves ({@code luSolve}); no explicit
 * inverse is applied to data. Initialised at the same random orthogonal matrix as {@link InvertibleLinear} for a seed.
 */
public final class PlainLinear implements Transform {
    public static final String KIND = "linear";

    private final Backend be;
    private final int dim;
    private final long seed;
    private final Param w;

    public PlainLinear(Backend be, int dim, long seed) {
        if (dim < 1) throw new IllegalArgumentException(KIND + ": dim must be >= 1, got " + dim);
        this.be = be;
        this.dim = dim;
        this.seed = seed;
        this.w = Param.of(be, "w", SmallLinalg.toFloat(SmallLinalg.randomOrthogonal(dim, seed)), true, dim, dim);
    }

    /** Rebuilds the layer from its checkpoint description; w is loaded afterwards by name. */
    public static PlainLinear fromConfig(Backend be, ObjectNode c) {
        return new PlainLinear(be, c.get("dim").asInt(), c.has("seed") ? c.get("seed").asLong() : 0L);
    }

    @Override public String kind() { return KIND; }
    @Override public int[] eventShape() { return new int[] {dim}; }
    @Override public List<Param> params() { return List.of(w); }

    /**
     * PLU factors of the current W (host float64).
     * @throws InvalidParameterException when W is singular or not finite
     */
    private SmallLinalg.Plu factor() {
        try {
            return SmallLinalg.plu(SmallLinalg.toDouble(be.toHost(w.value())), dim);
        } catch (InvalidParameterException e) {
            throw new InvalidParameterException(KIND + ": weight w cannot be used: " + e.getMessage());
        }
    }

    @Override public Tensor forward(Tensor x, Tensor ld, Stash stash) {
        Events.check(KIND, "forward", x, eventShape());
        Tensor y = be.alloc(x.shape());
        be.linearForward(x, w.value(), null, Activation.IDENTITY, null, y); // y_n = W x_n
        Tensor logAbsDet = be.fromHost(new float[] {(float) SmallLinalg.logAbsDet(factor())}, 1);
        be.addScaledSum(ld, logAbsDet, 1f);
        be.release(logAbsDet);
        return y;
    }

    @Override public Tensor inverse(Tensor y, Tensor ld) {
        Events.check(KIND, "inverse", y, eventShape());
        SmallLinalg.Plu f = factor();
        float[] lo = new float[dim * dim], up = new float[dim * dim], ls = new float[dim], sg = new float[dim];
        double logAbsDet = 0;
        for (int i = 0; i < dim; i++) {
            for (int j = 0; j < dim; j++) {
                if (i > j) lo[i * dim + j] = (float) f.lower()[i * dim + j];
                if (i < j) up[i * dim + j] = (float) f.upper()[i * dim + j];
            }
            double d = f.diag(i);
            sg[i] = d < 0 ? -1f : 1f;
            ls[i] = (float) Math.log(Math.abs(d));
            logAbsDet += Math.log(Math.abs(d));
        }
        Index p = be.index(f.perm());
        Tensor lt = be.fromHost(lo, dim, dim), ut = be.fromHost(up, dim, dim), lst = be.fromHost(ls, dim), sgt = be.fromHost(sg, dim);
        Tensor x = be.alloc(y.shape());
        be.luSolve(p, lt, ut, lst, sgt, y, x);
        Tensor ldt = be.fromHost(new float[] {(float) logAbsDet}, 1);
        be.addScaledSum(ld, ldt, -1f);
        for (Tensor t : new Tensor[] {lt, ut, lst, sgt, ldt}) be.release(t);
        return x;
    }

    @Override public Tensor backward(Tensor x, Tensor gy, Tensor gLd, Stash stash) {
        Events.check(KIND, "backward", x, eventShape());
        Tensor gx = be.alloc(x.shape());
        be.linearBackward(x, w.value(), gy, gx, w.grad(), null);
        // ∂ log|det W| / ∂W = W⁻ᵀ, the same for every sample: gW += (Σ_n gLd_n)·W⁻ᵀ
        Tensor winvT = be.fromHost(SmallLinalg.toFloat(SmallLinalg.inverseTranspose(factor())), dim, dim);
        be.axpy((float) be.sum(gLd), winvT, w.grad());
        be.release(winvT);
        return gx;
    }

    @Override public ObjectNode config() {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("dim", dim);
        o.put("seed", seed);
        return o;
    }
}
