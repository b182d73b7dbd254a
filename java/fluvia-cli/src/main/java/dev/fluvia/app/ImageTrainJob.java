package dev.fluvia.app;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fluvia.FluviaException.CheckpointException;
import dev.fluvia.FluviaException.ShapeException;
import dev.fluvia.backend.Backend;
import dev.fluvia.data.images.Dequantization;
import dev.fluvia.data.images.ImageDataset;
import dev.fluvia.data.images.ImageDatasets;
import dev.fluvia.flow.Flow;
import dev.fluvia.flow.ImagePresets;
import dev.fluvia.plot.Plots;
import dev.fluvia.tensor.Tensor;
import dev.fluvia.train.BatchUploader;
import dev.fluvia.train.HostBatch;
import dev.fluvia.train.TrainConfig;
import dev.fluvia.train.TrainData;
import dev.fluvia.train.TrainListener;
import dev.fluvia.train.TrainResult;
import dev.fluvia.train.TrainState;
import dev.fluvia.train.Trainer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A whole image training run (the CLI's {@code fluvia train --data digits|mnist|fashion-mnist}), usable from Java:
 * image data set → seeded train / validation / test split → multi-scale preset flow ({@link ImagePresets}) → {@link Trainer}.
 *
 * <p><b>Dequantisation.</b> Training batches hold integer levels; {@link DequantizingUploader#stage} turns each into
 * {@code x = (k + u)/L} with fresh uniform noise whose seed is a function of {@code (seed, epoch, batch index)}, so every
 * batch sees new noise and a resumed run sees exactly the noise an uninterrupted run would have (bit-identical losses).
 * The validation and test sets are dequantised once, with fixed seeds. Optional bit-depth reduction ({@code bits}) first
 * maps levels to {@code 2^bits} levels.
 *
 * <p><b>Metric.</b> bits/dim {@code = (−log p(x) + D·ln L)/(D·ln 2)} ({@link Dequantization#bitsPerDim}), with
 * {@code −log p(x)} the flow's NLL in nats of the [0, 1)-scaled data including the logit pre-processing's log-det.
 *
 * <p><b>Outputs</b> in {@code out}: {@code model.safetensors} (best validation parameters), {@code checkpoint.safetensors}
 * (the last state, resumable), {@code metrics.json} (rewritten after every epoch: per-epoch list, best, and at the end the
 * test bits/dim), {@code samples/epoch_NNN.png} (rows at temperatures 0.5, 0.7, 1.0), {@code samples.png} (the best model)
 * and {@code loss.png} (bits/dim).
 */
public final class ImageTrainJob {
    /** Sampling temperatures of the per-epoch grids, one row each. */
    public static final float[] TEMPERATURES = {0.5f, 0.7f, 1.0f};
    /** Seeds of the fixed validation / test noise and of the sample grids (mixed with the run's seed). */
    private static final long VAL_NOISE = 0x5EED_0001L, TEST_NOISE = 0x5EED_0002L, GRID = 0x5EED_0003L;

    /**
     * Everything a run needs.
     *
     * @param data          image data set name ({@link ImageDatasets#NAMES})
     * @param maxImages     use a seeded random subset of this many images (0 = all)
     * @param bits          bit-depth reduction (0 = keep the data's levels)
     * @param flow          "glow" or "realnvp"
     * @param preset        preset sizes
     * @param train         optimisation settings (its seed also drives the split, the noise and the grids)
     * @param gridColumns   samples per temperature in the per-epoch grids (0 = no grids)
     * @param resume        a checkpoint.safetensors of an earlier run to continue, or null
     * @param allowUnverified accept a {@code resume} file without header / data checksums (written before they existed)
     */
    public record Spec(String data, int maxImages, int bits, String flow, ImagePresets.Options preset, TrainConfig train,
                       double valFraction, double testFraction, Path out, int gridColumns, boolean plots, Path resume,
                       boolean allowUnverified) {
        public Spec(String data, int maxImages, int bits, String flow, ImagePresets.Options preset, TrainConfig train,
                    double valFraction, double testFraction, Path out, int gridColumns, boolean plots, Path resume) {
            this(data, maxImages, bits, flow, preset, train, valFraction, testFraction, out, gridColumns, plots, resume, false);
        }
    }

    /** One epoch's validation result. */
    public record Epoch(int epoch, long step, double valBitsPerDim, double valNll, double trainBitsPerDim) {}

    /** What a run produced. */
    public record Outcome(Path model, Path metrics, List<Path> images, List<Epoch> epochs, double bestValBitsPerDim, double testBitsPerDim,
                          int levels, int dims, TrainResult result) {}

    private ImageTrainJob() {}

    /**
     * The run's train / validation / test images. A data set with an official test part (Fashion-MNIST's 10,000 test
     * images, {@link ImageDatasets#hasOfficialTest}) is scored on that part, so its bits/dim compare with published
     * numbers: the validation images come from the official training part ({@code valFraction} of it) and
     * {@code testFraction} is not used. With {@code maxImages > 0} the training part is subsampled to
     * {@code round(maxImages·(1 − testFraction))} images and the test part to the rest. Other sets are split
     * {@code 1 − valFraction − testFraction / valFraction / testFraction} after the optional subsampling. All seeded.
     * (For an official test part, {@code testRows} index that part and the other rows the training part.)
     */
    public static ImageDataset.Split split(Spec spec) {
        long seed = spec.train().seed();
        int max = spec.maxImages();
        if (ImageDatasets.hasOfficialTest(spec.data())) {
            ImageDataset train = ImageDatasets.load(spec.data(), "train"), test = ImageDatasets.load(spec.data(), "test");
            int nTrain = train.n(), nTest = test.n();
            if (max > 0 && max < nTrain + nTest) {
                nTrain = (int) Math.min(train.n(), Math.round(max * (1 - spec.testFraction())));
                nTest = Math.min(test.n(), max - nTrain);
            }
            if (nTrain < train.n()) train = train.sample(nTrain, seed ^ 0x51AB_5E7L).withName(train.name());
            int[] testRows = java.util.Arrays.copyOf(dev.fluvia.data.Splits.permutation(test.n(), seed ^ 0x7E57L), nTest);
            ImageDataset.Split tv = train.split(1 - spec.valFraction(), spec.valFraction(), seed);
            return new ImageDataset.Split(tv.train(), tv.validation(), test.subset(testRows).withName(spec.data() + "/test"),
                    tv.trainRows(), tv.validationRows(), testRows);
        }
        ImageDataset all = ImageDatasets.load(spec.data(), "all");
        if (max > 0 && max < all.n()) all = all.sample(max, seed ^ 0x51AB_5E7L).withName(all.name());
        return all.split(1 - spec.valFraction() - spec.testFraction(), spec.valFraction(), seed);
    }

    public static Outcome run(Spec spec, Backend be, TrainListener listener) {
        long seed = spec.train().seed();
        ImageDataset.Split sp = split(spec);
        ImageDataset train = sp.train(), val = sp.validation(), test = sp.test();
        if (train.n() == 0) throw new ShapeException("image training: the training split is empty");
        if (spec.train().patience() > 0 && val.n() == 0)
            throw new IllegalArgumentException("early stopping needs validation images: --val-fraction is 0");
        int[] chw = {train.c(), train.h(), train.w()};
        int dims = train.dims();
        Dequantization levelsOf = Dequantization.of(train, spec.bits(), 0L);
        int levels = levelsOf.levels();
        ImageFlowOps.ImageInfo info = new ImageFlowOps.ImageInfo(spec.data(), levels, spec.bits(), train.levels());

        Flow flow;
        TrainState resumeState = null;
        if (spec.resume() != null) {
            TrainRun.Resumed r = TrainRun.resume(spec.resume(), be, spec.allowUnverified());
            flow = r.flow();
            if (!java.util.Arrays.equals(flow.eventShape(), chw))
                throw new CheckpointException(spec.resume() + ": the model takes images " + java.util.Arrays.toString(flow.eventShape())
                        + " but " + spec.data() + " has " + java.util.Arrays.toString(chw));
            resumeState = r.state();
        } else {
            flow = ImagePresets.build(spec.flow(), be, chw, spec.preset().withSeed(seed));
        }
        ObjectNode provenance = JsonNodeFactory.instance.objectNode();
        provenance.set("image", info.toJson());
        TrainRun run = spec.gridColumns() > 0 ? new TrainRun(spec.out(), spec.train(), spec.data(), provenance, "samples")
                                              : new TrainRun(spec.out(), spec.train(), spec.data(), provenance);
        float[] valX = new Dequantization(train.levels(), spec.bits(), seed ^ VAL_NOISE).apply(val.pixels());
        float[] testX = new Dequantization(train.levels(), spec.bits(), seed ^ TEST_NOISE).apply(test.pixels());

        Path metricsPath = run.metrics();
        Trainer trainer = new Trainer(flow, new TrainData(train.pixels(), train.n(), valX, val.n(), dims), spec.train());
        trainer.uploader(new DequantizingUploader(be, train.levels(), spec.bits(), seed));

        List<Epoch> epochs = new ArrayList<>();
        List<Path> images = new ArrayList<>();
        List<Double> stepLosses = new ArrayList<>(resumeState == null ? List.of() : resumeState.losses());
        if (resumeState != null) {
            List<Double> v = resumeState.valNlls();
            for (int e = 0; e < v.size(); e++) epochs.add(epochOf(e, (long) (e + 1) * trainer.batchesPerEpoch(), v.get(e), stepLosses, trainer.batchesPerEpoch(), dims, levels));
        }
        Flow model = flow;
        TrainListener user = listener == null ? new TrainListener() {} : listener;
        ObjectNode head = header(spec, be, flow, train, val, test, levels, dims);
        trainer.listener(new TrainListener() {
            @Override public void onStep(long step, double loss, double lr, double sps) {
                stepLosses.add(loss);
                user.onStep(step, loss, lr, sps);
            }
            @Override public void onEpoch(int epoch, double valNll) {
                Epoch e = epochOf(epoch, (long) stepLosses.size(), valNll, stepLosses, trainer.batchesPerEpoch(), dims, levels);
                epochs.add(e);
                if (spec.gridColumns() > 0) {
                    Path png = spec.out().resolve("samples").resolve(String.format(Locale.ROOT, "epoch_%03d.png", epoch + 1));
                    sampleGrid(png, model, spec.gridColumns(), levels, seed ^ GRID,
                            String.format(Locale.ROOT, "epoch %d, val %.3f bits/dim; rows T = 0.5, 0.7, 1.0", epoch + 1, e.valBitsPerDim()), user);
                    images.add(png);
                }
                writeMetrics(metricsPath, head, epochs, Double.NaN, null);
                user.onEpoch(epoch, valNll);
            }
            @Override public void onWarning(String message) { user.onWarning(message); }
        });
        run.attach(trainer, resumeState, listener);
        TrainResult result = run.trainAndSave(trainer);   // the checkpoint holds the last state, the model the best parameters

        double testNll = meanNll(flow, testX, test.n());
        double testBpd = test.n() == 0 ? Double.NaN : Dequantization.bitsPerDim(testNll, dims, levels);
        double bestBpd = Double.isFinite(result.bestValNll()) ? Dequantization.bitsPerDim(result.bestValNll(), dims, levels) : Double.NaN;
        ObjectNode fin = JsonNodeFactory.instance.objectNode();
        fin.put("wall_seconds", result.wallSeconds());
        fin.put("samples_per_second", result.samplesPerSec());
        fin.put("steps", result.losses().length);
        fin.put("patience", spec.train().patience());
        if (result.stopReason() != null) fin.put("stopped_early", result.stopReason());
        fin.put("test_nll_nats", testNll);
        writeMetrics(metricsPath, head, epochs, testBpd, fin);

        if (spec.plots()) {
            if (spec.gridColumns() > 0) {
                Path png = spec.out().resolve("samples.png");
                sampleGrid(png, flow, spec.gridColumns(), levels, seed ^ GRID,
                        String.format(Locale.ROOT, "best model, val %.3f bits/dim; rows T = 0.5, 0.7, 1.0", bestBpd), user);
                images.add(png);
            }
            images.add(lossPlot(spec.out().resolve("loss.png"), spec.data(), result, trainer.batchesPerEpoch(), dims, levels));
        }
        return new Outcome(run.model(), metricsPath, images, List.copyOf(epochs), bestBpd, testBpd, levels, dims, result);
    }

    private static Epoch epochOf(int epoch, long step, double valNll, List<Double> losses, int perEpoch, int dims, int levels) {
        double sum = 0;
        int cnt = 0;
        for (int i = (int) Math.max(0, step - perEpoch); i < Math.min(losses.size(), (int) step); i++)
            if (Double.isFinite(losses.get(i))) { sum += losses.get(i); cnt++; }
        double trainBpd = cnt == 0 ? Double.NaN : Dequantization.bitsPerDim(sum / cnt, dims, levels);
        double v = Double.isFinite(valNll) ? Dequantization.bitsPerDim(valNll, dims, levels) : Double.NaN;
        return new Epoch(epoch, step, v, valNll, trainBpd);
    }

    /** Mean −log p (nats per image) of already dequantised images, in batches; NaN for none. */
    public static double meanNll(Flow flow, float[] x, int n) { return TrainRun.meanNll(flow, x, n, 256); }

    /** A grid of {@code cols} samples per temperature (one row per {@link #TEMPERATURES} entry) of the flow, quantised for display. */
    public static void sampleGrid(Path png, Flow flow, int cols, int levels, long seed, String title, TrainListener warn) {
        int d = flow.eventSize();
        float[] all = new float[TEMPERATURES.length * cols * d];
        int bad = 0;
        for (int t = 0; t < TEMPERATURES.length; t++) {
            float[] x = flow.sampleHost(cols, TEMPERATURES[t], seed);
            for (float v : x) if (Float.isNaN(v)) bad++;
            System.arraycopy(x, 0, all, t * cols * d, x.length);
        }
        if (bad > 0 && warn != null) warn.onWarning(png.getFileName() + ": " + bad + " sampled pixel values were NaN (drawn black)");
        ImageFlowOps.writeGrid(png, flow, all, TEMPERATURES.length * cols, cols, levels, title);
    }

    private static ObjectNode header(Spec spec, Backend be, Flow flow, ImageDataset train, ImageDataset val, ImageDataset test, int levels, int dims) {
        ObjectNode m = JsonNodeFactory.instance.objectNode();
        m.put("data", spec.data());
        m.put("flow", spec.resume() != null ? "resumed" : spec.flow());
        m.put("backend", be.name());
        m.put("threads", be.threads());
        m.put("image_shape", train.c() + "x" + train.h() + "x" + train.w());
        m.put("dims", dims);
        m.put("levels", levels);
        m.put("bits", spec.bits());
        m.put("n_train", train.n()); m.put("n_val", val.n()); m.put("n_test", test.n());
        m.put("test_part", ImageDatasets.hasOfficialTest(spec.data()) ? "official test images" : "seeded split of all images");
        m.put("parameters", flow.parameterCount());
        m.put("units", "bits/dim = (nll_nats + D ln L) / (D ln 2), x = (k + u)/L in [0,1)");
        m.set("config", spec.train().toJson());
        ObjectNode p = m.putObject("preset");
        ImagePresets.Options o = spec.preset();
        p.put("levels", o.levels()); p.put("steps_per_level", o.stepsPerLevel()); p.put("width", o.width());
        p.put("conditioner", o.conditioner()); p.put("scale", o.scale() == null ? null : o.scale().id());
        p.put("preprocess", o.preprocess()); p.put("lambda", o.lambda());
        p.put("max_images", spec.maxImages());
        return m;
    }

    private static void writeMetrics(Path file, ObjectNode head, List<Epoch> epochs, double testBpd, ObjectNode fin) {
        ObjectNode m = head.deepCopy();
        ArrayNode arr = m.putArray("epochs");
        Epoch best = null;
        for (Epoch e : epochs) {
            ObjectNode o = arr.addObject();
            o.put("epoch", e.epoch() + 1);
            o.put("step", e.step());
            o.put("val_bits_per_dim", e.valBitsPerDim());
            o.put("val_nll_nats", e.valNll());
            o.put("train_bits_per_dim", e.trainBitsPerDim());
            if (Double.isFinite(e.valBitsPerDim()) && (best == null || e.valBitsPerDim() < best.valBitsPerDim())) best = e;
        }
        if (best != null) {
            ObjectNode b = m.putObject("best");
            b.put("epoch", best.epoch() + 1);
            b.put("step", best.step());
            b.put("val_bits_per_dim", best.valBitsPerDim());
        }
        if (fin != null) {
            m.put("test_bits_per_dim", testBpd);
            m.setAll(fin);
        }
        TrainRun.writeJson(file, m);
    }

    private static Path lossPlot(Path png, String data, TrainResult r, int perEpoch, int dims, int levels) {
        double[] steps = new double[r.losses().length], bpd = new double[steps.length];
        for (int i = 0; i < steps.length; i++) { steps[i] = i + 1; bpd[i] = Dequantization.bitsPerDim(r.losses()[i], dims, levels); }
        double[] vs = new double[r.valNlls().length], vb = new double[vs.length];
        for (int i = 0; i < vs.length; i++) { vs[i] = (double) (i + 1) * perEpoch; vb[i] = Dequantization.bitsPerDim(r.valNlls()[i], dims, levels); }
        try {
            Plots.lossCurves(png, "Training: " + data, steps, bpd, vs, vb, "bits/dim", Plots.DEFAULT_SMOOTHING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + png + ": " + e.getMessage(), e);
        }
        return png;
    }

    /** The noise seed of training batch {@code (epoch, index)}: a SplitMix64 mix of the three numbers. */
    public static long batchNoiseSeed(long seed, int epoch, int index) {
        long z = seed * 0x9E3779B97F4A7C15L + (epoch + 1L) * 0xC2B2AE3D27D4EB4FL + (index + 1L) * 0x165667B19E3779F9L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /**
     * Dequantises each training batch on the loader thread ({@link #stage}) with fresh noise seeded by
     * {@link #batchNoiseSeed}{@code (seed, epoch, index)}, then uploads like {@link BatchUploader#host}.
     */
    public static final class DequantizingUploader implements BatchUploader {
        private final Backend be;
        private final int sourceLevels, bits;
        private final long seed;

        public DequantizingUploader(Backend be, int sourceLevels, int bits, long seed) {
            this.be = be;
            this.sourceLevels = sourceLevels;
            this.bits = bits;
            this.seed = seed;
            new Dequantization(sourceLevels, bits, 0L);   // validates levels / bits now, not on the loader thread
        }

        @Override public HostBatch stage(HostBatch b) {
            float[] x = new Dequantization(sourceLevels, bits, batchNoiseSeed(seed, b.epoch(), b.index())).apply(b.rows());
            return new HostBatch(x, b.n(), b.dim(), b.epoch(), b.index(), b.lastInEpoch(), null);
        }

        @Override public Tensor upload(HostBatch batch, int[] shape) { return be.fromHost(batch.rows(), shape); }
    }
}
