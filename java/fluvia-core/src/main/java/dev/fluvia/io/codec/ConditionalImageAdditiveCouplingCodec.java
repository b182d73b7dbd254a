package dev.fluvia.io.codec;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fluvia.backend.Backend;
import dev.fluvia.param.ParamSource;
import dev.fluvia.transforms.image.ConditionalImageAdditiveCoupling;

/** {@link ConditionalImageAdditiveCoupling}: config {"shape" (the rows: [C·H·W + context]), "image_shape" ([C, H, W]), "context", "mask", "parity", "conditioner": {"type", "width", "blocks"}}. */
public final class ConditionalImageAdditiveCouplingCodec implements Codec<ConditionalImageAdditiveCoupling> {
    @Override public String kind() { return ConditionalImageAdditiveCoupling.KIND; }
    @Override public Class<ConditionalImageAdditiveCoupling> type() { return ConditionalImageAdditiveCoupling.class; }

    @Override public ObjectNode write(ConditionalImageAdditiveCoupling t) {
        ObjectNode o = Json.object();
        o.set("shape", Json.array(t.eventShape()));
        o.set("image_shape", Json.array(t.imageShape()));
        o.put("context", t.context());
        o.put("mask", t.mask());
        o.put("parity", t.parity());
        o.set("conditioner", Conditioners.conv(t.net()));
        return o;
    }

    @Override public ConditionalImageAdditiveCoupling read(Backend be, ObjectNode c, ParamSource params) {
        ObjectNode cond = (ObjectNode) c.get("conditioner");
        return Json.declared(new ConditionalImageAdditiveCoupling(params, be, Json.ints(c.get("image_shape")), c.get("context").asInt(), c.get("mask").asText(),
                c.get("parity").asInt(), cond.get("type").asText(), cond.get("width").asInt(), Conditioners.blocks(cond), Json.rng()), c);
    }
}
