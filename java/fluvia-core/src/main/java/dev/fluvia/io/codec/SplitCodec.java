package dev.fluvia.io.codec;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fluvia.backend.Backend;
import dev.fluvia.param.ParamSource;
import dev.fluvia.transforms.image.Split;

/** {@link Split}: config {"shape", "prior"}. */
public final class SplitCodec implements Codec<Split> {
    @Override public String kind() { return Split.KIND; }
    @Override public Class<Split> type() { return Split.class; }

    @Override public ObjectNode write(Split t) {
        ObjectNode o = Json.object();
        o.set("shape", Json.array(t.eventShape()));
        o.put("prior", t.prior());
        return o;
    }

    @Override public Split read(Backend be, ObjectNode c, ParamSource params) {
        return new Split(params, be, Json.ints(c.get("shape")), c.get("prior").asText(), Json.rng());
    }
}
