package dev.fluvia.io.codec;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fluvia.backend.Backend;
import dev.fluvia.param.ParamSource;
import dev.fluvia.transforms.InvertibleLinear;

/** {@link InvertibleLinear}: config {"dim", "seed", "perm"}: the stored permutation is kept, the LU factors are stored parameters. */
public final class InvertibleLinearCodec implements Codec<InvertibleLinear> {
    @Override public String kind() { return InvertibleLinear.KIND; }
    @Override public Class<InvertibleLinear> type() { return InvertibleLinear.class; }

    @Override public ObjectNode write(InvertibleLinear t) {
        ObjectNode o = Json.object();
        o.put("dim", t.dim());
        o.put("seed", t.seed());
        o.set("perm", Json.array(t.permutation()));
        return o;
    }

    @Override public InvertibleLinear read(Backend be, ObjectNode c, ParamSource params) {
        long seed = c.has("seed") ? c.get("seed").asLong() : 0L;
        return InvertibleLinear.stored(params, be, c.get("dim").asInt(), seed, Json.ints(c.get("perm")));
    }
}
