package dev.fluvia.io.codec;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fluvia.backend.Backend;
import dev.fluvia.param.ParamSource;
import dev.fluvia.transforms.Radial;

/** {@link Radial}: config {"dim"}. */
public final class RadialCodec implements Codec<Radial> {
    @Override public String kind() { return Radial.KIND; }
    @Override public Class<Radial> type() { return Radial.class; }

    @Override public ObjectNode write(Radial t) {
        ObjectNode o = Json.object();
        o.put("dim", t.eventShape()[0]);
        return o;
    }

    @Override public Radial read(Backend be, ObjectNode c, ParamSource params) {
        return new Radial(params, be, c.get("dim").asInt(), Json.rng());
    }
}
