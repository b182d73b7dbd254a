package dev.fluvia.io.codec;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fluvia.backend.Backend;
import dev.fluvia.distributions.BetaDist;
import dev.fluvia.param.ParamSource;

/** The base distribution {@code beta}: {"event_shape"} (log α and log β are stored parameters). */
public final class BetaDistCodec implements Codec<BetaDist> {
    @Override public String kind() { return BetaDist.KIND; }
    @Override public Class<BetaDist> type() { return BetaDist.class; }

    @Override public ObjectNode write(BetaDist t) {
        ObjectNode o = Json.object();
        o.set("event_shape", Json.array(t.eventShape()));
        return o;
    }

    @Override public BetaDist read(Backend be, ObjectNode c, ParamSource params) {
        return new BetaDist(params, be, Json.ints(c.get("event_shape")));
    }
}
