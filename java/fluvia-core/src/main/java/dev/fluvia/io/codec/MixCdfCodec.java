package dev.fluvia.io.codec;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fluvia.backend.Backend;
import dev.fluvia.param.ParamSource;
import dev.fluvia.transforms.MixCdf;

/** {@link MixCdf}: config {"dim", "components", "logit"}. */
public final class MixCdfCodec implements Codec<MixCdf> {
    @Override public String kind() { return MixCdf.KIND; }
    @Override public Class<MixCdf> type() { return MixCdf.class; }

    @Override public ObjectNode write(MixCdf t) {
        ObjectNode o = Json.object();
        o.put("dim", t.eventShape()[0]);
        o.put("components", t.components());
        o.put("logit", t.logit());
        return o;
    }

    @Override public MixCdf read(Backend be, ObjectNode c, ParamSource params) {
        return new MixCdf(params, be, c.get("dim").asInt(), c.get("components").asInt(), c.get("logit").asBoolean());
    }
}
