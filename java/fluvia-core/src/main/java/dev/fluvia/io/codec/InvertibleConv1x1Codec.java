package dev.fluvia.io.codec;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fluvia.backend.Backend;
import dev.fluvia.param.ParamSource;
import dev.fluvia.transforms.image.InvertibleConv1x1;

/** {@link InvertibleConv1x1}: config {"shape", "seed", "perm"}: the stored permutation is kept, the LU factors are stored parameters. */
public final class InvertibleConv1x1Codec implements Codec<InvertibleConv1x1> {
    @Override public String kind() { return InvertibleConv1x1.KIND; }
    @Override public Class<InvertibleConv1x1> type() { return InvertibleConv1x1.class; }

    @Override public ObjectNode write(InvertibleConv1x1 t) {
        ObjectNode o = Json.object();
        o.set("shape", Json.array(t.eventShape()));
        o.put("seed", t.seed());
        o.set("perm", Json.array(t.permutation()));
        return o;
    }

    @Override public InvertibleConv1x1 read(Backend be, ObjectNode c, ParamSource params) {
        return InvertibleConv1x1.stored(params, be, Json.ints(c.get("shape")), c.get("seed").asLong(), Json.ints(c.get("perm")));
    }
}
