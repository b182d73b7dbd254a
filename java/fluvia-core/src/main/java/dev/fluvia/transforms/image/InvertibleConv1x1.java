package dev.fluvia.transforms.image;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fluvia.backend.Backend;
import dev.fluvia.param.Param;
import dev.fluvia.tensor.Tensor;
import dev.fluvia.transforms.LuWeight;
import dev.fluvia.transforms.Masks;
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

    /** Rebuilds from the checkpoint description; a stored permutation other than the seed's is kept (factors are loaded by name). */
    public static InvertibleConv1x1 fromConfig(Backend be, ObjectNode cfg) {
        int[] shape = ImageEvents.image(KIND, Masks.ints(cfg.get("shape")));
        long seed = cfg.get("seed").asLong();
        return new InvertibleConv1x1(be, shape, seed, LuWeight.restore(be, KIND, shape[0], seed, Masks.ints(cfg.get("perm"))));
    }

    @Override public String kind() { return KIND; }
    @Override public int[] eventShape() { return shape.clone(); }
    @Override public List<Param> params() { return lu.params(); }

    /** The current W {@code [C, C]} assembled from its factors (a new tensor). */
    public Tensor weight() { return lu.weight(); }

    @Override public Tensor forward(Tensor x, Tensor ld, Stash stash) {
        ImageEvents.check(KIND, "forward", x, shape);
        Tensor wt = weight();
        Tensor y = be.alloc(x.shape());
        be.conv().conv2dForward(x, be.view(wt, c, c, 1, 1), null, y);
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
        be.conv().conv2dBackward(x, be.view(wt, c, c, 1, 1), gy, gx, be.view(gw, c, c, 1, 1), null);
        lu.backward(gw, gLd, hw);
        be.release(gw);
        return gx;
    }

    @Override public ObjectNode config() {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.set("shape", Masks.json(shape));
        o.put("seed", seed);
        o.set("perm", Masks.json(lu.permutation()));
        return o;
    }
}
