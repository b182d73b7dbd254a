package dev.fluvia.io.codec;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fluvia.backend.Backend;
import dev.fluvia.param.ParamSource;
import dev.fluvia.transforms.Sylvester;

/** {@link Sylvester}: config {"dim", "reflections"}. */
public final class SylvesterCodec implements Codec<Sylvester> {
    @Override public String kind() { return Sylvester.KIND; }
    @Override public Class<Sylvester> type() { return Sylvester.class; }

    @Override public ObjectNode write(Sylvester t) {
        ObjectNode o = Json.object();
        o.put("dim", t.eventShape()[0]);
        o.put("reflections", t.reflections());
        return o;
    }

    @Override public Sylvester read(Backend be, ObjectNode c, ParamSource params) {
        return new Sylvester(params, be, c.get("dim").asInt(), c.get("reflections").asInt(), Json.rng());
    }
}
