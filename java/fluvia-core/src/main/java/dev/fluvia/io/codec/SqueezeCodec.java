package dev.fluvia.io.codec;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fluvia.backend.Backend;
import dev.fluvia.param.ParamSource;
import dev.fluvia.transforms.image.Squeeze;

/** {@link Squeeze}: config {"shape"}. */
public final class SqueezeCodec implements Codec<Squeeze> {
    @Override public String kind() { return Squeeze.KIND; }
    @Override public Class<Squeeze> type() { return Squeeze.class; }

    @Override public ObjectNode write(Squeeze t) {
        ObjectNode o = Json.object();
        o.set("shape", Json.array(t.eventShape()));
        return o;
    }

    @Override public Squeeze read(Backend be, ObjectNode c, ParamSource params) {
        return new Squeeze(be, Json.ints(c.get("shape")));
    }
}
