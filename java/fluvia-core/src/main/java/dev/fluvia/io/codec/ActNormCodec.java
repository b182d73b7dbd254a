package dev.fluvia.io.codec;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fluvia.backend.Backend;
import dev.fluvia.param.ParamSource;
import dev.fluvia.transforms.ActNorm;

/** {@link ActNorm}: config {"shape"} (the initialised flag is a stored parameter). */
public final class ActNormCodec implements Codec<ActNorm> {
    @Override public String kind() { return ActNorm.KIND; }
    @Override public Class<ActNorm> type() { return ActNorm.class; }

    @Override public ObjectNode write(ActNorm t) {
        ObjectNode o = Json.object();
        o.set("shape", Json.array(t.eventShape()));
        return o;
    }

    @Override public ActNorm read(Backend be, ObjectNode c, ParamSource params) {
        return new ActNorm(params, be, Json.ints(c.get("shape")));
    }
}
