package dev.fluvia.io.codec;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fluvia.backend.Backend;
import dev.fluvia.param.ParamSource;
import dev.fluvia.transforms.Planar;

/** {@link Planar}: config {"dim"}. */
public final class PlanarCodec implements Codec<Planar> {
    @Override public String kind() { return Planar.KIND; }
    @Override public Class<Planar> type() { return Planar.class; }

    @Override public ObjectNode write(Planar t) {
        ObjectNode o = Json.object();
        o.put("dim", t.eventShape()[0]);
        return o;
    }

    @Override public Planar read(Backend be, ObjectNode c, ParamSource params) {
        return new Planar(params, be, c.get("dim").asInt(), Json.rng());
    }
}
