package dev.fluvia.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fluvia.FluviaException.CheckpointException;
import dev.fluvia.backend.Backend;
import dev.fluvia.backend.Scope;
import dev.fluvia.flow.Flow;
import dev.fluvia.io.AtomicFiles;
import dev.fluvia.io.Checkpoint;
import dev.fluvia.train.TrainConfig;
import dev.fluvia.train.TrainListener;
import dev.fluvia.train.TrainResult;
import dev.fluvia.train.TrainState;
import dev.fluvia.train.Trainer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The scaffold that {@link TrainJob} (tabular data) and {@link ImageTrainJob} (images) share: resuming from a
 * checkpoint, the output directory and its files ({@code model.safetensors}, {@code checkpoint.safetensors},
 * {@code metrics.json}), periodic and final checkpoints, the train → keep the last state → restore the best → save the
 * model sequence, and metrics written atomically. A job adds only what is its own: its data, its flow, the provenance it
 * records (a data fingerprint, an image description) and its metrics.
 *
 * <p>A checkpoint's {@code training} metadata is {@code {"state", "config", "data", …provenance}} and its extra tensors are
 * the train state's ({@link TrainState#tensors()}) under {@code extra.}; the model file's is
 * {@code {"data", …provenance, "config", "best_step"}}.
 */
public final class TrainRun {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** A checkpoint to continue from: its flow (loaded for training), its train state and its training metadata. */
    public record Resumed(Flow flow, TrainState state, ObjectNode training) {}

    private final Path out;
    private final TrainConfig config;
    private final String data;
    private final ObjectNode provenance;

    /**
     * Creates {@code out} and the given sub-directories of it.
     *
     * @param data       the data set's name as the run was given it
     * @param provenance what the job records about its data besides the name (a fingerprint, an image description)
     */
    public TrainRun(Path out, TrainConfig config, String data, ObjectNode provenance, String... subdirs) {
        this.out = out;
        this.config = config;
        this.data = data;
        this.provenance = provenance == null ? JsonNodeFactory.instance.objectNode() : provenance.deepCopy();
        try {
            Files.createDirectories(out);
            for (String d : subdirs) Files.createDirectories(out.resolve(d));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create output directory " + out, e);
        }
    }

    public Path out() { return out; }
    /** The best model: {@code model.safetensors}. */
    public Path model() { return out.resolve("model.safetensors"); }
    /** The last state, resumable: {@code checkpoint.safetensors}. */
    public Path checkpoint() { return out.resolve("checkpoint.safetensors"); }
    public Path metrics() { return out.resolve("metrics.json"); }

    /**
     * Loads a checkpoint written by an earlier run (for training) with its train state.
     * @throws CheckpointException when it holds a model but no train state
     */
    public static Resumed resume(Path file, Backend be, boolean allowUnverified) {
        Checkpoint.Loaded ck = Checkpoint.load(file, be, allowUnverified, Checkpoint.Use.TRAIN);
        if (ck.training() == null || !ck.training().has("state"))
            throw new CheckpointException(file + ": holds a model but no training state to resume from");
        return new Resumed(ck.flow(), TrainState.fromJson(ck.training().get("state"), stripExtra(ck.extra())), ck.training());
    }

    /** The extra tensors of a checkpoint without their {@code extra.} prefix (the train state's tensors). */
    static Map<String, float[]> stripExtra(Map<String, float[]> extra) {
        Map<String, float[]> m = new HashMap<>();
        if (extra != null) extra.forEach((k, v) -> m.put(k.startsWith("extra.") ? k.substring(6) : k, v));
        return m;
    }

    /**
     * Wires a trainer into the run: periodic checkpoints (when the config asks for them), the resumed state (or null), and
     * the total step count for a listener that wants it ({@link TrainJob.StartAware}).
     */
    public void attach(Trainer trainer, TrainState resumed, TrainListener listener) {
        if (config.checkpointEvery() > 0) trainer.checkpointSink((f, st) -> saveCheckpoint(f, st));
        if (resumed != null) trainer.resume(resumed);
        if (listener instanceof TrainJob.StartAware sa) sa.start(trainer.totalSteps());
    }

    /**
     * Trains to the end, writes the last state to {@link #checkpoint()} (for resuming), restores the best validation
     * parameters and writes them to {@link #model()}.
     */
    public TrainResult trainAndSave(Trainer trainer) {
        TrainResult result = trainer.train();
        saveCheckpoint(trainer.flow(), trainer.exportState());
        trainer.restoreBest();
        ObjectNode info = JsonNodeFactory.instance.objectNode();
        info.put("data", data);
        info.setAll(provenance);
        info.set("config", config.toJson());
        info.put("best_step", result.bestStep());
        Checkpoint.save(model(), trainer.flow(), info, null);
        return result;
    }

    /** Writes {@code flow} and the train state to {@link #checkpoint()}. */
    public void saveCheckpoint(Flow flow, TrainState st) {
        ObjectNode training = JsonNodeFactory.instance.objectNode();
        training.set("state", st.toJson());
        training.set("config", config.toJson());
        training.put("data", data);
        training.setAll(provenance);
        Map<String, float[]> extra = new LinkedHashMap<>();
        st.tensors().forEach((k, v) -> extra.put("extra." + k, v));
        Checkpoint.save(checkpoint(), flow, training, extra);
    }

    /** Writes metrics as indented JSON, atomically, with every non-finite number as null. */
    public static void writeJson(Path file, JsonNode metrics) {
        try {
            byte[] bytes = JSON.writeValueAsString(TrainJob.finiteOrNull(metrics)).getBytes(StandardCharsets.UTF_8);
            AtomicFiles.write(file, ch -> ch.write(java.nio.ByteBuffer.wrap(bytes)));
        } catch (IOException e) {
            throw new UncheckedIOException(e.getMessage(), e);
        }
    }

    /** Mean −log p (nats per sample) of n samples x (row-major) in batches of {@code batch}; NaN for none. */
    public static double meanNll(Flow flow, float[] x, int n, int batch) {
        if (n == 0) return Double.NaN;
        Backend be = flow.backend();
        int d = flow.eventSize();
        double total = 0;
        for (int lo = 0; lo < n; lo += batch) {
            int m = Math.min(batch, n - lo);
            try (Scope s = be.scope()) {
                total -= be.sum(flow.logProb(be.fromHost(java.util.Arrays.copyOfRange(x, lo * d, (lo + m) * d), flow.batchShape(m))));
            }
        }
        return total / n;
    }
}
