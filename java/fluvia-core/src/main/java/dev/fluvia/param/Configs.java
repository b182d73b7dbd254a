package dev.fluvia.param;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.fluvia.FluviaException.CheckpointException;

/** Small JSON helpers for the configs of layers and base distributions (below both, so neither imports the other). */
public final class Configs {
    private Configs() {}

    public static ArrayNode json(int[] v) {
        ArrayNode arr = JsonNodeFactory.instance.arrayNode();
        for (int x : v) arr.add(x);
        return arr;
    }

    public static int[] ints(JsonNode n) {
        if (n == null || !n.isArray()) throw new CheckpointException("layer config: expected an integer array, got " + n);
        int[] v = new int[n.size()];
        for (int i = 0; i < v.length; i++) v[i] = n.get(i).asInt();
        return v;
    }
}
