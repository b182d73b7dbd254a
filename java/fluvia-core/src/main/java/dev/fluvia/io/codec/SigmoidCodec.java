package dev.fluvia.io.codec;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fluvia.backend.Backend;
import dev.fluvia.param.ParamSource;
import dev.fluvia.transforms.Sigmoid;

/** {@link Sigmoid}: config {"dim"}. */
public final class SigmoidCodec implements Codec<Sigmoid> {
    @Override public String kind() { return Sigmoid.KIND; }
    @Override public Class<Sigmoid> type() { return Sigmoid.class; }

    @Override public ObjectNode write(Sigmoid t) {
        ObjectNode o = Json.object();
        o.put("dim", t.eventShape()[0]);
        return o;
    }

    @Override public Sigmoid read(Backend be, ObjectNode c, ParamSource params) {
        return new Sigmoid(be, c.get("dim").asInt());
    }
}
