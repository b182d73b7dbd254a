package dev.fluvia.io.codec;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fluvia.backend.Backend;
import dev.fluvia.param.ParamSource;
import dev.fluvia.transforms.image.LogitPreprocess;

/** {@link LogitPreprocess}: config {"shape", "lambda"}. */
public final class LogitPreprocessCodec implements Codec<LogitPreprocess> {
    @Override public String kind() { return LogitPreprocess.KIND; }
    @Override public Class<LogitPreprocess> type() { return LogitPreprocess.class; }

    @Override public ObjectNode write(LogitPreprocess t) {
        ObjectNode o = Json.object();
        o.set("shape", Json.array(t.eventShape()));
        o.put("lambda", t.lambda());
        return o;
    }

    @Override public LogitPreprocess read(Backend be, ObjectNode c, ParamSource params) {
        return new LogitPreprocess(be, Json.ints(c.get("shape")), (float) c.get("lambda").asDouble());
    }
}
