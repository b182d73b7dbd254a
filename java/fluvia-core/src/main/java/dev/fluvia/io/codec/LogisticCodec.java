package dev.fluvia.io.codec;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fluvia.backend.Backend;
import dev.fluvia.distributions.Logistic;
import dev.fluvia.param.ParamSource;

/** The base distribution {@code logistic}: {"event_shape"}. */
public final class LogisticCodec implements Codec<Logistic> {
    @Override public String kind() { return Logistic.KIND; }
    @Override public Class<Logistic> type() { return Logistic.class; }

    @Override public ObjectNode write(Logistic t) {
        ObjectNode o = Json.object();
        o.set("event_shape", Json.array(t.eventShape()));
        return o;
    }

    @Override public Logistic read(Backend be, ObjectNode c, ParamSource params) {
        return new Logistic(be, Json.ints(c.get("event_shape")));
    }
}
