package dev.fluvia.io.codec;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fluvia.backend.Backend;
import dev.fluvia.param.ParamSource;
import dev.fluvia.transforms.Tanh;

/** {@link Tanh}: config {"dim"}. */
public final class TanhCodec implements Codec<Tanh> {
    @Override public String kind() { return Tanh.KIND; }
    @Override public Class<Tanh> type() { return Tanh.class; }

    @Override public ObjectNode write(Tanh t) {
        ObjectNode o = Json.object();
        o.put("dim", t.eventShape()[0]);
        return o;
    }

    @Override public Tanh read(Backend be, ObjectNode c, ParamSource params) {
        return new Tanh(be, c.get("dim").asInt());
    }
}
