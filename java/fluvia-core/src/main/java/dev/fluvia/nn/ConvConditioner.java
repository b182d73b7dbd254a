package dev.fluvia.nn;

import dev.fluvia.param.Param;
import com.fasterxml.jackson.databind.node.ObjectNode;
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

    /** {"type": "glow"|"glow_actnorm"|"resnet", "width": …, "blocks": …}. */
    ObjectNode config();

    /** Builds a conditioner of the given type ("glow", "glow_actnorm": {@link GlowConvNet}, "resnet": {@link ResNetConditioner}). */
    static ConvConditioner create(Backend be, String prefix, String type, int in, int width, int blocks, int out, SplittableRandom rng) {
        return switch (type) {
            case GlowConvNet.TYPE -> new GlowConvNet(be, prefix, in, width, out, rng);
            case GlowConvNet.TYPE_ACTNORM -> new GlowConvNet(be, prefix, in, width, out, true, rng);
            case ResNetConditioner.TYPE -> new ResNetConditioner(be, prefix, in, width, blocks, out, rng);
            default -> throw new UnknownNameException("unknown conv conditioner type '" + type + "' (known: glow, glow_actnorm, resnet)");
        };
    }

    /** Rebuilds from {@link #config()} (parameters are loaded afterwards by name). */
    static ConvConditioner fromConfig(Backend be, String prefix, int in, int out, ObjectNode c) {
        return create(be, prefix, c.get("type").asText(), in, c.get("width").asInt(), c.has("blocks") ? c.get("blocks").asInt() : 0, out,
                new SplittableRandom(0));
    }
}
