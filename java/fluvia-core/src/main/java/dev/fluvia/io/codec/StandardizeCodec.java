package dev.fluvia.io.codec;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fluvia.backend.Backend;
import dev.fluvia.param.ParamSource;
import dev.fluvia.transforms.Standardize;

/** {@link Standardize}: config {"dim"} (mean and std are stored parameters). */
public final class StandardizeCodec implements Codec<Standardize> {
    @Override public String kind() { return Standardize.KIND; }
    @Override public Class<Standardize> type() { return Standardize.class; }

    @Override public ObjectNode write(Standardize t) {
        ObjectNode o = Json.object();
        o.put("dim", t.eventShape()[0]);
        return o;
    }

    @Override public Standardize read(Backend be, ObjectNode c, ParamSource params) {
        return new Standardize(params, be, c.get("dim").asInt());
    }
}
