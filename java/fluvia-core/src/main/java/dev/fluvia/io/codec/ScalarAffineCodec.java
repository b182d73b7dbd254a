package dev.fluvia.io.codec;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fluvia.backend.Backend;
import dev.fluvia.param.ParamSource;
import dev.fluvia.transforms.ScalarAffine;

/** {@link ScalarAffine}: config {"dim"} (log_scale and shift are stored parameters). */
public final class ScalarAffineCodec implements Codec<ScalarAffine> {
    @Override public String kind() { return ScalarAffine.KIND; }
    @Override public Class<ScalarAffine> type() { return ScalarAffine.class; }

    @Override public ObjectNode write(ScalarAffine t) {
        ObjectNode o = Json.object();
        o.put("dim", t.eventShape()[0]);
        return o;
    }

    @Override public ScalarAffine read(Backend be, ObjectNode c, ParamSource params) {
        return new ScalarAffine(params, be, c.get("dim").asInt());
    }
}
