package dev.fluvia.transforms.image;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fluvia.backend.Backend;
import dev.fluvia.nn.Param;
import dev.fluvia.tensor.Index;
import dev.fluvia.tensor.Tensor;
import dev.fluvia.transforms.InvalidParameterException;
import dev.fluvia.transforms.Masks;
import dev.fluvia.transforms.SmallLinalg;
import dev.fluvia.transforms.Stash;
import dev.fluvia.transforms.Transform;
import java.util.List;

/**
 * Glow's plain invertible 1×1 convolution (the non-LU comparison variant), FLOWS.md: a free {@code W [C, C]},
 * {@code ld = H·W·log|det W|} by a host float64 PLU factorisation of the small W (slogdet). The inverse factors W on the
 * host and runs {@code luSolve} per pixel. Initialised at the random orthogonal matrix of the seed.
 */
public final class Conv1x1 implements Transform {
    public static final String KIND = "conv1x1";

    private final Backend be;
    private final int[] shape;
    private final int c, hw;
    private final long seed;
    private final Param w;

    public Conv1x1(Backend be, int[] shape, long seed) {
        this.be = be;
        this.shape = ImageEvents.image(KIND, shape);
        this.c = shape[0];
        this.hw = shape[1] * shape[2];
        this.seed = seed;
        this.w = Param.of(be, "w", SmallLinalg.toFloat(SmallLinalg.randomOrthogonal(c, seed)), true, c, c);
    }

    public static Conv1x1 fromConfig(Backend be, ObjectNode cfg) {
        return new Conv1x1(be, Masks.ints(cfg.get("shape")), cfg.get("seed").asLong());
    }

    @Override public String kind() { return KIND; }
    @Override public int[] eventShape() { return shape.clone(); }
    @Override public List<Param> params() { return List.of(w); }

    private SmallLinalg.Plu factor() {
        try {
            return SmallLinalg.plu(SmallLinalg.toDouble(be.toHost(w.value())), c);
        } catch (InvalidParameterException e) {
            throw new InvalidParameterException(KIND + ": weight w cannot be used: " + e.getMessage());
        }
    }

    private Tensor kernel(Tensor m) { return be.view(m, c, c, 1, 1); }

    @Override public Tensor forward(Tensor x, Tensor ld, Stash stash) {
        ImageEvents.check(KIND, "forward", x, shape);
        Tensor y = be.alloc(x.shape());
        be.conv2dForward(x, kernel(w.value()), null, y);
        Tensor lad = be.fromHost(new float[] {(float) SmallLinalg.logAbsDet(factor())}, 1);
        be.addScaledSum(ld, lad, hw);
        be.release(lad);
        return y;
    }

    @Override public Tensor inverse(Tensor y, Tensor ld) {
        ImageEvents.check(KIND, "inverse", y, shape);
        SmallLinalg.Plu f = factor();
        float[] lo = new float[c * c], up = new float[c * c], ls = new float[c], sg = new float[c];
        double logAbsDet = 0;
        for (int i = 0; i < c; i++) {
            for (int j = 0; j < c; j++) {
                if (i > j) lo[i * c + j] = (float) f.lower()[i * c + j];
                if (i < j) up[i * c + j] = (float) f.upper()[i * c + j];
            }
            double dg = f.diag(i);
            sg[i] = dg < 0 ? -1f : 1f;
            ls[i] = (float) Math.log(Math.abs(dg));
            logAbsDet += Math.log(Math.abs(dg));
        }
        Index p = be.index(f.perm());
        Tensor lt = be.fromHost(lo, c, c), ut = be.fromHost(up, c, c), lst = be.fromHost(ls, c), sgt = be.fromHost(sg, c);
        Tensor x = be.alloc(y.shape());
        be.luSolve(p, lt, ut, lst, sgt, y, x);
        Tensor ldt = be.fromHost(new float[] {(float) logAbsDet}, 1);
        be.addScaledSum(ld, ldt, -hw);
        for (Tensor t : new Tensor[] {lt, ut, lst, sgt, ldt}) be.release(t);
        return x;
    }

    @Override public Tensor backward(Tensor x, Tensor gy, Tensor gLd, Stash stash) {
        ImageEvents.check(KIND, "backward", x, shape);
        Tensor gx = be.alloc(x.shape());
        be.conv2dBackward(x, kernel(w.value()), gy, gx, kernel(w.grad()), null);
        // ∂(H·W·log|det W|)/∂W = H·W·W⁻ᵀ for every sample: gW += H·W·(Σ_n gLd_n)·W⁻ᵀ
        Tensor winvT = be.fromHost(SmallLinalg.toFloat(SmallLinalg.inverseTranspose(factor())), c, c);
        be.axpy((float) (hw * be.sum(gLd)), winvT, w.grad());
        be.release(winvT);
        return gx;
    }

    @Override public ObjectNode config() {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.set("shape", Masks.json(shape));
        o.put("seed", seed);
        return o;
    }
}
