package planted.up.transforms;

/** Planted for FloorsTest: a layer that writes its own JSON (serialisation belongs to io's codecs). */
public class UsesJackson {
    public com.fasterxml.jackson.databind.node.ObjectNode config() { return null; }
}
