package dev.fluvia.transforms.image;

import dev.fluvia.FluviaException.ShapeException;
import dev.fluvia.backend.Backend;
import dev.fluvia.param.Param;
import dev.fluvia.tensor.Tensor;
import dev.fluvia.param.Stash;
import dev.fluvia.transforms.Transform;
import java.util.List;

/**
 * Squeeze (RealNVP / Glow), FLOWS.md: {@code [C, H, W] → [4C, H/2, W/2]}, each 2×2 block into channels in the order of
 * {@link dev.fluvia.backend.image.ImageOps#squeeze} ({@code y[4c + 2i + j, h, w] = x[c, 2h + i, 2w + j]}); log-det 0.
 */
public final class Squeeze implements Transform {
    public static final String KIND = "squeeze";

    private final Backend be;
    private final int[] in, out;

    /** @throws ShapeException when H or W is odd */
    public Squeeze(Backend be, int... shape) {
        this.be = be;
        this.in = ImageEvents.image(KIND, shape);
        if (in[1] % 2 != 0 || in[2] % 2 != 0)
            throw new ShapeException(KIND + ": height and width must be even, got " + in[1] + "x" + in[2]);
        this.out = new int[] {4 * in[0], in[1] / 2, in[2] / 2};
    }

    @Override public String kind() { return KIND; }
    @Override public int[] eventShape() { return in.clone(); }
    @Override public int[] outputShape() { return out.clone(); }
    @Override public List<Param> params() { return List.of(); }

    @Override public Tensor forward(Tensor x, Tensor ld, Stash stash) {
        ImageEvents.check(KIND, "forward", x, in);
        Tensor y = be.alloc(ImageEvents.batch(x.dim(0), out));
        be.image().squeeze(x, y);
        return y;
    }

    @Override public Tensor inverse(Tensor y, Tensor ld) {
        ImageEvents.check(KIND, "inverse", y, out);
        Tensor x = be.alloc(ImageEvents.batch(y.dim(0), in));
        be.image().unsqueeze(y, x);
        return x;
    }

    @Override public Tensor backward(Tensor x, Tensor gy, Tensor gLd, Stash stash) {
        ImageEvents.check(KIND, "backward", x, in);
        Tensor gx = be.alloc(x.shape());
        be.image().unsqueeze(gy, gx);   // a permutation: its transpose is its inverse
        return gx;
    }

}
