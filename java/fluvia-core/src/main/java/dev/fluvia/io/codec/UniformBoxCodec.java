package dev.fluvia.io.codec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fluvia.FluviaException.CheckpointException;
import dev.fluvia.backend.Backend;
import dev.fluvia.distributions.UniformBox;
import dev.fluvia.param.ParamSource;

/** The base distribution {@code uniform}: {"event_shape", "low", "high"} (the box is fixed, not a parameter). */
public final class UniformBoxCodec implements Codec<UniformBox> {
    @Override public String kind() { return UniformBox.KIND; }
    @Override public Class<UniformBox> type() { return UniformBox.class; }

    @Override public ObjectNode write(UniformBox t) {
        ObjectNode o = Json.object();
        o.set("event_shape", Json.array(t.eventShape()));
        ArrayNode l = o.putArray("low");
        for (double v : t.low()) l.add(v);
        ArrayNode h = o.putArray("high");
        for (double v : t.high()) h.add(v);
        return o;
    }

    @Override public UniformBox read(Backend be, ObjectNode c, ParamSource params) {
        return new UniformBox(be, Json.ints(c.get("event_shape")), doubles(c.get("low"), "low"), doubles(c.get("high"), "high"));
    }

    private static double[] doubles(JsonNode n, String name) {
        if (n == null || !n.isArray()) throw new CheckpointException(UniformBox.KIND + " config: '" + name + "' must be a number array, got " + n);
        double[] v = new double[n.size()];
        for (int i = 0; i < v.length; i++) v[i] = n.get(i).asDouble();
        return v;
    }
}
