package dev.fluvia.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fluvia.FluviaException;
import dev.fluvia.FluviaException.CheckpointException;
import dev.fluvia.backend.Backend;
import dev.fluvia.distributions.BaseDistribution;
import dev.fluvia.flow.Flow;
import dev.fluvia.param.Param;
import dev.fluvia.param.ParamSource;
import dev.fluvia.transforms.Transform;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Saves and loads a whole {@link Flow} as one safetensors file (see docs/CHECKPOINT.md for the full format).
 *
 * <p>Metadata: {@code format = "fluvia-flow"}, {@code format_version = "1"}, {@code model} = the model description
 * as JSON ({@link ModelDescription}: event shape, base {kind, config}, layers [{index, kind, config}]), and optionally
 * {@code training} = free-form training state as JSON. Tensors: {@code base.<param>}, {@code layers.<i>.<param>}
 * (every parameter, trainable or not), and extra tensors whose names start with {@code optim.} or {@code extra.}.
 *
 * <p>Loading builds each layer through its codec ({@link Registry}) from its kind and config, straight from the stored
 * tensors (no initialisation runs and nothing is overwritten), checking each parameter's presence and shape by name. A model
 * loaded for {@link Use#SCORE} has no gradient buffers. Any mismatch — unknown kind, missing, unexpected or misshaped tensor, bad
 * metadata — raises a {@link CheckpointException} naming it. A save→load round trip reproduces every parameter bit
 * for bit, so {@code logProb} is bit-identical on the same backend.
 */
public final class Checkpoint {
    /** The {@code format} metadata value of a Fluvia checkpoint. */
    public static final String FORMAT = "fluvia-flow";
    /** The {@code format_version} metadata value this version writes and reads. */
    public static final String FORMAT_VERSION = "1";
    /** Allowed prefixes of extra tensor names. */
    public static final List<String> EXTRA_PREFIXES = List.of("optim.", "extra.");

    private static final ObjectMapper JSON = new ObjectMapper();

    private Checkpoint() {}

    /** What a loaded model is for. */
    public enum Use {
        /** Training (resume): trainable parameters get gradient buffers. */
        TRAIN,
        /** Scoring and sampling only (logProb, sample, encode, decode): no gradient buffers; the backward pass cannot run. */
        SCORE
    }

    /**
     * A loaded checkpoint: the rebuilt flow, its model description, the training state (or null) and the extra tensors.
     *
     * @param flow     the flow rebuilt from the stored tensors, on the backend given to {@code load}
     * @param model    the model description JSON ({@link ModelDescription})
     * @param training the free-form training state saved with the flow, or null
     * @param extra    the {@code optim.} and {@code extra.} tensors by name, as flat arrays (empty when none)
     */
    public record Loaded(Flow flow, ObjectNode model, ObjectNode training, Map<String, float[]> extra) {}

    /**
     * Writes the flow atomically (the previous file survives any failure).
     *
     * @param file          the target file (conventionally {@code *.safetensors}); replaced when it exists
     * @param flow          the flow whose base and layer parameters are saved
     * @param training      free-form JSON saved under the {@code training} metadata key, or null
     * @param extraTensors  tensors saved as 1-D arrays (optimizer moments, ...), names starting with {@code optim.} or {@code extra.}; or null
     * @throws dev.fluvia.FluviaException.CheckpointException on a bad extra tensor name, a duplicate parameter name or an IO error
     * @throws dev.fluvia.FluviaException.NonFiniteException when a value is NaN or infinite (nothing is written)
     */
    public static void save(Path file, Flow flow, ObjectNode training, Map<String, float[]> extraTensors) {
        Backend be = flow.backend();
        Map<String, HostArray> tensors = new LinkedHashMap<>();
        addParams(tensors, "base.", flow.base().params(), be);
        List<Transform> ts = flow.transforms();
        for (int i = 0; i < ts.size(); i++) addParams(tensors, "layers." + i + ".", ts.get(i).params(), be);
        if (extraTensors != null)
            for (var e : extraTensors.entrySet()) {
                String name = e.getKey();
                if (name == null || EXTRA_PREFIXES.stream().noneMatch(name::startsWith) || EXTRA_PREFIXES.contains(name))
                    throw new CheckpointException("extra tensor name '" + name + "' must start with 'optim.' or 'extra.' followed by a name");
                if (e.getValue() == null) throw new CheckpointException("extra tensor '" + name + "' is null");
                tensors.put(name, HostArray.vector(e.getValue()));
            }
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", FORMAT);
        meta.put("format_version", FORMAT_VERSION);
        meta.put("model", ModelDescription.describe(flow).toString());
        if (training != null) meta.put("training", training.toString());
        SafeTensors.write(file, tensors, meta);
    }

    private static void addParams(Map<String, HostArray> out, String prefix, List<Param> params, Backend be) {
        for (Param p : params) {
            String name = prefix + p.name();
            if (out.containsKey(name)) throw new CheckpointException("duplicate parameter name '" + name + "'");
            out.put(name, new HostArray(p.value().shape(), be.toHost(p.value())));
        }
    }

    /** Name of the command-line flag that reads checkpoints without checksums ({@link #load(Path, Backend, boolean)}). */
    public static final String ALLOW_UNVERIFIED_FLAG = "--allow-unverified";

    /**
     * Reads, validates and rebuilds a checkpoint on the given backend, for training; the header and data checksums must be present.
     *
     * @param file the checkpoint file
     * @param be   the backend the flow is built on
     * @return the flow (with gradient buffers), its description, training state and extra tensors
     * @throws dev.fluvia.FluviaException.CheckpointException naming what is wrong with the file
     */
    public static Loaded load(Path file, Backend be) { return load(file, be, false); }

    /**
     * As {@link #load(Path, Backend, boolean, Use)} for {@link Use#TRAIN}.
     *
     * @param file            the checkpoint file
     * @param be              the backend the flow is built on
     * @param allowUnverified accept a file without the header or data checksum
     * @return the flow (with gradient buffers), its description, training state and extra tensors
     * @throws dev.fluvia.FluviaException.CheckpointException naming what is wrong with the file
     */
    public static Loaded load(Path file, Backend be, boolean allowUnverified) { return load(file, be, allowUnverified, Use.TRAIN); }

    /**
     * Reads, validates and rebuilds a checkpoint on the given backend.
     *
     * @param file             the checkpoint file
     * @param be               the backend the flow is built on
     * @param allowUnverified  accept a file that lacks the header or data checksum (files written before the header
     *                         checksum existed, or produced by other tools). Checksums that are present are always verified.
     * @param use              {@link Use#TRAIN} (gradient buffers) or {@link Use#SCORE} (none)
     * @return the flow, its description, training state and extra tensors
     * @throws dev.fluvia.FluviaException.CheckpointException naming what is wrong with the file: unreadable, unknown kind,
     *                                                        missing, unexpected or misshaped tensor, bad metadata or checksum
     */
    public static Loaded load(Path file, Backend be, boolean allowUnverified, Use use) {
        SafeTensors.Index idx = SafeTensors.readIndex(file);
        if (!allowUnverified && (!idx.headerChecked() || !idx.dataCrcDeclared()))
            throw bad(file, "has no " + (!idx.headerChecked() ? SafeTensors.HEADER_CRC_KEY : SafeTensors.CRC_KEY)
                    + " checksum, so its integrity cannot be verified (written by an older Fluvia or by another tool, or edited). "
                    + "To load it anyway, pass " + ALLOW_UNVERIFIED_FLAG + " (API: Checkpoint.load(file, backend, true)); "
                    + "saving it again writes both checksums");
        ObjectNode checked = parseModel(file, idx.metadata());
        ModelBounds.check(file, checked, idx.shapes());
        SafeTensors.Contents c = SafeTensors.read(file);
        if (!java.util.Objects.equals(c.metadata().get("model"), idx.metadata().get("model")) || c.headerChecked() != idx.headerChecked())
            throw bad(file, "the file changed while it was being read");
        ObjectNode model = parseModel(file, c.metadata());
        ObjectNode training = null;
        if (c.metadata().containsKey("training")) training = object(file, "training", c.metadata().get("training"));

        int[] event = ModelDescription.eventShape(file, model);
        Map<String, HostArray> tensors = c.tensors();
        Set<String> used = new HashSet<>();
        boolean grads = use == Use.TRAIN;
        JsonNode baseNode = model.get("base");
        if (baseNode == null || !baseNode.isObject()) throw bad(file, "model description has no 'base' object");
        String baseKind = text(file, "base", baseNode, "kind");
        BaseDistribution base;
        try {
            base = Registry.base(be, baseKind, config(file, "base", baseNode),
                    stored(file, be, tensors, used, "base.", baseKind, "base (" + baseKind + ")", grads));
        } catch (TensorProblem e) {
            throw e.error;
        } catch (FluviaException.UnknownNameException | CheckpointException e) {
            throw bad(file, "base (" + baseKind + "): " + e.getMessage());
        } catch (RuntimeException e) {
            throw bad(file, "base (" + baseKind + "): invalid config: " + e);
        }

        JsonNode layersNode = model.get("layers");
        if (layersNode == null || !layersNode.isArray()) throw bad(file, "model description has no 'layers' array");
        List<Transform> layers = new ArrayList<>();
        for (int i = 0; i < layersNode.size(); i++) {
            JsonNode l = layersNode.get(i);
            String where = "layer " + i;
            if (!l.isObject()) throw bad(file, where + ": not a JSON object");
            if (l.get("index") == null || l.get("index").asInt(-1) != i || !l.get("index").isIntegralNumber())
                throw bad(file, where + ": has index " + l.get("index") + " (layers must be listed in order 0, 1, 2, ...)");
            String kind = text(file, where, l, "kind");
            try {
                layers.add(Registry.transform(be, kind, config(file, where, l),
                        stored(file, be, tensors, used, "layers." + i + ".", kind, where + " (" + kind + ")", grads)));
            } catch (TensorProblem e) {
                throw e.error;
            } catch (FluviaException.UnknownNameException | CheckpointException e) { // unknown kind, or an unknown name inside the config
                throw bad(file, where + " (" + kind + "): " + e.getMessage());
            } catch (RuntimeException e) {
                throw bad(file, where + " (" + kind + "): invalid config: " + e);
            }
        }
        Flow flow;
        try {
            flow = new Flow(be, base, layers);
        } catch (FluviaException e) {
            throw bad(file, "layers do not fit together: " + e.getMessage());
        }
        // the data shape is the first layer's input (the base's event shape when there are no layers; squeeze/split change it)
        if (!Arrays.equals(flow.eventShape(), event))
            throw bad(file, (layers.isEmpty() ? "base " + baseKind : "layer 0 (" + layers.get(0).kind() + ")") + " takes samples of shape "
                    + Arrays.toString(flow.eventShape()) + " but the model says " + Arrays.toString(event));

        Map<String, float[]> extra = new LinkedHashMap<>();
        for (var e : tensors.entrySet()) {
            if (used.contains(e.getKey())) continue;
            if (EXTRA_PREFIXES.stream().anyMatch(e.getKey()::startsWith)) extra.put(e.getKey(), e.getValue().data());
            else throw bad(file, "unexpected tensor '" + e.getKey() + "' " + Arrays.toString(e.getValue().shape())
                    + ": no parameter of the model has this name");
        }
        return new Loaded(flow, model, training, extra);
    }

    /** A problem with a stored tensor, already naming the file and the parameter's owner (passed through as it is). */
    private static final class TensorProblem extends RuntimeException {
        final CheckpointException error;
        TensorProblem(Path file, String msg) { super(msg, null, false, false); this.error = bad(file, msg); }
    }

    /**
     * The parameter source of one part of the model (the base, or layer i): each parameter is taken from the tensor
     * {@code prefix + name}, which must be present, have the parameter's shape, be claimed once, be finite and be valid for
     * the kind ({@link #invalid}).
     */
    private static ParamSource stored(Path file, Backend be, Map<String, HostArray> tensors, Set<String> used, String prefix,
                                      String kind, String owner, boolean grads) {
        return ParamSource.stored(be, (pname, trainable, shape) -> {
            String name = prefix + pname;
            HostArray a = tensors.get(name);
            if (a == null) throw new TensorProblem(file, "missing tensor '" + name + "' for parameter '" + pname + "' of " + owner);
            if (!Arrays.equals(a.shape(), shape))
                throw new TensorProblem(file, "tensor '" + name + "' has shape " + Arrays.toString(a.shape()) + " but " + owner + " expects "
                        + Arrays.toString(shape));
            if (!used.add(name)) throw new TensorProblem(file, "tensor '" + name + "' is claimed by two parameters");
            float[] v = a.data();
            for (int k = 0; k < v.length; k++)
                if (!Float.isFinite(v[k])) throw new TensorProblem(file, "tensor '" + name + "' element " + k + " is " + v[k]);
            String why = invalid(kind, pname, v);
            if (why != null) throw new TensorProblem(file, "tensor '" + name + "' of " + owner + ": " + why);
            return v;
        }, grads);
    }

    /** Largest |value| of a log-scale parameter: exp(±80) is still a normal float32, exp(89) overflows. */
    static final float MAX_LOG_SCALE = 80f;

    /** Why a parameter's values cannot be valid for its layer kind, or null when they can (all values are finite here). */
    static String invalid(String kind, String param, float[] v) {
        for (int k = 0; k < v.length; k++) {
            float x = v[k];
            if (kind.equals("standardize") && param.equals("std") && !(x >= Float.MIN_NORMAL))
                return "element " + k + " is " + x + "; a standard deviation must be a normal float32 value > 0";
            if ((kind.equals("lu_linear") || kind.equals("lu_conv1x1")) && param.equals("sign") && x != 1f && x != -1f)
                return "element " + k + " is " + x + "; LU signs must be +1 or -1";
            if ((param.equals("initialized") || param.endsWith(".initialized")) && x != 0f && x != 1f)
                return "element " + k + " is " + x + "; the ActNorm flag must be 0 or 1";
            boolean logScale = param.equals("logs") || param.endsWith(".logs") || param.equals("log_sigma") || (kind.equals("diag_scale") && param.equals("s"));
            if (logScale && !(Math.abs(x) <= MAX_LOG_SCALE))
                return "element " + k + " is " + x + "; a log-scale must lie in [-" + MAX_LOG_SCALE + ", " + MAX_LOG_SCALE + "] so that exp() stays finite in float32";
        }
        return null;
    }

    static ObjectNode parseModel(Path file, Map<String, String> meta) {
        String format = meta.get("format");
        if (!FORMAT.equals(format)) throw bad(file, "not a Fluvia flow checkpoint: metadata format is " + (format == null ? "missing" : "'" + format + "'") + " (expected '" + FORMAT + "')");
        String version = meta.get("format_version");
        if (!FORMAT_VERSION.equals(version))
            throw bad(file, "unsupported format_version " + (version == null ? "(missing)" : "'" + version + "'") + " (this version reads '" + FORMAT_VERSION + "')");
        String model = meta.get("model");
        if (model == null) throw bad(file, "metadata has no 'model' description");
        return object(file, "model", model);
    }

    private static ObjectNode object(Path file, String key, String json) {
        try {
            JsonNode n = JSON.readTree(json);
            if (n == null || !n.isObject()) throw bad(file, "metadata '" + key + "' is not a JSON object");
            return (ObjectNode) n;
        } catch (JsonProcessingException e) {
            throw bad(file, "metadata '" + key + "' is not valid JSON: " + e.getOriginalMessage());
        }
    }

    private static String text(Path file, String where, JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || !v.isTextual()) throw bad(file, where + ": missing '" + field + "'");
        return v.asText();
    }

    private static ObjectNode config(Path file, String where, JsonNode n) {
        JsonNode v = n.get("config");
        if (v == null || !v.isObject()) throw bad(file, where + ": missing 'config' object");
        return ((ObjectNode) v).deepCopy();
    }

    static CheckpointException bad(Path file, String msg) { return new CheckpointException(file + ": " + msg); }
}
