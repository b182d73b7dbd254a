package dev.fluvia.io.codec;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fluvia.backend.Backend;
import dev.fluvia.param.ParamSource;
import dev.fluvia.transforms.PlainLinear;

/** {@link PlainLinear}: config {"dim", "seed"}. */
public final class PlainLinearCodec implements Codec<PlainLinear> {
    @Override public String kind() { return PlainLinear.KIND; }
    @Override public Class<PlainLinear> type() { return PlainLinear.class; }

    @Override public ObjectNode write(PlainLinear t) {
        ObjectNode o = Json.object();
        o.put("dim", t.dim());
        o.put("seed", t.seed());
        return o;
    }

    @Override public PlainLinear read(Backend be, ObjectNode c, ParamSource params) {
        return new PlainLinear(params, be, c.get("dim").asInt(), c.has("seed") ? c.get("seed").asLong() : 0L);
    }
}
