package dev.fluvia.io.codec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fluvia.nn.ConvConditioner;
import dev.fluvia.nn.Mlp;

/** The configs of the conditioner networks inside coupling layers (part of their layer's config, not kinds of their own). */
final class Conditioners {
    private Conditioners() {}

    /** {"dims": [in, hidden..., out], "activation": id}. */
    static ObjectNode mlp(Mlp net) {
        ObjectNode o = Json.object();
        o.set("dims", Json.array(net.dims()));
        o.put("activation", net.activation().id());
        return o;
    }

    /** {"type": "glow"|"glow_actnorm"|"resnet", "width": …, "blocks": … (resnet only)}. */
    static ObjectNode conv(ConvConditioner net) {
        ObjectNode o = Json.object();
        o.put("type", net.type());
        o.put("width", net.width());
        if (net.type().equals(dev.fluvia.nn.ResNetConditioner.TYPE)) o.put("blocks", net.blocks());
        return o;
    }

    static int blocks(JsonNode cond) { return cond.has("blocks") ? cond.get("blocks").asInt() : 0; }
}
