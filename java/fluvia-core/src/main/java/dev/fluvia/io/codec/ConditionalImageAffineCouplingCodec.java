package dev.fluvia.io.codec;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fluvia.backend.Backend;
import dev.fluvia.backend.CouplingScale;
import dev.fluvia.param.ParamSource;
import dev.fluvia.transforms.image.ConditionalImageAffineCoupling;

/**
 * {@link ConditionalImageAffineCoupling}: config {"shape" (the rows: [C·H·W + context]), "image_shape" ([C, H, W]), "context", "mask", "parity", "scale",
 * "clamp", "conditioner": {"type", "width", "blocks"}}.
 */
public final class ConditionalImageAffineCouplingCodec implements Codec<ConditionalImageAffineCoupling> {
    @Override public String kind() { return ConditionalImageAffineCoupling.KIND; }
    @Override public Class<ConditionalImageAffineCoupling> type() { return ConditionalImageAffineCoupling.class; }

    @Override public ObjectNode write(ConditionalImageAffineCoupling t) {
        ObjectNode o = Json.object();
        o.set("shape", Json.array(t.eventShape()));
        o.set("image_shape", Json.array(t.imageShape()));
        o.put("context", t.context());
        o.put("mask", t.mask());
        o.put("parity", t.parity());
        o.put("scale", t.scale().id());
        o.put("clamp", t.clamp());
        o.set("conditioner", Conditioners.conv(t.net()));
        return o;
    }

    @Override public ConditionalImageAffineCoupling read(Backend be, ObjectNode c, ParamSource params) {
        ObjectNode cond = (ObjectNode) c.get("conditioner");
        return Json.declared(new ConditionalImageAffineCoupling(params, be, Json.ints(c.get("image_shape")), c.get("context").asInt(), c.get("mask").asText(),
                c.get("parity").asInt(), CouplingScale.parse(c.get("scale").asText()), (float) c.get("clamp").asDouble(),
                cond.get("type").asText(), cond.get("width").asInt(), Conditioners.blocks(cond), Json.rng()), c);
    }
}
