package dev.fluvia.io.codec;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fluvia.backend.Backend;
import dev.fluvia.param.ParamSource;
import dev.fluvia.transforms.image.Conv1x1;

/** {@link Conv1x1}: config {"shape", "seed"}. */
public final class Conv1x1Codec implements Codec<Conv1x1> {
    @Override public String kind() { return Conv1x1.KIND; }
    @Override public Class<Conv1x1> type() { return Conv1x1.class; }

    @Override public ObjectNode write(Conv1x1 t) {
        ObjectNode o = Json.object();
        o.set("shape", Json.array(t.eventShape()));
        o.put("seed", t.seed());
        return o;
    }

    @Override public Conv1x1 read(Backend be, ObjectNode c, ParamSource params) {
        return new Conv1x1(params, be, Json.ints(c.get("shape")), c.get("seed").asLong());
    }
}
