package dev.fluvia.io.codec;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fluvia.backend.Backend;
import dev.fluvia.param.ParamSource;
import dev.fluvia.transforms.AdditiveCoupling;
import dev.fluvia.backend.Activation;

/** {@link AdditiveCoupling}: config {"dim", "a", "b", "conditioner": {"dims", "activation"}}. */
public final class AdditiveCouplingCodec implements Codec<AdditiveCoupling> {
    @Override public String kind() { return AdditiveCoupling.KIND; }
    @Override public Class<AdditiveCoupling> type() { return AdditiveCoupling.class; }

    @Override public ObjectNode write(AdditiveCoupling t) {
        ObjectNode o = Json.object();
        o.put("dim", t.dim());
        o.set("a", Json.array(t.a()));
        o.set("b", Json.array(t.b()));
        o.set("conditioner", Conditioners.mlp(t.net()));
        return o;
    }

    @Override public AdditiveCoupling read(Backend be, ObjectNode c, ParamSource params) {
        return new AdditiveCoupling(params, be, c.get("dim").asInt(), Json.ints(c.get("a")), Json.ints(c.get("b")),
                Json.hidden(c.get("conditioner")), Activation.parse(c.get("conditioner").get("activation").asText()), Json.rng());
    }
}
