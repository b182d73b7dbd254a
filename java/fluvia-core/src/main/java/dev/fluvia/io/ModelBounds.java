package dev.fluvia.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fluvia.FluviaException.CheckpointException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

/**
 * Checks a checkpoint's model description against the file before anything is built, so that a hostile or corrupt
 * header cannot make the loader allocate memory the file does not justify:
 * <ul>
 *   <li>every field has the JSON type its reader expects (integers where a size or index is meant, in {@code int}
 *       range; finite float32 numbers, not booleans or strings, for {@code clamp} and {@code lambda});</li>
 *   <li>every extent is ≥ 1, one sample holds at most {@link #MAX_EVENT_VALUES} values, and the shapes chain from
 *       {@code event_shape} through every layer's declared input shape to the base's {@code event_shape};</li>
 *   <li>the parameter values each layer (and the base) will allocate, computed from its config, do not exceed the
 *       values the file stores under its prefix ({@code layers.<i>.}, {@code base.}), which the file size bounds.</li>
 * </ul>
 * The exact tensor shapes are compared afterwards, parameter by parameter, by {@link Checkpoint#load}.
 */
final class ModelBounds {
    /** Largest number of values in one sample (2^24, e.g. 4 × 2048 × 2048). */
    static final long MAX_EVENT_VALUES = 1L << 24;

    /** Parameter values a layer may declare beyond what the file stores under its prefix (the exact check comes later). */
    private static final int SLACK_VALUES = 4096;
    private static final Set<String> INT_FIELDS = Set.of("dim", "seed", "parity", "width", "blocks", "index", "context");
    private static final Set<String> INT_ARRAYS = Set.of("shape", "event_shape", "image_shape", "a", "b", "perm", "order", "hidden", "dims");
    private static final Set<String> TEXT_FIELDS = Set.of("kind", "scale", "mask", "activation", "type", "prior", "mode");

    private ModelBounds() {}

    static void check(Path file, ObjectNode model, Map<String, int[]> tensorShapes) {
        JsonNode ev = model.get("event_shape");
        int[] shape = extents(file, "event_shape", ev);
        double totalNeed = 0;
        JsonNode layers = model.get("layers");
        if (layers == null || !layers.isArray()) throw bad(file, "model description has no 'layers' array");
        for (int i = 0; i < layers.size(); i++) {
            JsonNode l = layers.get(i);
            String where = "layer " + i;
            if (l == null || !l.isObject()) throw bad(file, where + ": not a JSON object");
            String kind = l.path("kind").isTextual() ? l.get("kind").asText() : "?";
            where += " (" + kind + ")";
            JsonNode c = l.get("config");
            if (c == null || !c.isObject()) throw bad(file, where + ": missing 'config' object");
            types(file, where, c);
            int[] in = inputShape(c, kind);
            if (in != null && !Arrays.equals(in, shape))
                throw bad(file, where + " takes samples of shape " + Arrays.toString(in)
                        + (i == 0 ? " but the model says " : " but the layer before it gives ") + Arrays.toString(shape));
            if (in == null) in = shape;
            shape = outputShape(kind, in, c);
            checkEvent(file, where, shape);
            double need = values(kind, c, in);
            long have = stored(tensorShapes, "layers." + i + ".");
            totalNeed += need;
            // slack so that a missing or misshaped tensor is reported by name later; the allocation stays bounded by the file
            if (need > 2.0 * have + SLACK_VALUES)
                throw bad(file, where + ": its config needs " + (long) Math.min(need, 9e18) + " parameter values but the file stores only "
                        + have + " under 'layers." + i + ".'");
        }
        if (totalNeed > 2.0 * stored(tensorShapes, "") + (1 << 20))
            throw bad(file, "the layers' configs need " + (long) Math.min(totalNeed, 9e18) + " parameter values in all but the file stores only "
                    + stored(tensorShapes, ""));
        JsonNode base = model.get("base");
        if (base == null || !base.isObject()) throw bad(file, "model description has no 'base' object");
        JsonNode bc = base.get("config");
        if (bc == null || !bc.isObject()) throw bad(file, "base: missing 'config' object");
        types(file, "base", bc);
        if (bc.has("event_shape")) {
            int[] be = extents(file, "base event_shape", bc.get("event_shape"));
            if (!Arrays.equals(be, shape))
                throw bad(file, "base takes samples of shape " + Arrays.toString(be) + " but the last layer gives " + Arrays.toString(shape));
        }
        if ("diag_normal".equals(base.path("kind").asText()) && 2.0 * numel(shape) > 2.0 * stored(tensorShapes, "base.") + SLACK_VALUES)
            throw bad(file, "base (diag_normal): needs " + 2 * numel(shape) + " parameter values but the file stores only "
                    + stored(tensorShapes, "base.") + " under 'base.'");
    }

    private static int[] extents(Path file, String what, JsonNode n) {
        if (n == null || !n.isArray() || n.isEmpty()) throw bad(file, what + " must be a non-empty array of sizes, got " + n);
        int[] s = new int[n.size()];
        for (int i = 0; i < s.length; i++) {
            JsonNode v = n.get(i);
            if (!v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() < 1) throw bad(file, what + " " + n + ": extent " + v + " is not an integer ≥ 1");
            s[i] = v.asInt();
        }
        checkEvent(file, what, s);
        return s;
    }

    private static void checkEvent(Path file, String what, int[] s) {
        if (numel(s) > MAX_EVENT_VALUES)
            throw bad(file, what + ": samples of shape " + Arrays.toString(s) + " hold " + (long) numel(s) + " values, more than the "
                    + MAX_EVENT_VALUES + " Fluvia accepts per sample");
    }

    /** Strict JSON types of the config fields that the layers read (recursively: the conditioner config too). */
    private static void types(Path file, String where, JsonNode c) {
        for (Iterator<Map.Entry<String, JsonNode>> it = c.fields(); it.hasNext(); ) {
            var f = it.next();
            String k = f.getKey();
            JsonNode v = f.getValue();
            if (INT_FIELDS.contains(k)) {
                if (!v.isIntegralNumber() || !(k.equals("seed") ? v.canConvertToLong() : v.canConvertToInt()))
                    throw bad(file, where + ": config field '" + k + "' must be an integer, got " + v);
                if (!k.equals("seed") && v.asInt() < 0) throw bad(file, where + ": config field '" + k + "' must be ≥ 0, got " + v);
            } else if (INT_ARRAYS.contains(k)) {
                ints(file, where, k, v);
            } else if (k.equals("degrees")) {
                if (!v.isArray()) throw bad(file, where + ": config field 'degrees' must be an array of integer arrays, got " + v);
                for (JsonNode d : v) ints(file, where, "degrees", d);
            } else if (k.equals("clamp") || k.equals("lambda")) {
                if (!v.isNumber()) throw bad(file, where + ": config field '" + k + "' must be a number, got " + v);
                float x = (float) v.asDouble();
                if (!Float.isFinite(x)) throw bad(file, where + ": config field '" + k + "' = " + v + " is not a finite float32 value");
                if (k.equals("clamp") && !(x > 0)) throw bad(file, where + ": config field 'clamp' must be > 0, got " + v);
                if (k.equals("lambda") && !(x >= 0 && x < 0.5f)) throw bad(file, where + ": config field 'lambda' must lie in [0, 0.5), got " + v);
            } else if (TEXT_FIELDS.contains(k)) {
                if (!v.isTextual()) throw bad(file, where + ": config field '" + k + "' must be a string, got " + v);
            } else if (k.equals("split") || k.equals("layer") || k.equals("config")) {  // a conditional flow's wrapped layer
                if (!v.isObject()) throw bad(file, where + ": config field '" + k + "' must be an object, got " + v);
                types(file, where + " " + k, v);
            } else if (k.equals("conditioner")) {
                if (!v.isObject()) throw bad(file, where + ": config field 'conditioner' must be an object, got " + v);
                types(file, where + " conditioner", v);
            }
        }
    }

    private static void ints(Path file, String where, String k, JsonNode v) {
        if (!v.isArray()) throw bad(file, where + ": config field '" + k + "' must be an array of integers, got " + v);
        for (JsonNode e : v)
            if (!e.isIntegralNumber() || !e.canConvertToInt() || e.asInt() < 0)
                throw bad(file, where + ": config field '" + k + "' must hold integers ≥ 0, found " + e);
        if ((k.equals("shape") || k.equals("event_shape") || k.equals("dims") || k.equals("hidden")))
            for (JsonNode e : v)
                if (e.asInt() < 1) throw bad(file, where + ": config field '" + k + "' " + v + " has an extent < 1");
    }

    /** The input shape a layer's config declares, or null when it declares none. */
    private static int[] inputShape(JsonNode c, String kind) {
        if (c.has("shape")) return toInts(c.get("shape"));
        if (c.has("dim")) return new int[] {c.get("dim").asInt()};
        if ((kind.equals("maf") || kind.equals("iaf")) && c.has("order")) return new int[] {c.get("order").size()};
        if (c.has("perm") && c.get("perm").isArray()) return new int[] {c.get("perm").size()};
        return null;
    }

    private static int[] inputShapeOr(JsonNode c, int[] in) {
        int[] s = c.has("shape") ? toInts(c.get("shape")) : null;
        return s != null && s.length > 0 ? s : in;
    }

    private static int[] outputShape(String kind, int[] in, JsonNode c) {
        // a conditional flow's split, on rows [x | c]: x's channels halve, the context stays
        if (kind.equals("context_split") && in.length == 1 && c.path("split").path("shape").size() == 3) {
            int[] img = toInts(c.path("split").get("shape"));
            return new int[] {(img[0] / 2) * img[1] * img[2] + c.path("context").asInt()};
        }
        if (kind.equals("squeeze") && in.length == 3) return new int[] {4 * in[0], in[1] / 2, in[2] / 2};
        if (kind.equals("split") && in.length == 3) return new int[] {in[0] / 2, in[1], in[2]};
        return in;
    }

    /** The number of parameter values a layer of this kind allocates for this config (0 for kinds without parameters). */
    private static double values(String kind, JsonNode c, int[] in) {
        double d = numel(in), ch = in[0];
        return switch (kind) {
            case "affine_coupling" -> mlp(c.path("a").size(), c.path("conditioner").path("dims"), 2.0 * c.path("b").size());
            case "additive_coupling" -> mlp(c.path("a").size(), c.path("conditioner").path("dims"), c.path("b").size());
            case "maf", "iaf" -> mlp(d, hiddenAsDims(c.path("hidden"), d), 2 * d);
            case "diag_scale" -> d;
            case "planar" -> 2 * d + 1;
            case "radial" -> d + 2;
            case "standardize" -> 2 * d;
            case "actnorm" -> 2 * ch + 1;
            case "linear", "conv1x1" -> ch * ch;
            case "lu_linear", "lu_conv1x1" -> 2 * ch * ch + 2 * ch;
            case "context_split" -> c.path("split").path("shape").size() == 3 ? values("split", c.path("split"), toInts(c.path("split").get("shape"))) : 0;
            case "context_carry" -> c.path("layer").path("config").isObject()
                    ? values(c.path("layer").path("kind").asText(), c.path("layer").path("config"), inputShapeOr(c.path("layer").path("config"), in)) : 0;
            case "split" -> "conditional".equals(c.path("prior").asText())
                    ? 2 * (ch - Math.floor(ch / 2)) * Math.floor(ch / 2) * 9 + 2 * (ch - Math.floor(ch / 2)) : 0;
            case "image_affine_coupling", "image_additive_coupling", "conditional_image_affine_coupling", "conditional_image_additive_coupling" -> {
                boolean affine = kind.endsWith("image_affine_coupling");
                double cin, cb, k = 0;
                if (kind.startsWith("conditional_")) {   // rows [x | c]: the image's channels, and K context planes into the conditioner
                    ch = c.path("image_shape").path(0).asDouble();
                    k = c.path("context").asDouble();
                }
                if ("channel".equals(c.path("mask").asText())) {
                    double s = Math.floor(ch / 2);
                    boolean p0 = c.path("parity").asInt() == 0;
                    cin = p0 ? s : ch - s;
                    cb = p0 ? ch - s : s;
                } else {
                    cin = ch;
                    cb = ch;
                }
                yield conv(c.path("conditioner"), cin + k, affine ? 2 * cb : cb);
            }
            default -> 0;
        };
    }

    private static double mlp(double in, JsonNode dims, double out) {
        // dims = [in, hidden..., out] as stored; the first and last entries are implied by the layer
        double n = 0, prev = in;
        if (dims.isArray())
            for (int i = 1; i < dims.size() - 1; i++) {
                double h = dims.get(i).asDouble();
                n += prev * h + h;
                prev = h;
            }
        return n + prev * out + out;
    }

    private static JsonNode hiddenAsDims(JsonNode hidden, double d) {
        var a = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.arrayNode();
        a.add(d);
        if (hidden.isArray()) for (JsonNode h : hidden) a.add(h.asDouble());
        a.add(2 * d);
        return a;
    }

    private static double conv(JsonNode cond, double cin, double cout) {
        double w = cond.path("width").asDouble();
        String type = cond.path("type").asText();
        double n = w * cin * 9 + w + cout * w * 9 + cout;
        return switch (type) {
            case "glow" -> n + w * w + w;
            case "glow_actnorm" -> n + w * w + w + 2 * (2 * w + 1);
            case "resnet" -> n + cond.path("blocks").asDouble() * 2 * (w * w * 9 + w);
            default -> 0;
        };
    }

    private static long stored(Map<String, int[]> shapes, String prefix) {
        long n = 0;
        for (var e : shapes.entrySet()) if (e.getKey().startsWith(prefix)) n += HostArray.numel(e.getValue());
        return n;
    }

    private static double numel(int[] s) {
        double n = 1;
        for (int v : s) n *= v;
        return n;
    }

    private static int[] toInts(JsonNode n) {
        int[] v = new int[n.size()];
        for (int i = 0; i < v.length; i++) v[i] = n.get(i).asInt();
        return v;
    }

    private static CheckpointException bad(Path file, String msg) { return Checkpoint.bad(file, msg); }
}
