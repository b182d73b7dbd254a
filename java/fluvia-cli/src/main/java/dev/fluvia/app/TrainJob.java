package dev.fluvia.app;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fluvia.backend.Backend;
import dev.fluvia.data.Dataset;
import dev.fluvia.data.Splits;
import dev.fluvia.data.Standardization;
import dev.fluvia.flow.Flow;
import dev.fluvia.flow.PresetOptions;
import dev.fluvia.flow.Presets;
import dev.fluvia.plot.Plots;
import dev.fluvia.train.TrainConfig;
import dev.fluvia.train.TrainData;
import dev.fluvia.train.TrainListener;
import dev.fluvia.train.TrainResult;
import dev.fluvia.train.TrainState;
import dev.fluvia.train.Trainer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A whole training run as the CLI does it, usable from Java too: data → split → standardisation (part of the model)
 * → preset flow → {@link Trainer} → best model to {@code model.safetensors}, {@code metrics.json}, PNG plots.
 */
public final class TrainJob {

    /**
     * Everything a run needs. {@code resume} is a checkpoint written by an earlier run, or null. {@code valData} /
     * {@code testData} are fixed validation / test files (same formats as {@code data}), or null: a file given replaces
     * that share of {@code data} (its fraction is then not used). {@code allowUnverified} lets {@code resume} be a file
     * without checksums (written before they existed).
     */
    public record Spec(String data, int generatedSamples, String flow, PresetOptions preset, TrainConfig train,
                       double valFraction, double testFraction, boolean standardize, Path out, boolean plots, Path resume,
                       boolean allowDegenerateData, boolean allowDataChange, boolean allowUnverified, Path valData, Path testData) {
        public Spec(String data, int generatedSamples, String flow, PresetOptions preset, TrainConfig train,
                    double valFraction, double testFraction, boolean standardize, Path out, boolean plots, Path resume,
                    boolean allowDegenerateData, boolean allowDataChange) {
            this(data, generatedSamples, flow, preset, train, valFraction, testFraction, standardize, out, plots, resume,
                    allowDegenerateData, allowDataChange, false, null, null);
        }

        public Spec(String data, int generatedSamples, String flow, PresetOptions preset, TrainConfig train,
                    double valFraction, double testFraction, boolean standardize, Path out, boolean plots, Path resume) {
            this(data, generatedSamples, flow, preset, train, valFraction, testFraction, standardize, out, plots, resume, false, false);
        }
    }

    /** Reads a fixed validation or test file ({@code option} names it in errors); its rows must have {@code dim} values. */
    static Dataset readSplitFile(String option, Path file, int dim, String name) {
        if (!Files.isRegularFile(file))
            throw new dev.fluvia.FluviaException.DataFormatException(option + " " + file + ": no such file");
        Dataset d = DataSource.readFile(file);
        if (d.dim() != dim)
            throw new dev.fluvia.FluviaException.DataFormatException(option + " " + file + ": rows have " + d.dim()
                    + " values, but the training data's have " + dim);
        if (d.n() == 0) throw new dev.fluvia.FluviaException.DataFormatException(option + " " + file + ": no rows");
        return d.withName(name);
    }

    /** Largest |value| accepted without --allow-degenerate-data: beyond it squares overflow float32 and the fit is meaningless. */
    public static final double MAX_ABS_VALUE = 1e18;

    /**
     * Refuses data whose density is degenerate or cannot be computed in float32: a constant column (its fitted std
     * shrinks towards 0 and the NLL towards −∞) or a value beyond ±{@link #MAX_ABS_VALUE}.
     */
    public static void checkDegenerate(String source, Dataset d) {
        int dim = d.dim();
        float[] x = d.data();
        for (int j = 0; j < dim; j++) {
            float lo = Float.POSITIVE_INFINITY, hi = Float.NEGATIVE_INFINITY;
            for (int i = 0; i < d.n(); i++) {
                float v = x[i * dim + j];
                if (Math.abs(v) > MAX_ABS_VALUE)
                    throw new dev.fluvia.FluviaException.DataFormatException(source + ": row " + (i + 1) + ", column " + (j + 1) + " is " + v
                            + ", beyond ±" + MAX_ABS_VALUE + " where float32 arithmetic overflows; rescale the data, or pass --allow-degenerate-data to train anyway");
                lo = Math.min(lo, v);
                hi = Math.max(hi, v);
            }
            if (d.n() > 1 && lo == hi)
                throw new dev.fluvia.FluviaException.DataFormatException(source + ": column " + (j + 1) + " is constant (every value is " + lo
                        + "), so its density is degenerate (the NLL goes to −∞); drop the column, or pass --allow-degenerate-data to train anyway");
        }
    }

    /** A fingerprint of a data set (SHA-256 over its shape and values, 16 hex digits), stored with the training state. */
    public static String fingerprint(Dataset d) {
        try {
            java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(1 << 16).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            b.putLong(d.n()).putLong(d.dim());
            for (float v : d.data()) {
                if (b.remaining() < 4) { md.update(b.flip()); b.clear(); }
                b.putFloat(v);
            }
            md.update(b.flip());
            return java.util.HexFormat.of().formatHex(md.digest(), 0, 8);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** What a run produced. */
    public record Outcome(Path model, Path metrics, List<Path> plots, double trainNll, double valNll, double testNll, TrainResult result) {}

    /** A listener that also wants the total number of steps before the first one (progress bars). */
    public interface StartAware { void start(long totalSteps); }

    private TrainJob() {}

    public static Outcome run(Spec spec, Backend be, TrainListener listener) {
        long seed = spec.train().seed();
        Dataset all = DataSource.load(spec.data(), spec.generatedSamples(), seed);
        if (!spec.allowDegenerateData()) checkDegenerate(spec.data(), all);
        String fingerprint = fingerprint(all);
        double vf = spec.valData() != null ? 0 : spec.valFraction(), tf = spec.testData() != null ? 0 : spec.testFraction();
        Splits.Split split = Splits.split(all, 1 - vf - tf, vf, seed);
        Dataset train = split.train(), val = split.validation(), test = split.test();
        if (spec.valData() != null) val = readSplitFile("--val-data", spec.valData(), all.dim(), all.name() + "/validation");
        if (spec.testData() != null) test = readSplitFile("--test-data", spec.testData(), all.dim(), all.name() + "/test");
        if (spec.train().patience() > 0 && val.n() == 0)
            throw new IllegalArgumentException("early stopping needs validation data: --val-fraction is 0 and no --val-data is given");
        Flow flow;
        TrainState resumeState = null;
        if (spec.resume() != null) {
            TrainRun.Resumed r = TrainRun.resume(spec.resume(), be, spec.allowUnverified());
            flow = r.flow();
            String was = r.training().path("data_fingerprint").asText(null);
            if (was != null && !was.equals(fingerprint) && !spec.allowDataChange())
                throw new dev.fluvia.FluviaException.DataFormatException("--resume " + spec.resume() + ": the run was trained on other data ("
                        + r.training().path("data").asText("?") + ", fingerprint " + was + "); --data " + spec.data() + " has fingerprint "
                        + fingerprint + ". Resume with the same data, or pass --allow-data-change to continue on this data");
            resumeState = r.state();
        } else {
            float[] mean = null, std = null;
            if (spec.standardize()) {
                Standardization s = Standardization.fit(train);
                mean = s.mean();
                std = s.std();
            }
            flow = Presets.build(spec.flow(), be, all.dim(), spec.preset(), mean, std);
        }
        ObjectNode provenance = JsonNodeFactory.instance.objectNode();
        provenance.put("data_fingerprint", fingerprint);
        TrainRun run = new TrainRun(spec.out(), spec.train(), spec.data(), provenance);
        Trainer trainer = new Trainer(flow, new TrainData(train.data(), train.n(), val.data(), val.n(), all.dim()), spec.train());
        if (listener != null) trainer.listener(listener);
        run.attach(trainer, resumeState, listener);
        TrainResult result = run.trainAndSave(trainer);   // the checkpoint holds the last state, the model the best parameters

        double trainNll = meanNll(flow, train), valNll = meanNll(flow, val), testNll = meanNll(flow, test);
        ObjectNode m = JsonNodeFactory.instance.objectNode();
        m.put("data", spec.data());
        m.put("flow", spec.resume() != null ? "resumed" : spec.flow());
        m.put("backend", be.name());
        m.put("threads", be.threads());
        m.put("dim", all.dim());
        m.put("n_train", train.n()); m.put("n_val", val.n()); m.put("n_test", test.n());
        if (spec.valData() != null) m.put("val_data", spec.valData().toString());
        if (spec.testData() != null) m.put("test_data", spec.testData().toString());
        m.put("parameters", flow.parameterCount());
        m.put("train_nll", trainNll); m.put("val_nll", valNll); m.put("test_nll", testNll);
        m.put("best_val_nll", result.bestValNll());
        m.put("best_step", result.bestStep());
        m.put("steps", result.losses().length);
        m.put("patience", spec.train().patience());
        if (result.stopReason() != null) m.put("stopped_early", result.stopReason());
        m.put("wall_seconds", result.wallSeconds());
        m.put("samples_per_second", result.samplesPerSec());
        m.put("units", "nats per sample");
        var losses = m.putArray("train_loss");
        for (double v : result.losses()) losses.add(v);
        var vals = m.putArray("val_nll_per_epoch");
        for (double v : result.valNlls()) vals.add(v);
        m.set("config", spec.train().toJson());
        TrainRun.writeJson(run.metrics(), m);
        List<Path> plots = spec.plots() ? writePlots(spec.out(), flow, all, result, trainer.batchesPerEpoch(), seed) : List.of();
        return new Outcome(run.model(), run.metrics(), plots, trainNll, valNll, testNll, result);
    }

    /** Replaces every NaN or infinite number in a JSON tree by null (metrics.json never holds "NaN"), in place. */
    public static com.fasterxml.jackson.databind.JsonNode finiteOrNull(com.fasterxml.jackson.databind.JsonNode n) {
        if (n instanceof ObjectNode o) {
            List<String> keys = new java.util.ArrayList<>();
            o.fieldNames().forEachRemaining(keys::add);
            for (String k : keys) {
                var v = o.get(k);
                if (v.isNumber() && !Double.isFinite(v.asDouble())) o.putNull(k); else finiteOrNull(v);
            }
        } else if (n instanceof com.fasterxml.jackson.databind.node.ArrayNode a) {
            for (int i = 0; i < a.size(); i++) {
                var v = a.get(i);
                if (v.isNumber() && !Double.isFinite(v.asDouble())) a.set(i, com.fasterxml.jackson.databind.node.NullNode.getInstance()); else finiteOrNull(v);
            }
        }
        return n;
    }

    /** Mean −log p over a dataset in batches (nats per sample); NaN for an empty set. */
    public static double meanNll(Flow flow, Dataset d) { return TrainRun.meanNll(flow, d.data(), d.n(), 4096); }

    static List<Path> writePlots(Path out, Flow flow, Dataset all, TrainResult r, int batchesPerEpoch, long seed) {
        try {
            return plots(out, flow, all, r, batchesPerEpoch, seed);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write plots to " + out + ": " + e.getMessage(), e);
        }
    }

    private static List<Path> plots(Path out, Flow flow, Dataset all, TrainResult r, int batchesPerEpoch, long seed) throws IOException {
        Path loss = out.resolve("loss.png");
        double[] steps = new double[r.losses().length];
        for (int i = 0; i < steps.length; i++) steps[i] = i + 1;
        double[] vsteps = new double[r.valNlls().length];
        for (int i = 0; i < vsteps.length; i++) vsteps[i] = (double) (i + 1) * batchesPerEpoch;
        Plots.lossCurves(loss, "Training: " + all.name(), steps, r.losses(), vsteps, r.valNlls());
        if (all.dim() == 1) {   // one column: the model density over the data's histogram
            Path density = out.resolve("density.png");
            dev.fluvia.plot.DensityHistogram.write(density, "Model density over the data: " + all.name(), all.data(), all.n(),
                    pts -> flow.logProb(pts, pts.length), 60);
            return List.of(loss, density);
        }
        if (all.dim() != 2) return List.of(loss);
        double[] view = Plots.robustView(all.data(), all.n());   // quantiles: a few outliers do not set the axes
        Path density = out.resolve("density.png"), samples = out.resolve("samples.png");
        Plots.densityHeatmap(density, "Model density: " + all.name(), pts -> flow.logProb(pts, pts.length / 2),
                view[0], view[1], view[2], view[3], 200);
        int ns = Math.min(2000, all.n());
        Plots.samplesOverData(samples, "Samples (colour) over data (grey): " + all.name(), all.data(), all.n(),
                flow.sampleHost(ns, 1f, seed + 1), ns);
        return List.of(loss, density, samples);
    }
}
