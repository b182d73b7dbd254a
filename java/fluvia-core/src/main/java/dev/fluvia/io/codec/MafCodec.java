package dev.fluvia.io.codec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fluvia.FluviaException.CheckpointException;
import dev.fluvia.backend.Activation;
import dev.fluvia.backend.Backend;
import dev.fluvia.nn.Made;
import dev.fluvia.param.ParamSource;
import dev.fluvia.transforms.Maf;

/**
 * {@link Maf}: config {"dim", "hidden", "activation", "clamp", "order", "degrees"}: the order and the hidden degrees,
 * hence the masks, exactly.
 */
public final class MafCodec implements Codec<Maf> {
    @Override public String kind() { return Maf.KIND; }
    @Override public Class<Maf> type() { return Maf.class; }

    @Override public ObjectNode write(Maf t) {
        Made made = t.made();
        ObjectNode o = Json.object();
        o.put("dim", t.eventShape()[0]);
        o.set("hidden", Json.array(made.hidden()));
        o.put("activation", made.activation().id());
        o.put("clamp", t.clamp());
        o.set("order", Json.array(made.order()));
        ArrayNode deg = o.putArray("degrees");
        for (int[] m : made.degrees()) deg.add(Json.array(m));
        return o;
    }

    @Override public Maf read(Backend be, ObjectNode c, ParamSource params) {
        JsonNode deg = c.get("degrees");
        if (deg == null || !deg.isArray()) throw new CheckpointException(Maf.KIND + " config: missing 'degrees' array");
        int[][] degrees = new int[deg.size()][];
        for (int l = 0; l < degrees.length; l++) degrees[l] = Json.ints(deg.get(l));
        JsonNode act = c.get("activation"), clamp = c.get("clamp");
        if (act == null || clamp == null) throw new CheckpointException(Maf.KIND + " config: missing 'activation' or 'clamp'");
        int[] order = Json.ints(c.get("order"));
        if (c.has("dim") && c.get("dim").asInt() != order.length)
            throw new CheckpointException(Maf.KIND + " config: dim " + c.get("dim").asInt() + " but the order has " + order.length + " entries");
        return new Maf(params, be, order, Json.ints(c.get("hidden")), Activation.parse(act.asText()), (float) clamp.asDouble(), degrees, Json.rng());
    }
}
