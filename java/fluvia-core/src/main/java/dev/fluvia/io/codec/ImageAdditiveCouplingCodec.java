package dev.fluvia.io.codec;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fluvia.backend.Backend;
import dev.fluvia.param.ParamSource;
import dev.fluvia.transforms.image.ImageAdditiveCoupling;

/** {@link ImageAdditiveCoupling}: config {"shape", "mask", "parity", "conditioner": {"type", "width", "blocks"}}. */
public final class ImageAdditiveCouplingCodec implements Codec<ImageAdditiveCoupling> {
    @Override public String kind() { return ImageAdditiveCoupling.KIND; }
    @Override public Class<ImageAdditiveCoupling> type() { return ImageAdditiveCoupling.class; }

    @Override public ObjectNode write(ImageAdditiveCoupling t) {
        ObjectNode o = Json.object();
        o.set("shape", Json.array(t.eventShape()));
        o.put("mask", t.mask());
        o.put("parity", t.parity());
        o.set("conditioner", Conditioners.conv(t.net()));
        return o;
    }

    @Override public ImageAdditiveCoupling read(Backend be, ObjectNode c, ParamSource params) {
        ObjectNode cond = (ObjectNode) c.get("conditioner");
        return new ImageAdditiveCoupling(params, be, Json.ints(c.get("shape")), c.get("mask").asText(), c.get("parity").asInt(),
                cond.get("type").asText(), cond.get("width").asInt(), Conditioners.blocks(cond), Json.rng());
    }
}
