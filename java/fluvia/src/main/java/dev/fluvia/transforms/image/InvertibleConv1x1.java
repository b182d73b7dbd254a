package dev.fluvia.transforms.image;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fluvia.FluviaException.CheckpointException;
import dev.fluvia.backend.Backend;
import dev.fluvia.nn.Param;
import dev.fluvia.tensor.Index;
import dev.fluvia.tensor.Tensor;
import dev.fluvia.transforms.Masks;
import dev.fluvia.transforms.SmallLinalg;
import dev.fluvia.transforms.Stash;
import dev.fluvia.transforms.Transform;
import java.util.Arrays;
import java.util.List;

/**
 * Glow's invertible 1×1 convolution in LU form, FLOWS.md: {@code y[:, :, i, j] = W x[:, :, i, j]},
 * {@code W = P·L·(U + diag(sign·exp(logs)))}, {@code ld = H·W·Σ logs}. The same parameters and initialisation as the
 * vector layer {@link dev.fluvia.transforms.InvertibleLinear} (random orthogonal W₀ from a seed, PLU with partial
 * pivoting); the product runs as a 1×1 {@code conv2dForward}, the inverse as {@code luSolve} per pixel.
 */
public final class InvertibleConv1x1 implements Transform {
    public static final String KIND = "lu_conv1x1";

    private final Backend be;
    private final int[] shape;
    private final int c, hw;
    private final long seed;
    private final int[] perm;
    private final Index permIdx;
    private final Param lower, upper, logs, sign;

    public InvertibleConv1x1(Backend be, int[] shape, long seed) {
        this(be, ImageEvents.image(KIND, shape), seed, SmallLinalg.plu(SmallLinalg.randomOrthogonal(shape[0], seed), shape[0]));
    }

    private InvertibleConv1x1(Backend be, int[] shape, long seed, SmallLinalg.Plu f) {
        this.be = be;
        this.shape = shape.clone();
        this.c = shape[0];
        this.hw = shape[1] * shape[2];
        this.seed = seed;
        this.perm = f.perm().clone();
        this.permIdx = be.index(perm);
        float[] lo = new float[c * c], up = new float[c * c], ls = new float[c], sg = new float[c];
        for (int i = 0; i < c; i++) {
            for (int j = 0; j < c; j++) {
                if (i > j) lo[i * c + j] = (float) f.lower()[i * c + j];
                if (i < j) up[i * c + j] = (float) f.upper()[i * c + j];
            }
            double dg = f.diag(i);
            sg[i] = dg < 0 ? -1f : 1f;
            ls[i] = (float) Math.log(Math.abs(dg));
        }
        this.lower = Param.of(be, "lower", lo, true, c, c);
        this.upper = Param.of(be, "upper", up, true, c, c);
        this.logs = Param.of(be, "logs", ls, true, c);
        this.sign = Param.of(be, "sign", sg, false, c);
    }

    /** Rebuilds from the checkpoint description; a stored permutation other than the seed's is kept (factors are loaded by name). */
    public static InvertibleConv1x1 fromConfig(Backend be, ObjectNode cfg) {
        int[] shape = ImageEvents.image(KIND, Masks.ints(cfg.get("shape")));
        long seed = cfg.get("seed").asLong();
        InvertibleConv1x1 init = new InvertibleConv1x1(be, shape, seed);
        int[] p = Masks.ints(cfg.get("perm"));
        if (Arrays.equals(p, init.perm)) return init;
        int cc = shape[0];
        boolean[] seen = new boolean[cc];
        if (p.length != cc) throw new CheckpointException(KIND + ": stored permutation has " + p.length + " entries, expected " + cc);
        for (int v : p) {
            if (v < 0 || v >= cc || seen[v]) throw new CheckpointException(KIND + ": stored list is not a permutation of 0.." + (cc - 1));
            seen[v] = true;
        }
        double[] ident = SmallLinalg.identity(cc);
        return new InvertibleConv1x1(be, shape, seed, new SmallLinalg.Plu(p, ident, ident, cc));
    }

    @Override public String kind() { return KIND; }
    @Override public int[] eventShape() { return shape.clone(); }
    @Override public List<Param> params() { return List.of(lower, upper, logs, sign); }

    /** The current W {@code [C, C]} assembled from its factors (a new tensor). */
    public Tensor weight() {
        Tensor wt = be.alloc(c, c);
        be.luAssemble(permIdx, lower.value(), upper.value(), logs.value(), sign.value(), wt);
        return wt;
    }

    @Override public Tensor forward(Tensor x, Tensor ld, Stash stash) {
        ImageEvents.check(KIND, "forward", x, shape);
        Tensor wt = weight();
        Tensor y = be.alloc(x.shape());
        be.conv2dForward(x, be.view(wt, c, c, 1, 1), null, y);
        be.addScaledSum(ld, logs.value(), hw);
        stash.put("w", wt);
        return y;
    }

    @Override public Tensor inverse(Tensor y, Tensor ld) {
        ImageEvents.check(KIND, "inverse", y, shape);
        Tensor x = be.alloc(y.shape());
        be.luSolve(permIdx, lower.value(), upper.value(), logs.value(), sign.value(), y, x);
        be.addScaledSum(ld, logs.value(), -hw);
        return x;
    }

    @Override public Tensor backward(Tensor x, Tensor gy, Tensor gLd, Stash stash) {
        ImageEvents.check(KIND, "backward", x, shape);
        Tensor wt = stash.get("w");
        if (wt == null) wt = weight();
        Tensor gx = be.alloc(x.shape()), gw = be.alloc(c, c);
        be.conv2dBackward(x, be.view(wt, c, c, 1, 1), gy, gx, be.view(gw, c, c, 1, 1), null);
        be.luWeightBackward(permIdx, lower.value(), upper.value(), logs.value(), sign.value(), gw, lower.grad(), upper.grad(), logs.grad());
        be.addScaledTotal(logs.grad(), gLd, hw);
        be.release(gw);
        return gx;
    }

    @Override public ObjectNode config() {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.set("shape", Masks.json(shape));
        o.put("seed", seed);
        o.set("perm", Masks.json(perm));
        return o;
    }
}
