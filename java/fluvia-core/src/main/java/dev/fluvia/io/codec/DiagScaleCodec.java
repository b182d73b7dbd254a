package dev.fluvia.io.codec;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fluvia.backend.Backend;
import dev.fluvia.param.ParamSource;
import dev.fluvia.transforms.DiagScale;

/** {@link DiagScale}: config {"dim"}. */
public final class DiagScaleCodec implements Codec<DiagScale> {
    @Override public String kind() { return DiagScale.KIND; }
    @Override public Class<DiagScale> type() { return DiagScale.class; }

    @Override public ObjectNode write(DiagScale t) {
        ObjectNode o = Json.object();
        o.put("dim", t.eventShape()[0]);
        return o;
    }

    @Override public DiagScale read(Backend be, ObjectNode c, ParamSource params) {
        return new DiagScale(params, be, c.get("dim").asInt());
    }
}
