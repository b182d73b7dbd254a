package dev.fluvia.io.codec;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fluvia.backend.Backend;
import dev.fluvia.param.ParamSource;
import dev.fluvia.transforms.Iaf;

/** {@link Iaf}: the config of the MAF it mounts ({@link MafCodec}). */
public final class IafCodec implements Codec<Iaf> {
    private final MafCodec maf = new MafCodec();

    @Override public String kind() { return Iaf.KIND; }
    @Override public Class<Iaf> type() { return Iaf.class; }
    @Override public ObjectNode write(Iaf t) { return maf.write(t.maf()); }
    @Override public Iaf read(Backend be, ObjectNode c, ParamSource params) { return new Iaf(be, maf.read(be, c, params)); }
}
