package dev.fluvia.io.codec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fluvia.FluviaException.CheckpointException;
import java.util.SplittableRandom;

/** Small JSON helpers shared by the codecs. */
final class Json {
    private Json() {}

    static ObjectNode object() { return JsonNodeFactory.instance.objectNode(); }

    static ArrayNode array(int[] v) {
        ArrayNode arr = JsonNodeFactory.instance.arrayNode();
        for (int x : v) arr.add(x);
        return arr;
    }

    /** The layer, after checking that the row shape its config declares under "shape" is the one it was built with. */
    static <T extends dev.fluvia.transforms.Transform> T declared(T layer, JsonNode c) {
        int[] s = ints(c.get("shape"));
        if (!java.util.Arrays.equals(s, layer.eventShape()))
            throw new CheckpointException(layer.kind() + " config: \"shape\" " + java.util.Arrays.toString(s) + " does not match the layer's rows "
                    + java.util.Arrays.toString(layer.eventShape()));
        return layer;
    }

    static int[] ints(JsonNode n) {
        if (n == null || !n.isArray()) throw new CheckpointException("layer config: expected an integer array, got " + n);
        int[] v = new int[n.size()];
        for (int i = 0; i < v.length; i++) v[i] = n.get(i).asInt();
        return v;
    }

    /** Hidden widths of an MLP conditioner config {dims: [in, h..., out]}. */
    static int[] hidden(JsonNode cond) {
        int[] dims = ints(cond.get("dims"));
        int[] h = new int[Math.max(0, dims.length - 2)];
        System.arraycopy(dims, 1, h, 0, h.length);
        return h;
    }

    /**
     * The random source handed to a layer's constructor on reading: a stored parameter source never draws from it; a
     * fresh one (rebuilding a layer from its config alone) gets the same fixed seed every time.
     */
    static SplittableRandom rng() { return new SplittableRandom(0); }
}
