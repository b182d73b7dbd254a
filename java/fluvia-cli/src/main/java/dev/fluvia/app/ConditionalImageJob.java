package dev.fluvia.app;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fluvia.backend.Backend;
import dev.fluvia.data.images.Dequantization;
import dev.fluvia.data.images.ImageDataset;
import dev.fluvia.data.images.ImageDatasets;
import dev.fluvia.flow.ConditionalFlows;
import dev.fluvia.flow.Flow;
import dev.fluvia.flow.ImagePresets;
import dev.fluvia.flow.PresetOptions;
import dev.fluvia.plot.ImageGrid;
import dev.fluvia.train.InvalidConfigException;
import dev.fluvia.train.TrainConfig;
import dev.fluvia.train.TrainData;
import dev.fluvia.train.TrainListener;
import dev.fluvia.train.TrainResult;
import dev.fluvia.train.Trainer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/**
 * {@code fluvia train --data digits --condition-on-label}: a class-conditional flow {@code p(x | y)} on the flattened
 * images ({@link ConditionalFlows}: the one-hot label is the context of every conditioner), then class-conditional samples.
 *
 * <p>Data: the images are dequantised as the image presets do ({@link Dequantization}: {@code x = (k + u)/L}, FLOWS.md
 * "Dequantisation"); the training split is repeated {@code copies} times, each copy with fresh noise (a fixed data set
 * for the trainer that still averages over the noise), validation and test get one seeded draw. The mean and standard
 * deviation of the dequantised training pixels become the model's first layer (on x only). NLLs are conditional,
 * {@code −log p(x | y)} in nats per image, and in bits/dim of the discrete images ({@link Dequantization#bitsPerDim}).
 *
 * <p>metrics.json also reports the model as a classifier by Bayes' rule with the training label frequencies as the prior:
 * {@code argmax_y log p(x | y) + log p(y)} on the test images ({@code test_label_accuracy}), the mean rank of the true
 * label among the ten densities ({@code test_mean_true_label_rank}, 1 = best), and the marginal
 * {@code −log Σ_y p(y) p(x | y)} ({@code test_nll_marginal}), the density of the images without their label.
 * {@code samples.png}: one row per class (0 at the top), {@code perClass} samples at temperature {@code temperature},
 * pixel values clipped to [0, 1].
 */
public final class ConditionalImageJob {
    private ConditionalImageJob() {}

    /**
     * Inputs of a run. {@code image}: the image preset's options for {@code flow = "glow"} (the multi-scale conditional
     * Glow of {@link ConditionalFlows#image}; null for the defaults), unused by the tabular flows.
     */
    public record Spec(String data, String flow, PresetOptions preset, TrainConfig train, double valFraction, double testFraction,
                       int copies, Path out, boolean plots, int perClass, float temperature, ImagePresets.Options image) {
        /** A tabular-flow run (no image options). */
        public Spec(String data, String flow, PresetOptions preset, TrainConfig train, double valFraction, double testFraction,
                    int copies, Path out, boolean plots, int perClass, float temperature) {
            this(data, flow, preset, train, valFraction, testFraction, copies, out, plots, perClass, temperature, null);
        }
    }

    /** What a run wrote and measured. */
    public record Outcome(Path model, Path metrics, Path samples, double testNll, double testBitsPerDim, double testAccuracy, TrainResult result) {}

    /** Rows {@code [dequantised image | one-hot label]} of a data set, {@code copies} noise draws each. */
    static float[] rows(ImageDataset d, Dequantization dq, int classes, int copies) {
        int dim = d.dims(), w = dim + classes;
        float[] out = new float[copies * d.n() * w];
        for (int k = 0; k < copies; k++) {
            float[] x = dq.apply(d.pixels());
            for (int i = 0; i < d.n(); i++) {
                int r = k * d.n() + i;
                System.arraycopy(x, i * dim, out, r * w, dim);
                out[r * w + dim + d.label(i)] = 1f;
            }
        }
        return out;
    }

    public static Outcome run(Spec spec, Backend be, TrainListener listener) {
        boolean glow = spec.flow().equals("glow");
        if (!glow && !ConditionalFlows.NAMES.contains(spec.flow()))
            throw new InvalidConfigException("--condition-on-label: flow '" + spec.flow() + "' has no conditioner to take the label (conditional flows: glow, "
                    + String.join(", ", ConditionalFlows.NAMES) + ")");
        ImageDataset all = ImageDatasets.load(spec.data());
        if (!all.hasLabels()) throw new InvalidConfigException("--condition-on-label: the data set " + spec.data() + " has no labels");
        int classes = 0;
        for (int i = 0; i < all.n(); i++) classes = Math.max(classes, all.label(i) + 1);
        long seed = spec.train().seed();
        ImageDataset.Split split = all.split(1 - spec.valFraction() - spec.testFraction(), spec.valFraction(), seed);
        ImageDataset train = split.train(), val = split.validation(), test = split.test();
        if (val.n() == 0 && spec.train().patience() > 0)
            throw new IllegalArgumentException("early stopping needs validation data: --val-fraction is 0");
        Dequantization dq = Dequantization.of(all, seed);
        int dim = all.dims(), w = dim + classes, levels = dq.levels();
        float[] trainRows = rows(train, dq, classes, spec.copies()), valRows = rows(val, new Dequantization(levels, 0, seed + 1), classes, 1);
        float[] testRows = rows(test, new Dequantization(levels, 0, seed + 2), classes, 1);
        int nTrain = train.n() * spec.copies();

        double[] sum = new double[dim], sq = new double[dim];
        for (int i = 0; i < nTrain; i++)
            for (int j = 0; j < dim; j++) { double v = trainRows[i * w + j]; sum[j] += v; sq[j] += v * v; }
        float[] mean = new float[dim], std = new float[dim];
        for (int j = 0; j < dim; j++) {
            double m = sum[j] / nTrain;
            mean[j] = (float) m;
            std[j] = (float) Math.sqrt(Math.max(sq[j] / nTrain - m * m, 1e-12));
        }
        // glow: the multi-scale conditional Glow on the images (logit pre-processing in place of the standardisation);
        // the others: the tabular flow on the flattened images
        Flow flow = glow ? ConditionalFlows.image("glow", be, new int[] {all.c(), all.h(), all.w()}, classes,
                                                  spec.image() != null ? spec.image() : ImagePresets.Options.defaults().withSeed(seed))
                         : ConditionalFlows.build(spec.flow(), be, dim, classes, spec.preset(), mean, std);

        ObjectNode provenance = JsonNodeFactory.instance.objectNode();
        provenance.put("conditional_on", "label (one-hot, " + classes + " classes)");
        provenance.put("image_shape", all.c() + "x" + all.h() + "x" + all.w());
        TrainRun run = new TrainRun(spec.out(), spec.train(), spec.data(), provenance);
        Trainer trainer = new Trainer(flow, new TrainData(trainRows, nTrain, valRows, val.n(), w), spec.train());
        if (listener != null) trainer.listener(listener);
        run.attach(trainer, null, listener);
        TrainResult result = run.trainAndSave(trainer);

        double trainNll = TrainRun.meanNll(flow, trainRows, Math.min(nTrain, train.n()), 4096);
        double valNll = val.n() > 0 ? TrainRun.meanNll(flow, valRows, val.n(), 4096) : Double.NaN;
        double testNll = test.n() > 0 ? TrainRun.meanNll(flow, testRows, test.n(), 4096) : Double.NaN;

        // the model as a classifier: log p(x | y) for every label y, Bayes' rule with the training label frequencies
        double[] prior = new double[classes];
        for (int i = 0; i < train.n(); i++) prior[train.label(i)]++;
        for (int y = 0; y < classes; y++) prior[y] = Math.log(Math.max(prior[y], 1) / train.n());
        double accuracy = Double.NaN, meanRank = Double.NaN, marginal = Double.NaN;
        if (test.n() > 0) {
            float[] x = new float[test.n() * dim];
            for (int i = 0; i < test.n(); i++) System.arraycopy(testRows, i * w, x, i * dim, dim);
            float[][] lp = new float[classes][];
            for (int y = 0; y < classes; y++) {
                float[] c = new float[test.n() * classes];
                for (int i = 0; i < test.n(); i++) c[i * classes + y] = 1f;
                lp[y] = ConditionalFlows.logProb(flow, x, c, test.n());
            }
            int right = 0;
            double rankSum = 0, marg = 0;
            for (int i = 0; i < test.n(); i++) {
                int truth = test.label(i), best = 0, rank = 1;
                double max = Double.NEGATIVE_INFINITY;
                for (int y = 0; y < classes; y++) {
                    double v = lp[y][i] + prior[y];
                    if (v > lp[best][i] + prior[best]) best = y;
                    if (lp[y][i] > lp[truth][i]) rank++;
                    max = Math.max(max, v);
                }
                double s = 0;
                for (int y = 0; y < classes; y++) s += Math.exp(lp[y][i] + prior[y] - max);
                marg += -(max + Math.log(s));
                if (best == truth) right++;
                rankSum += rank;
            }
            accuracy = (double) right / test.n();
            meanRank = rankSum / test.n();
            marginal = marg / test.n();
        }

        Path png = null;
        if (spec.plots() && spec.perClass() > 0) {
            int k = spec.perClass();
            float[] c = new float[classes * k * classes];
            for (int y = 0; y < classes; y++) for (int j = 0; j < k; j++) c[(y * k + j) * classes + y] = 1f;
            float[] s = ConditionalFlows.sample(flow, c, classes * k, spec.temperature(), seed + 17);
            for (int i = 0; i < s.length; i++) s[i] = Float.isNaN(s[i]) ? 0f : Math.min(1f, Math.max(0f, s[i]));
            png = spec.out().resolve("samples.png");
            try {
                ImageGrid.write(png, s, classes * k, all.c(), all.h(), all.w(), k, Math.max(1, 48 / Math.max(all.h(), all.w())),
                        "p(x | label), rows = labels 0–" + (classes - 1) + ", T = " + spec.temperature());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        ObjectNode m = JsonNodeFactory.instance.objectNode();
        m.put("data", spec.data());
        m.put("flow", "conditional " + spec.flow());
        if (glow) {
            m.put("levels_multiscale", (int) flow.transforms().stream().filter(t -> t instanceof dev.fluvia.transforms.FactorOut).count() + 1);
            m.put("image_shape", all.c() + "x" + all.h() + "x" + all.w());
        }
        m.put("conditional_on", "label");
        m.put("backend", be.name());
        m.put("threads", be.threads());
        m.put("dim", dim);
        m.put("context_dim", classes);
        m.put("levels", levels);
        m.put("dequantisation_copies", spec.copies());
        m.put("n_train_images", train.n()); m.put("n_val", val.n()); m.put("n_test", test.n());
        m.put("parameters", flow.parameterCount());
        m.put("train_nll", trainNll); m.put("val_nll", valNll); m.put("test_nll", testNll);
        m.put("test_bits_per_dim", Dequantization.bitsPerDim(testNll, dim, levels));
        m.put("val_bits_per_dim", Dequantization.bitsPerDim(valNll, dim, levels));
        m.put("test_nll_marginal", marginal);
        m.put("test_bits_per_dim_marginal", Dequantization.bitsPerDim(marginal, dim, levels));
        m.put("test_label_accuracy", accuracy);
        m.put("test_mean_true_label_rank", meanRank);
        m.put("best_val_nll", result.bestValNll());
        m.put("best_step", result.bestStep());
        m.put("steps", result.losses().length);
        m.put("wall_seconds", result.wallSeconds());
        m.put("sample_temperature", spec.temperature());
        m.put("units", "nats per image, conditional: −log p(x | label) of the dequantised image; bits/dim of the discrete image");
        var losses = m.putArray("train_loss");
        for (double v : result.losses()) losses.add(v);
        m.set("config", spec.train().toJson());
        TrainRun.writeJson(run.metrics(), TrainJob.finiteOrNull(m));
        return new Outcome(run.model(), run.metrics(), png, testNll, Dequantization.bitsPerDim(testNll, dim, levels), accuracy, result);
    }
}
