package dev.fluvia.io.codec;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fluvia.backend.Backend;
import dev.fluvia.param.ParamSource;
import dev.fluvia.transforms.LeakyRelu;

/** {@link LeakyRelu}: config {"dim"} (log_slope is a stored parameter; a fresh rebuild starts at slope 0.5). */
public final class LeakyReluCodec implements Codec<LeakyRelu> {
    @Override public String kind() { return LeakyRelu.KIND; }
    @Override public Class<LeakyRelu> type() { return LeakyRelu.class; }

    @Override public ObjectNode write(LeakyRelu t) {
        ObjectNode o = Json.object();
        o.put("dim", t.eventShape()[0]);
        return o;
    }

    @Override public LeakyRelu read(Backend be, ObjectNode c, ParamSource params) {
        return new LeakyRelu(params, be, c.get("dim").asInt(), 0.5);
    }
}
