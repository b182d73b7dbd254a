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
 * hence the masks, exactly; a conditional layer adds {"context": C} (absent = 0, as files written before it); "dim" is the row width D + C.
 */
public final class MafCodec implements Codec<Maf> {
    @Override public String kind() { return Maf.KIND; }
    @Override public Class<Maf> type() { return Maf.class; }

    @Override public ObjectNode write(Maf t) {
        Made made = t.made();
        ObjectNode o = Json.object();
        o.put("dim", t.eventShape()[0]);   // the row width: modelled dims + context
        if (t.context() > 0) o.put("context", t.context());
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
        int context = 0;
        if (c.has("context")) {
            JsonNode cx = c.get("context");
            if (!cx.canConvertToInt() || !cx.isIntegralNumber() || cx.asInt() < 0)
                throw new CheckpointException(Maf.KIND + " config: 'context' must be an integer >= 0, got " + cx);
            context = cx.asInt();
        }
        if (c.has("dim") && c.get("dim").asInt() != order.length + context)
            throw new CheckpointException(Maf.KIND + " config: dim " + c.get("dim").asInt() + " but the order has " + order.length
                    + " entries" + (context > 0 ? " and the context " + context : ""));
        return new Maf(params, be, order, context, Json.ints(c.get("hidden")), Activation.parse(act.asText()), (float) clamp.asDouble(), degrees, Json.rng());
    }
}
