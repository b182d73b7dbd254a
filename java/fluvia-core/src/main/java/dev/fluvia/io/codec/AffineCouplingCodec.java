package dev.fluvia.io.codec;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fluvia.backend.Backend;
import dev.fluvia.param.ParamSource;
import dev.fluvia.transforms.AffineCoupling;
import dev.fluvia.backend.Activation;
import dev.fluvia.backend.CouplingScale;

/** {@link AffineCoupling}: config {"dim", "a", "b", "scale", "clamp", "conditioner": {"dims", "activation"}}. */
public final class AffineCouplingCodec implements Codec<AffineCoupling> {
    @Override public String kind() { return AffineCoupling.KIND; }
    @Override public Class<AffineCoupling> type() { return AffineCoupling.class; }

    @Override public ObjectNode write(AffineCoupling t) {
        ObjectNode o = Json.object();
        o.put("dim", t.dim());
        o.set("a", Json.array(t.a()));
        o.set("b", Json.array(t.b()));
        o.put("scale", t.scale().id());
        o.put("clamp", t.clamp());
        o.set("conditioner", Conditioners.mlp(t.net()));
        return o;
    }

    @Override public AffineCoupling read(Backend be, ObjectNode c, ParamSource params) {
        return new AffineCoupling(params, be, c.get("dim").asInt(), Json.ints(c.get("a")), Json.ints(c.get("b")),
                Json.hidden(c.get("conditioner")), Activation.parse(c.get("conditioner").get("activation").asText()),
                CouplingScale.parse(c.get("scale").asText()), (float) c.get("clamp").asDouble(), Json.rng());
    }
}
