package dev.fluvia.io.codec;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fluvia.FluviaException.CheckpointException;
import dev.fluvia.backend.Backend;
import dev.fluvia.param.ParamSource;
import dev.fluvia.transforms.image.ContextSplit;

/** {@link ContextSplit}: config {"shape" (the rows: [C·H·W + context]), "context", "split": the wrapped split's config ({@link SplitCodec})}; its tensors are the split's. */
public final class ContextSplitCodec implements Codec<ContextSplit> {
    private final SplitCodec split = new SplitCodec();

    @Override public String kind() { return ContextSplit.KIND; }
    @Override public Class<ContextSplit> type() { return ContextSplit.class; }

    @Override public ObjectNode write(ContextSplit t) {
        ObjectNode o = Json.object();
        o.set("shape", Json.array(t.eventShape()));
        o.put("context", t.context());
        o.set("split", split.write(t.inner()));
        return o;
    }

    @Override public ContextSplit read(Backend be, ObjectNode c, ParamSource params) {
        if (!(c.get("split") instanceof ObjectNode s)) throw new CheckpointException(ContextSplit.KIND + ": config needs \"split\"");
        return Json.declared(new ContextSplit(be, split.read(be, s, params), c.get("context").asInt()), c);
    }
}
