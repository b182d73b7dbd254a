package dev.fluvia.nn;

import dev.fluvia.param.Param;
import dev.fluvia.param.ParamSource;
import dev.fluvia.backend.Backend;
import dev.fluvia.tensor.Tensor;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A 2-D convolution layer (stride 1, "same" zero padding, k = 1 or 3) with bias: parameters {@code prefix + "w"}
 * {@code [Co, Ci, k, k]} and {@code prefix + "b"} {@code [Co]}. Initialised like PyTorch's default (uniform ±1/√(Ci·k²)),
 * or all zero (the last layer of a conditioner, so that a coupling starts as the identity).
 */
public final class Conv2d {
    private final Backend be;
    private final int in, out, k;
    private final Param w, b;

    public Conv2d(Backend be, String prefix, int in, int out, int k, boolean zero, SplittableRandom rng) {
        this(ParamSource.fresh(be), be, prefix, in, out, k, zero, rng);
    }

    /** @param src where the weights come from (a stored source draws nothing from {@code rng}, which may then be null) */
    public Conv2d(ParamSource src, Backend be, String prefix, int in, int out, int k, boolean zero, SplittableRandom rng) {
        if (in < 1 || out < 1) throw new IllegalArgumentException("Conv2d: channel counts must be >= 1, got " + in + " -> " + out);
        if (k != 1 && k != 3) throw new IllegalArgumentException("Conv2d: kernel size must be 1 or 3, got " + k);
        this.be = be;
        this.in = in;
        this.out = out;
        this.k = k;
        double bound = 1.0 / Math.sqrt(in * k * k);
        this.w = src.param(prefix + "w", true, () -> Mlp.uniform(out * in * k * k, !zero, bound, rng), out, in, k, k);
        this.b = src.param(prefix + "b", true, () -> Mlp.uniform(out, !zero, bound, rng), out);
    }

    public int inChannels() { return in; }
    public int outChannels() { return out; }
    public List<Param> params() { return List.of(w, b); }

    /** y = conv(x) + b, a new tensor {@code [N, Co, H, W]}. */
    public Tensor forward(Tensor x) {
        Tensor y = be.alloc(x.dim(0), out, x.dim(2), x.dim(3));
        be.conv2dForward(x, w.value(), b.value(), y);
        return y;
    }

    /** Accumulates the weight and bias gradients and returns ∂L/∂x (a new tensor), or null when {@code needInput} is false. */
    public Tensor backward(Tensor x, Tensor gy, boolean needInput) {
        Tensor gx = needInput ? be.alloc(x.shape()) : null;
        be.conv2dBackward(x, w.value(), gy, gx, w.grad(), b.grad());
        return gx;
    }
}
