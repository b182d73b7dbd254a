package dev.fluvia.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fluvia.flow.Flow;
import dev.fluvia.param.Param;
import dev.fluvia.transforms.Transform;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The model description stored in a checkpoint's {@code model} metadata:
 * {@code {"event_shape": [...], "base": {"kind", "config"}, "layers": [{"index", "kind", "config"}, ...]}},
 * plus a human-readable summary for {@code fluvia info}.
 *
 * @param model      the description JSON
 * @param layers     one line per layer (and the base first): kind and the number of stored values
 * @param values     total number of stored parameter values (trainable and fixed)
 * @param trainable  number of trainable values, or −1 when only the file header was read
 */
public record ModelDescription(ObjectNode model, List<Part> layers, long values, long trainable) {

    /**
     * One part of the model.
     *
     * @param label  "base" or "layer i"
     * @param kind   the base's or layer's kind
     * @param params parameter name → shape, in stored order
     */
    public record Part(String label, String kind, Map<String, int[]> params) {
        /** {@return the number of stored values of this part: the summed element counts of its parameters} */
        public long values() {
            long n = 0;
            for (int[] s : params.values()) n += HostArray.numel(s);
            return n;
        }
    }

    /**
     * The description JSON of a flow (what {@link Checkpoint#save} writes).
     *
     * @param flow the flow
     * @return {@code {"event_shape", "base": {kind, config}, "layers": [{index, kind, config}]}}
     * @throws dev.fluvia.FluviaException.UnknownNameException when a layer or base has no codec in {@link Registry}
     */
    public static ObjectNode describe(Flow flow) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        ObjectNode o = f.objectNode();
        ArrayNode ev = o.putArray("event_shape");
        for (int s : flow.eventShape()) ev.add(s);
        ObjectNode base = o.putObject("base");
        base.put("kind", flow.base().kind());
        base.set("config", Registry.config(flow.base()));
        ArrayNode layers = o.putArray("layers");
        List<Transform> ts = flow.transforms();
        for (int i = 0; i < ts.size(); i++) {
            ObjectNode l = layers.addObject();
            l.put("index", i);
            l.put("kind", ts.get(i).kind());
            l.set("config", Registry.config(ts.get(i)));
        }
        return o;
    }

    /**
     * Summary of an in-memory flow.
     *
     * @param flow the flow
     * @return its description, parts, stored value count and trainable parameter count
     */
    public static ModelDescription of(Flow flow) {
        List<Part> parts = new ArrayList<>();
        parts.add(part("base", flow.base().kind(), flow.base().params()));
        for (int i = 0; i < flow.transforms().size(); i++)
            parts.add(part("layer " + i, flow.transforms().get(i).kind(), flow.transforms().get(i).params()));
        long total = 0;
        for (Part p : parts) total += p.values();
        return new ModelDescription(describe(flow), parts, total, flow.parameterCount());
    }

    private static Part part(String label, String kind, List<Param> ps) {
        Map<String, int[]> m = new java.util.LinkedHashMap<>();
        for (Param p : ps) m.put(p.name(), p.value().shape());
        return new Part(label, kind, m);
    }

    /**
     * Summary from a checkpoint file's header alone (no tensor data is read, nothing is built).
     *
     * @param file the checkpoint file
     * @return its description and parts; {@code trainable} is −1 (unknown from the header)
     * @throws dev.fluvia.FluviaException.CheckpointException when the header is unreadable or its model description is bad
     */
    public static ModelDescription read(Path file) {
        SafeTensors.Index idx = SafeTensors.readIndex(file);
        ObjectNode model = Checkpoint.parseModel(file, idx.metadata());
        List<Part> parts = new ArrayList<>();
        JsonNode base = model.path("base");
        parts.add(new Part("base", base.path("kind").asText("?"), params(idx, "base.")));
        JsonNode layers = model.path("layers");
        for (int i = 0; i < layers.size(); i++)
            parts.add(new Part("layer " + i, layers.get(i).path("kind").asText("?"), params(idx, "layers." + i + ".")));
        long total = 0;
        for (Part p : parts) total += p.values();
        eventShape(file, model);
        return new ModelDescription(model, parts, total, -1);
    }

    private static Map<String, int[]> params(SafeTensors.Index idx, String prefix) {
        Map<String, int[]> m = new java.util.LinkedHashMap<>();
        for (var e : idx.shapes().entrySet())
            if (e.getKey().startsWith(prefix)) m.put(e.getKey().substring(prefix.length()), e.getValue());
        return m;
    }

    static int[] eventShape(Path file, ObjectNode model) {
        JsonNode ev = model.get("event_shape");
        if (ev == null || !ev.isArray() || ev.isEmpty()) throw Checkpoint.bad(file, "model description has no 'event_shape' array");
        int[] s = new int[ev.size()];
        for (int i = 0; i < s.length; i++) {
            if (!ev.get(i).isIntegralNumber() || ev.get(i).asInt() < 1) throw Checkpoint.bad(file, "bad event_shape " + ev);
            s[i] = ev.get(i).asInt();
        }
        return s;
    }

    /** {@return the shape of one data sample, from {@code event_shape}} */
    public int[] eventShape() {
        JsonNode ev = model.get("event_shape");
        int[] s = new int[ev.size()];
        for (int i = 0; i < s.length; i++) s[i] = ev.get(i).asInt();
        return s;
    }

    /** {@return a few lines for humans: event shape, base, each layer with its parameter shapes, totals} */
    public String summary() {
        StringBuilder sb = new StringBuilder();
        sb.append("event shape ").append(Arrays.toString(eventShape())).append(", ").append(layers.size() - 1).append(" layers\n");
        for (Part p : layers) {
            sb.append(String.format("  %-9s %-18s %10d values", p.label(), p.kind(), p.values()));
            StringBuilder ps = new StringBuilder();
            for (var e : p.params().entrySet()) {
                if (ps.length() > 0) ps.append(", ");
                ps.append(e.getKey()).append(Arrays.toString(e.getValue()));
            }
            if (ps.length() > 0) sb.append("  (").append(ps.length() > 120 ? ps.substring(0, 117) + "..." : ps).append(')');
            sb.append('\n');
        }
        sb.append("total stored values: ").append(values);
        if (trainable >= 0) sb.append(", trainable parameters: ").append(trainable);
        return sb.append('\n').toString();
    }
}
