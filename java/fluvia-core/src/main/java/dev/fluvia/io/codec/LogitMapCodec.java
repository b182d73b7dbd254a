package dev.fluvia.io.codec;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fluvia.backend.Backend;
import dev.fluvia.param.ParamSource;
import dev.fluvia.transforms.LogitMap;

/** {@link LogitMap}: config {"dim"}. */
public final class LogitMapCodec implements Codec<LogitMap> {
    @Override public String kind() { return LogitMap.KIND; }
    @Override public Class<LogitMap> type() { return LogitMap.class; }

    @Override public ObjectNode write(LogitMap t) {
        ObjectNode o = Json.object();
        o.put("dim", t.eventShape()[0]);
        return o;
    }

    @Override public LogitMap read(Backend be, ObjectNode c, ParamSource params) {
        return new LogitMap(be, c.get("dim").asInt());
    }
}
