package dev.fluvia.io.codec;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fluvia.backend.Backend;
import dev.fluvia.param.ParamSource;
import dev.fluvia.distributions.StandardNormal;

/** The base distribution {@code std_normal}: {"event_shape"}. */
public final class StandardNormalCodec implements Codec<StandardNormal> {
    @Override public String kind() { return StandardNormal.KIND; }
    @Override public Class<StandardNormal> type() { return StandardNormal.class; }

    @Override public ObjectNode write(StandardNormal t) {
        ObjectNode o = Json.object();
        o.set("event_shape", Json.array(t.eventShape()));
        return o;
    }

    @Override public StandardNormal read(Backend be, ObjectNode c, ParamSource params) {
        return new StandardNormal(be, Json.ints(c.get("event_shape")));
    }
}
