package dev.fluvia.io.codec;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fluvia.backend.Backend;
import dev.fluvia.param.ParamSource;
import dev.fluvia.distributions.DiagonalGaussian;

/** The base distribution {@code diag_normal}: {"event_shape"} (μ and log σ are stored parameters). */
public final class DiagonalGaussianCodec implements Codec<DiagonalGaussian> {
    @Override public String kind() { return DiagonalGaussian.KIND; }
    @Override public Class<DiagonalGaussian> type() { return DiagonalGaussian.class; }

    @Override public ObjectNode write(DiagonalGaussian t) {
        ObjectNode o = Json.object();
        o.set("event_shape", Json.array(t.eventShape()));
        return o;
    }

    @Override public DiagonalGaussian read(Backend be, ObjectNode c, ParamSource params) {
        return new DiagonalGaussian(params, be, Json.ints(c.get("event_shape")));
    }
}
