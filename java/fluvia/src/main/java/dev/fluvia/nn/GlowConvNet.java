package dev.fluvia.nn;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fluvia.backend.Activation;
import dev.fluvia.backend.Backend;
import dev.fluvia.tensor.Tensor;
import dev.fluvia.transforms.Stash;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Glow's coupling network: conv 3×3 (in → width) → ReLU → conv 1×1 (width → width) → ReLU → zero-initialised conv 3×3
 * (width → out). Glow puts an ActNorm after each of the first two convolutions; here they are plain convolutions with
 * biases instead (no data-dependent initialisation inside a conditioner), which keeps the layer free of hidden state.
 */
public final class GlowConvNet implements ConvConditioner {
    public static final String TYPE = "glow";

    private final Backend be;
    private final int width;
    private final Conv2d c0, c1, c2;

    public GlowConvNet(Backend be, String prefix, int in, int width, int out, SplittableRandom rng) {
        this.be = be;
        this.width = width;
        this.c0 = new Conv2d(be, prefix + "conv0.", in, width, 3, false, rng);
        this.c1 = new Conv2d(be, prefix + "conv1.", width, width, 1, false, rng);
        this.c2 = new Conv2d(be, prefix + "conv2.", width, out, 3, true, rng);
    }

    @Override public List<Param> params() {
        List<Param> ps = new ArrayList<>(c0.params());
        ps.addAll(c1.params());
        ps.addAll(c2.params());
        return ps;
    }

    private Tensor relu(Tensor t) {
        be.activate(Activation.RELU, t, t);
        return t;
    }

    @Override public Tensor forward(Tensor x, Stash stash, String key) {
        Tensor a0 = relu(c0.forward(x));
        Tensor a1 = relu(c1.forward(a0));
        Tensor out = c2.forward(a1);
        stash.put(key + ".a0", a0);
        stash.put(key + ".a1", a1);
        return out;
    }

    @Override public Tensor backward(Tensor x, Tensor gOut, Stash stash, String key) {
        if (stash.get(key + ".a1") == null) {
            stash = new Stash(true);
            forward(x, stash, key);
        }
        Tensor a0 = stash.get(key + ".a0"), a1 = stash.get(key + ".a1");
        Tensor g1 = c2.backward(a1, gOut, true);
        be.activationBackward(Activation.RELU, null, a1, g1, g1);
        Tensor g0 = c1.backward(a0, g1, true);
        be.activationBackward(Activation.RELU, null, a0, g0, g0);
        return c0.backward(x, g0, true);
    }

    @Override public ObjectNode config() {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("type", TYPE);
        o.put("width", width);
        return o;
    }
}
