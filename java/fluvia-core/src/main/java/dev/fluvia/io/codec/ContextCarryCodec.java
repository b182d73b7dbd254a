package dev.fluvia.io.codec;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fluvia.FluviaException.CheckpointException;
import dev.fluvia.backend.Backend;
import dev.fluvia.io.Registry;
import dev.fluvia.param.ParamSource;
import dev.fluvia.transforms.image.ContextCarry;

/**
 * {@link ContextCarry}: config {"shape" (the rows: [x's size + context]), "context", "layer": {"kind", "config"}}, the wrapped layer's kind and config as its own
 * codec writes them. The wrapped layer's tensors are the wrapper's (same names).
 */
public final class ContextCarryCodec implements Codec<ContextCarry> {
    @Override public String kind() { return ContextCarry.KIND; }
    @Override public Class<ContextCarry> type() { return ContextCarry.class; }

    @Override public ObjectNode write(ContextCarry t) {
        ObjectNode o = Json.object();
        o.set("shape", Json.array(t.eventShape()));
        o.put("context", t.context());
        ObjectNode layer = o.putObject("layer");
        layer.put("kind", t.inner().kind());
        layer.set("config", Registry.config(t.inner()));
        return o;
    }

    @Override public ContextCarry read(Backend be, ObjectNode c, ParamSource params) {
        if (!(c.get("layer") instanceof ObjectNode layer) || !layer.hasNonNull("kind") || !(layer.get("config") instanceof ObjectNode cfg))
            throw new CheckpointException(ContextCarry.KIND + ": config needs \"layer\": {\"kind\", \"config\"}");
        return Json.declared(new ContextCarry(be, Registry.transform(be, layer.get("kind").asText(), cfg, params), c.get("context").asInt()), c);
    }
}
