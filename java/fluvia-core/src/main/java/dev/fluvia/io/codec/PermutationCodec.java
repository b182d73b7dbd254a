package dev.fluvia.io.codec;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fluvia.backend.Backend;
import dev.fluvia.param.ParamSource;
import dev.fluvia.transforms.Permutation;

/** {@link Permutation}: config {"mode", "perm"}. */
public final class PermutationCodec implements Codec<Permutation> {
    @Override public String kind() { return Permutation.KIND; }
    @Override public Class<Permutation> type() { return Permutation.class; }

    @Override public ObjectNode write(Permutation t) {
        ObjectNode o = Json.object();
        o.put("mode", t.mode());
        o.set("perm", Json.array(t.perm()));
        return o;
    }

    @Override public Permutation read(Backend be, ObjectNode c, ParamSource params) {
        String mode = c.has("mode") ? c.get("mode").asText() : "random";
        return Permutation.stored(be, mode, Json.ints(c.get("perm")));
    }
}
