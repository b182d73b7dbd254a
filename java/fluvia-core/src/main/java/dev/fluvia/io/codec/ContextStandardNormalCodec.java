package dev.fluvia.io.codec;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fluvia.FluviaException.CheckpointException;
import dev.fluvia.backend.Backend;
import dev.fluvia.distributions.ContextStandardNormal;
import dev.fluvia.param.ParamSource;

/** The base distribution {@code context_std_normal}: {"dim", "context"}. */
public final class ContextStandardNormalCodec implements Codec<ContextStandardNormal> {
    @Override public String kind() { return ContextStandardNormal.KIND; }
    @Override public Class<ContextStandardNormal> type() { return ContextStandardNormal.class; }

    @Override public ObjectNode write(ContextStandardNormal t) {
        ObjectNode o = Json.object();
        o.put("dim", t.dim());
        o.put("context", t.context());
        return o;
    }

    @Override public ContextStandardNormal read(Backend be, ObjectNode c, ParamSource params) {
        if (!c.has("dim") || !c.has("context")) throw new CheckpointException(ContextStandardNormal.KIND + " config: missing 'dim' or 'context'");
        return new ContextStandardNormal(be, c.get("dim").asInt(), c.get("context").asInt());
    }
}
