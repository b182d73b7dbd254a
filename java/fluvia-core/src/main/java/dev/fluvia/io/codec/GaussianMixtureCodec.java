package dev.fluvia.io.codec;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fluvia.backend.Backend;
import dev.fluvia.distributions.GaussianMixture;
import dev.fluvia.param.ParamSource;
import dev.fluvia.FluviaException.CheckpointException;

/** The base distribution {@code gaussian_mixture}: {"event_shape", "components"} (weights, means and scales are stored parameters). */
public final class GaussianMixtureCodec implements Codec<GaussianMixture> {
    @Override public String kind() { return GaussianMixture.KIND; }
    @Override public Class<GaussianMixture> type() { return GaussianMixture.class; }

    @Override public ObjectNode write(GaussianMixture t) {
        ObjectNode o = Json.object();
        o.set("event_shape", Json.array(t.eventShape()));
        o.put("components", t.components());
        return o;
    }

    @Override public GaussianMixture read(Backend be, ObjectNode c, ParamSource params) {
        if (!c.has("components")) throw new CheckpointException(GaussianMixture.KIND + " config: missing 'components'");
        return new GaussianMixture(params, be, c.get("components").asInt(), 0, Json.ints(c.get("event_shape")));
    }
}
