package dev.fluvia.nn;

import dev.fluvia.param.Param;
import dev.fluvia.param.ParamSource;
import dev.fluvia.FluviaException.UnknownNameException;
import dev.fluvia.backend.Backend;
import dev.fluvia.tensor.Tensor;
import dev.fluvia.param.Stash;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A convolutional network {@code [N, Cin, H, W] → [N, Cout, H, W]} used as the conditioner of image couplings and of
 * Glow's split prior. Its last layer is zero-initialised (so a coupling starts as the identity).
 */
public interface ConvConditioner {
    /** out = net(x); stores activations under {@code key} when the stash is storing. */
    Tensor forward(Tensor x, Stash stash, String key);

    /** Accumulates parameter gradients and returns ∂L/∂x; recomputes the forward when nothing was stored under {@code key}. */
    Tensor backward(Tensor x, Tensor gOut, Stash stash, String key);

    List<Param> params();

    /** Data-dependent initialisation from a first batch of inputs x (inner ActNorms); a no-op for networks without any. */
    default void initialize(Tensor x) {}

    /** "glow", "glow_actnorm" or "resnet". */
    String type();

    /** Channels of the hidden convolutions. */
    int width();

    /** Residual blocks (0 for networks without any). */
    default int blocks() { return 0; }

    /** Builds a conditioner of the given type ("glow", "glow_actnorm": {@link GlowConvNet}, "resnet": {@link ResNetConditioner}). */
    static ConvConditioner create(Backend be, String prefix, String type, int in, int width, int blocks, int out, SplittableRandom rng) {
        return create(ParamSource.fresh(be), be, prefix, type, in, width, blocks, out, rng);
    }

    /** As {@link #create(Backend, String, String, int, int, int, int, SplittableRandom)}, the parameters from {@code src}. */
    static ConvConditioner create(ParamSource src, Backend be, String prefix, String type, int in, int width, int blocks, int out, SplittableRandom rng) {
        return switch (type) {
            case GlowConvNet.TYPE -> new GlowConvNet(src, be, prefix, in, width, out, false, rng);
            case GlowConvNet.TYPE_ACTNORM -> new GlowConvNet(src, be, prefix, in, width, out, true, rng);
            case ResNetConditioner.TYPE -> new ResNetConditioner(src, be, prefix, in, width, blocks, out, rng);
            default -> throw new UnknownNameException("unknown conv conditioner type '" + type + "' (known: glow, glow_actnorm, resnet)");
        };
    }
}
