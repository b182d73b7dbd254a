package dev.fluvia.io.codec;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fluvia.FluviaException.CheckpointException;
import dev.fluvia.backend.Activation;
import dev.fluvia.backend.Backend;
import dev.fluvia.param.ParamSource;
import dev.fluvia.transforms.RqSplineCoupling;

/** {@link RqSplineCoupling}: config {"dim", "a", "b", "bins", "bound", "conditioner": {"dims", "activation"}}. */
public final class RqSplineCouplingCodec implements Codec<RqSplineCoupling> {
    @Override public String kind() { return RqSplineCoupling.KIND; }
    @Override public Class<RqSplineCoupling> type() { return RqSplineCoupling.class; }

    @Override public ObjectNode write(RqSplineCoupling t) {
        ObjectNode o = Json.object();
        o.put("dim", t.dim());
        o.set("a", Json.array(t.a()));
        o.set("b", Json.array(t.b()));
        o.put("bins", t.bins());
        o.put("bound", t.bound());
        o.set("conditioner", Conditioners.mlp(t.net()));
        return o;
    }

    @Override public RqSplineCoupling read(Backend be, ObjectNode c, ParamSource params) {
        for (String k : new String[] {"dim", "a", "b", "bins", "bound", "conditioner"})
            if (!c.has(k)) throw new CheckpointException(RqSplineCoupling.KIND + " config: missing '" + k + "'");
        if (!c.get("conditioner").has("activation")) throw new CheckpointException(RqSplineCoupling.KIND + " config: conditioner without 'activation'");
        return new RqSplineCoupling(params, be, c.get("dim").asInt(), Json.ints(c.get("a")), Json.ints(c.get("b")),
                Json.hidden(c.get("conditioner")), Activation.parse(c.get("conditioner").get("activation").asText()),
                c.get("bins").asInt(), c.get("bound").asDouble(), Json.rng());
    }
}
