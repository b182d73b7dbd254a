package dev.fluvia.io.codec;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fluvia.backend.Backend;
import dev.fluvia.param.ParamSource;
import dev.fluvia.transforms.image.ImageAffineCoupling;
import dev.fluvia.backend.CouplingScale;

/** {@link ImageAffineCoupling}: config {"shape", "mask", "parity", "scale", "clamp", "conditioner": {"type", "width", "blocks"}}. */
public final class ImageAffineCouplingCodec implements Codec<ImageAffineCoupling> {
    @Override public String kind() { return ImageAffineCoupling.KIND; }
    @Override public Class<ImageAffineCoupling> type() { return ImageAffineCoupling.class; }

    @Override public ObjectNode write(ImageAffineCoupling t) {
        ObjectNode o = Json.object();
        o.set("shape", Json.array(t.eventShape()));
        o.put("mask", t.mask());
        o.put("parity", t.parity());
        o.put("scale", t.scale().id());
        o.put("clamp", t.clamp());
        o.set("conditioner", Conditioners.conv(t.net()));
        return o;
    }

    @Override public ImageAffineCoupling read(Backend be, ObjectNode c, ParamSource params) {
        ObjectNode cond = (ObjectNode) c.get("conditioner");
        return new ImageAffineCoupling(params, be, Json.ints(c.get("shape")), c.get("mask").asText(), c.get("parity").asInt(),
                CouplingScale.parse(c.get("scale").asText()), (float) c.get("clamp").asDouble(),
                cond.get("type").asText(), cond.get("width").asInt(), Conditioners.blocks(cond), Json.rng());
    }
}
