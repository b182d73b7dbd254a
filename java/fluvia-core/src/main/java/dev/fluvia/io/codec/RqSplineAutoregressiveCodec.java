package dev.fluvia.io.codec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fluvia.FluviaException.CheckpointException;
import dev.fluvia.backend.Activation;
import dev.fluvia.backend.Backend;
import dev.fluvia.param.ParamSource;
import dev.fluvia.transforms.RqSplineAutoregressive;

/**
 * {@link RqSplineAutoregressive}: config {"dim", "order", "hidden", "degrees", "activation", "bins", "bound"} (the masks
 * exactly); a conditional layer adds {"context": C} (absent = 0); "dim" is the row width D + C.
 */
public final class RqSplineAutoregressiveCodec implements Codec<RqSplineAutoregressive> {
    @Override public String kind() { return RqSplineAutoregressive.KIND; }
    @Override public Class<RqSplineAutoregressive> type() { return RqSplineAutoregressive.class; }

    @Override public ObjectNode write(RqSplineAutoregressive t) {
        ObjectNode o = Json.object();
        o.put("dim", t.eventShape()[0]);   // the row width: modelled dims + context
        if (t.context() > 0) o.put("context", t.context());
        o.set("order", Json.array(t.order()));
        o.set("hidden", Json.array(t.hidden()));
        ArrayNode deg = o.putArray("degrees");
        for (int[] m : t.degrees()) deg.add(Json.array(m));
        o.put("activation", t.activation().id());
        o.put("bins", t.bins());
        o.put("bound", t.bound());
        return o;
    }

    @Override public RqSplineAutoregressive read(Backend be, ObjectNode c, ParamSource params) {
        for (String k : new String[] {"order", "hidden", "degrees", "activation", "bins", "bound"})
            if (!c.has(k)) throw new CheckpointException(RqSplineAutoregressive.KIND + " config: missing '" + k + "'");
        JsonNode deg = c.get("degrees");
        if (!deg.isArray()) throw new CheckpointException(RqSplineAutoregressive.KIND + " config: 'degrees' is not an array");
        int[][] degrees = new int[deg.size()][];
        for (int l = 0; l < degrees.length; l++) degrees[l] = Json.ints(deg.get(l));
        int[] order = Json.ints(c.get("order"));
        int context = 0;
        if (c.has("context")) {
            JsonNode cx = c.get("context");
            if (!cx.isIntegralNumber() || !cx.canConvertToInt() || cx.asInt() < 0)
                throw new CheckpointException(RqSplineAutoregressive.KIND + " config: 'context' must be an integer >= 0, got " + cx);
            context = cx.asInt();
        }
        if (c.has("dim") && c.get("dim").asInt() != order.length + context)
            throw new CheckpointException(RqSplineAutoregressive.KIND + " config: dim " + c.get("dim").asInt() + " but the order has " + order.length
                    + " entries" + (context > 0 ? " and the context " + context : ""));
        return new RqSplineAutoregressive(params, be, order, context, Json.ints(c.get("hidden")), Activation.parse(c.get("activation").asText()),
                c.get("bins").asInt(), c.get("bound").asDouble(), degrees, Json.rng());
    }
}
