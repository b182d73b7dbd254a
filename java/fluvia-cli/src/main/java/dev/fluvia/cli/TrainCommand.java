package dev.fluvia.cli;

import dev.fluvia.app.ImageTrainJob;
import dev.fluvia.app.TrainJob;
import dev.fluvia.data.images.ImageDatasets;
import dev.fluvia.flow.ImagePresets;
import dev.fluvia.backend.Activation;
import dev.fluvia.backend.Backend;
import dev.fluvia.backend.CouplingScale;
import dev.fluvia.flow.MemoryMode;
import dev.fluvia.flow.PresetOptions;
import dev.fluvia.train.TrainConfig;
import dev.fluvia.train.TrainListener;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train a flow by maximum likelihood; writes model.safetensors, checkpoint.safetensors, metrics.json and PNG plots to --out.",
                "Image data sets (digits, mnist, fashion-mnist) train a multi-scale glow or realnvp on dequantised images and report bits/dim."})
final class TrainCommand implements Callable<Integer> {
    @Option(names = "--data", required = true, description = "A .csv or .npy file, a built-in 2-D set (moons, circles, 8gaussians, checkerboard, pinwheel, 2spirals) or an image set (digits, mnist, fashion-mnist).")
    String data;
    @Option(names = "--samples", defaultValue = "20000", description = "Points drawn from a built-in set. Default: ${DEFAULT-VALUE}.")
    int samples;
    @Option(names = "--flow", defaultValue = "realnvp", completionCandidates = FlowPresetNames.class,
            description = "One of: ${COMPLETION-CANDIDATES} (docs/FLOWS.md and the README describe each). Default: ${DEFAULT-VALUE}.")
    String flow;
    @Option(names = "--context-columns", description = "Conditional flow p(x | c): these 0-based columns of --data (e.g. 2,3) are the context c, the rest are x (--flow realnvp, nice, glow, maf, iaf, spline, spline-ar).")
    String contextColumns;
    @Option(names = "--condition-on-label", description = "Images: a class-conditional flow p(x | label) on the flattened images, the one-hot label as the context of every conditioner (--flow maf (default), iaf, realnvp, nice, spline, spline-ar on the flattened images; glow: the multi-scale Glow whose coupling convnets see the label as constant planes); writes samples.png with one row per class (--grid samples each) and the held-out conditional NLL and label accuracy in metrics.json.")
    boolean conditionOnLabel;
    @Option(names = "--layers", defaultValue = "0", description = "Couplings / steps / autoregressive layers (0 = preset default).")
    int layers;
    @Option(names = "--hidden", defaultValue = "0", description = "Conditioner width (0 = preset default).")
    int hidden;
    @Option(names = "--depth", defaultValue = "0", description = "Conditioner hidden layers (0 = preset default).")
    int depth;
    @Option(names = "--activation", defaultValue = "relu", description = "relu, tanh, elu, silu. Default: ${DEFAULT-VALUE}.")
    String activation;
    @Option(names = "--scale", defaultValue = "softclamp", description = "Affine scale: softclamp or sigmoid (Glow). Default: ${DEFAULT-VALUE}.")
    String scale;
    @Option(names = "--components", defaultValue = "0", description = "mixcdf: mixture components K per dimension (0 = default 4).")
    int components;
    @Option(names = "--base", defaultValue = "normal", description = "Base distribution: normal, diag (learnable diagonal Gaussian), logistic, uniform or beta (learnable; both add a final sigmoid layer), gmm or gmm:K (learnable K-component Gaussian mixture, default K = 4). Default: ${DEFAULT-VALUE}.")
    String base;
    @Option(names = "--steps", defaultValue = "0", description = "Optimizer steps. Without --steps and --epochs: train until the validation NLL stops improving (--patience, --max-steps).")
    long steps;
    @Option(names = "--epochs", defaultValue = "0", description = "Epochs over the training split (used when --steps is not given).")
    int epochs;
    @Option(names = "--patience", defaultValue = "" + DEFAULT_PATIENCE, description = "Early stopping: stop after this many validations (one per epoch) without a better validation NLL. "
            + "Used when no --steps/--epochs is given; with them only when given. 0 = off. Default: ${DEFAULT-VALUE}.")
    int patience;
    @Option(names = "--max-steps", defaultValue = "" + DEFAULT_MAX_STEPS, description = "Cap on the steps of the default budget (no --steps/--epochs); the learning-rate schedule spans the cap. Default: ${DEFAULT-VALUE}.")
    long maxSteps;
    @Option(names = "--batch", defaultValue = "256", description = "Batch size. Default: ${DEFAULT-VALUE}.")
    int batch;
    @Option(names = "--lr", defaultValue = "1e-3", description = "Peak learning rate. Default: ${DEFAULT-VALUE}.")
    double lr;
    @Option(names = "--optimizer", defaultValue = "adam", description = "adam or adamax. Default: ${DEFAULT-VALUE}.")
    String optimizer;
    @Option(names = "--warmup", defaultValue = "100", description = "Linear warm-up steps. Default: ${DEFAULT-VALUE}.")
    int warmup;
    @Option(names = "--schedule", defaultValue = "cosine", description = "constant or cosine after warm-up. Default: ${DEFAULT-VALUE}.")
    String schedule;
    @Option(names = "--clip", defaultValue = "10", description = "Global gradient-norm clip (0 = off). Default: ${DEFAULT-VALUE}.")
    double clip;
    @Option(names = "--memory", defaultValue = "store", description = "Backward memory mode: store (keep activations) or recompute (reversible backprop). Default: ${DEFAULT-VALUE}.")
    String memory;
    @Option(names = "--seed", defaultValue = "1", description = "Seed for data split, initialisation and batching. Default: ${DEFAULT-VALUE}.")
    long seed;
    @Option(names = "--val-fraction", defaultValue = "0.1", description = "Validation share of the data, used to pick the best step and to stop early. Default: ${DEFAULT-VALUE}.") double valFraction;
    @Option(names = "--test-fraction", defaultValue = "0.1", description = "Held-out test share (images: fashion-mnist is scored on its official 10,000 test images instead; with --max-images this share of the images comes from them).") double testFraction;
    @Option(names = "--val-data", description = "A fixed validation file (.csv or .npy, same columns as --data) instead of a --val-fraction share of --data.")
    Path valData;
    @Option(names = "--test-data", description = "A fixed test file (.csv or .npy, same columns as --data) instead of a --test-fraction share of --data.")
    Path testData;
    @Option(names = "--no-standardize", description = "Do not standardise the data (by default mean/std of the training split become the model's first layer).")
    boolean noStandardize;
    @Option(names = "--checkpoint-every", defaultValue = "0", description = "Write checkpoint.safetensors every N steps (0 = only at the end).")
    long checkpointEvery;
    @Option(names = "--resume", description = "Continue the run saved in this checkpoint.safetensors (same data and seed).")
    Path resume;
    @Option(names = "--allow-degenerate-data", description = "Train even on a constant column or values beyond ±1e18 (refused by default: the density is degenerate).")
    boolean allowDegenerateData;
    @Option(names = "--allow-data-change", description = "With --resume: continue even though the data differs from the run's (its fingerprint is stored in the checkpoint).")
    boolean allowDataChange;
    @Option(names = "--no-plots", description = "Skip the PNG plots.")
    boolean noPlots;
    @Option(names = "--out", defaultValue = "runs/train", description = "Output folder. Default: ${DEFAULT-VALUE}.")
    Path out;
    @Option(names = "--levels", defaultValue = "0", description = "Images: multi-scale levels (0 = preset default: 3, or fewer when the image size does not allow 3).")
    int levels;
    @Option(names = "--steps-per-level", defaultValue = "0", description = "Images: glow steps / realnvp couplings per mask type per level (0 = default: glow 4, realnvp 3).")
    int stepsPerLevel;
    @Option(names = "--width", defaultValue = "0", description = "Images: conditioner width in channels (0 = default 64).")
    int width;
    @Option(names = "--conditioner", description = "Images: glow, glow_actnorm (Glow's inner ActNorms) or resnet (default: glow for glow, resnet for realnvp).")
    String conditioner;
    @Option(names = "--preprocess", defaultValue = "logit", description = "Images: logit (with --lambda) or none. Default: ${DEFAULT-VALUE}.")
    String preprocess;
    @Option(names = "--lambda", defaultValue = "0.05", description = "Images: λ of the logit pre-processing. Default: ${DEFAULT-VALUE}.")
    float lambda;
    @Option(names = "--bits", defaultValue = "0", description = "Images: reduce to this bit depth (e.g. 5; power-of-two level data only; 0 = keep).")
    int bits;
    @Option(names = "--max-images", defaultValue = "0", description = "Images: train on a seeded random subset of this many images (0 = all).")
    int maxImages;
    @Option(names = "--grid", defaultValue = "8", description = "Images: samples per temperature in the per-epoch sample grids (0 = none). Default: ${DEFAULT-VALUE}.")
    int grid;
    /** Default budget: validations without improvement before stopping, and the cap on steps. */
    static final int DEFAULT_PATIENCE = 10;
    static final long DEFAULT_MAX_STEPS = 20_000;

    @Mixin Common common = new Common();
    @Spec CommandSpec commandSpec;

    private boolean given(String option) {
        return commandSpec != null && commandSpec.commandLine().getParseResult().hasMatchedOption(option);
    }

    /** Every numeric option in its range, one line per error; the output folder writable. Before any work. */
    private void validate() {
        Checks.range("--samples", samples, 1, 100_000_000);
        Checks.range("--layers", layers, 0, 1000);
        Checks.range("--hidden", hidden, 0, 65536);
        Checks.range("--depth", depth, 0, 64);
        Checks.range("--components", components, 0, 4096);
        if (components > 0 && !flow.equalsIgnoreCase("mixcdf"))
            throw new IllegalArgumentException("--components is the mixture size of --flow mixcdf; --flow is " + flow);
        Checks.range("--steps", steps, 0, 1_000_000_000_000L);
        Checks.range("--epochs", epochs, 0, 1_000_000);
        if (given("--steps") && given("--epochs") && steps == 0 && epochs == 0 || given("--epochs") && epochs == 0 && steps == 0)
            throw new IllegalArgumentException("--steps 0 and --epochs 0 leave nothing to train: give --steps N or --epochs N with N ≥ 1");
        if (given("--steps") && steps == 0 && !given("--epochs"))
            throw new IllegalArgumentException("--steps must be ≥ 1 (or leave it out and give --epochs), got 0");
        Checks.range("--batch", batch, 1, 1 << 20);
        Checks.range("--lr", lr, Double.MIN_NORMAL, 10, false);
        Checks.range("--warmup", warmup, 0, Integer.MAX_VALUE);
        Checks.range("--clip", clip, 0, Double.MAX_VALUE, false);
        Checks.range("--val-fraction", valFraction, 0, 1, true);
        Checks.range("--test-fraction", testFraction, 0, 1, true);
        if (valFraction + testFraction >= 1)
            throw new IllegalArgumentException("--val-fraction + --test-fraction must be < 1, got " + (valFraction + testFraction));
        Checks.range("--checkpoint-every", checkpointEvery, 0, Long.MAX_VALUE);
        Checks.range("--levels", levels, 0, 8);
        Checks.range("--steps-per-level", stepsPerLevel, 0, 256);
        Checks.range("--width", width, 0, 4096);
        Checks.range("--lambda", lambda, 0, 0.5, true);
        Checks.range("--bits", bits, 0, 16);
        Checks.range("--max-images", maxImages, 0, Integer.MAX_VALUE);
        Checks.range("--grid", grid, 0, 64);
        Checks.range("--threads", common.threads, 0, 4096);
        Checks.range("--patience", patience, 0, 1_000_000);
        Checks.range("--max-steps", maxSteps, 1, 1_000_000_000_000L);
        if (!defaultBudget() && given("--max-steps"))
            throw new IllegalArgumentException("--max-steps caps the default budget; with --steps or --epochs it has no use (leave one of them out)");
        if (valData != null && given("--val-fraction"))
            throw new IllegalArgumentException("--val-data and --val-fraction both given: the validation set is either that file or a share of --data, not both");
        if (testData != null && given("--test-fraction"))
            throw new IllegalArgumentException("--test-data and --test-fraction both given: the test set is either that file or a share of --data, not both");
        if ((valData != null || testData != null) && ImageDatasets.NAMES.contains(data.toLowerCase(Locale.ROOT)))
            throw new IllegalArgumentException("--val-data / --test-data are for .csv / .npy data; image sets are split by --val-fraction / --test-fraction");
        Checks.outputDirectory("--out", out);
    }

    /** No --steps and no --epochs: train until the validation NLL stops improving, under --max-steps. */
    private boolean defaultBudget() { return steps == 0 && epochs == 0; }

    /** The budget part of the config: the default one (cap + patience) or the explicit --steps / --epochs (patience only if given). */
    private TrainConfig.Builder budget(TrainConfig.Builder b) {
        if (defaultBudget()) return b.steps(maxSteps).epochs(0).patience(patience);
        return b.steps(steps).epochs(steps > 0 ? 0 : epochs).patience(given("--patience") ? patience : 0);
    }

    /** The line saying what the default budget chose (stderr, unless quiet). */
    private void announceBudget() {
        if (!defaultBudget() || common.quiet) return;
        System.err.println(patience > 0
                ? String.format(Locale.ROOT, "fluvia train: no budget given: training until validation NLL stops improving (patience %d evaluations, one per epoch; cap %d steps, --max-steps); --steps or --epochs set a fixed budget", patience, maxSteps)
                : String.format(Locale.ROOT, "fluvia train: no budget given and --patience 0: training for the cap of %d steps (--max-steps)", maxSteps));
    }

    /** The line saying why training stopped (stdout), for the default budget or an explicit --patience. */
    private void reportStop(dev.fluvia.train.TrainResult r, long cap) {
        long n = r.losses().length;
        if (r.stopReason() != null) System.out.println("stopped at step " + n + ": " + r.stopReason() + "; model.safetensors holds the best-validation step " + r.bestStep());
        else if (defaultBudget()) System.out.println("stopped at step " + n + ": reached the cap of " + cap + " steps (--max-steps) while validation NLL was still improving; best-validation step " + r.bestStep());
    }

    @Override public Integer call() {
        validate();
        if (conditionOnLabel) {
            if (!ImageDatasets.NAMES.contains(data.toLowerCase(Locale.ROOT)))
                throw new dev.fluvia.train.InvalidConfigException("--condition-on-label applies to the labelled image sets (" + String.join(", ", ImageDatasets.NAMES)
                        + "), not to " + data + "; for tabular data give the label column with --context-columns");
            if (contextColumns != null) throw new dev.fluvia.train.InvalidConfigException("--condition-on-label and --context-columns: give one");
            return trainConditionalImages();
        }
        if (contextColumns != null && ImageDatasets.NAMES.contains(data.toLowerCase(Locale.ROOT)))
            throw new dev.fluvia.train.InvalidConfigException("--context-columns applies to tabular data (.csv / .npy), not to the image set " + data);
        if (ImageDatasets.NAMES.contains(data.toLowerCase(Locale.ROOT))) return trainImages();
        PresetOptions preset = PresetOptions.defaults().withLayers(layers).withHidden(components > 0 ? components : hidden).withDepth(depth)
                .withActivation(Activation.parse(activation)).withScale(CouplingScale.parse(scale)).withBase(base).withSeed(seed);
        TrainConfig cfg = TrainConfig.builder().optimizer(optimizer).lr(lr).warmupSteps(warmup).schedule(schedule)
                .clipNorm(clip).batchSize(batch).seed(seed).memoryMode(MemoryMode.parse(memory))
                .checkpointEvery(checkpointEvery).apply(this::budget).build();
        TrainJob.Spec spec = new TrainJob.Spec(data, samples, flow.toLowerCase(Locale.ROOT), preset, cfg, valFraction, testFraction,
                !noStandardize, out, !noPlots, resume, allowDegenerateData, allowDataChange, common.allowUnverified, valData, testData);
        try (Backend be = common.open()) {
            if (!common.quiet) System.err.printf("fluvia train: %s on %s, backend %s (%d threads)%n", flow, data, be.name(), be.threads());
            announceBudget();
            ProgressListener pl = common.quiet ? null : new ProgressListener();
            TrainJob.Outcome o;
            try {
                TrainListener tl = pl == null ? new TrainListener() {} : pl.attach();
                o = contextColumns != null ? dev.fluvia.app.ConditionalTrainJob.run(spec, contextColumns, be, tl) : TrainJob.run(spec, be, tl);
            } finally {
                if (pl != null) pl.close();
            }
            if (!common.quiet)
                System.out.printf(Locale.ROOT, "NLL (nats/sample): train %.4f  validation %.4f  test %.4f   (%.1f s, %.0f samples/s)%n",
                        o.trainNll(), o.valNll(), o.testNll(), o.result().wallSeconds(), o.result().samplesPerSec());
            reportStop(o.result(), cfg.steps());
            System.out.println("model:   " + o.model().toAbsolutePath());
            System.out.println("metrics: " + o.metrics().toAbsolutePath());
            for (Path p : o.plots()) System.out.println("plot:    " + p.toAbsolutePath());
        }
        return 0;
    }

    /**
     * The image path: {@link ImageTrainJob}. Defaults that differ from the tabular ones unless given: --flow glow,
     * --batch 64, --scale (the preset's: sigmoid for glow, softclamp for realnvp), --clip 50.
     */
    private int trainImages() {
        String f = given("--flow") ? flow.toLowerCase(Locale.ROOT) : "glow";
        ImagePresets.Options preset = ImagePresets.Options.defaults().withLevels(levels).withStepsPerLevel(stepsPerLevel).withWidth(width)
                .withConditioner(conditioner).withPreprocess(preprocess).withLambda(lambda)
                .withScale(given("--scale") ? CouplingScale.parse(scale) : null).withBase(given("--base") ? base : null);
        TrainConfig cfg = TrainConfig.builder().optimizer(optimizer).lr(lr).warmupSteps(warmup).schedule(schedule)
                .clipNorm(given("--clip") ? clip : 50).batchSize(given("--batch") ? batch : 64)
                .seed(seed).memoryMode(MemoryMode.parse(memory))
                .checkpointEvery(checkpointEvery).apply(this::budget).build();
        ImageTrainJob.Spec spec = new ImageTrainJob.Spec(data.toLowerCase(Locale.ROOT), maxImages, bits, f, preset, cfg, valFraction,
                testFraction, out, grid, !noPlots, resume, common.allowUnverified);
        try (Backend be = common.open()) {
            if (!common.quiet) System.err.printf("fluvia train: %s on %s images, backend %s (%d threads)%n", f, data, be.name(), be.threads());
            announceBudget();
            ProgressListener pl = common.quiet ? null : new ProgressListener();
            ImageTrainJob.Outcome o;
            try {
                o = ImageTrainJob.run(spec, be, pl == null ? new TrainListener() {} : pl.attach());
            } finally {
                if (pl != null) pl.close();
            }
            if (!common.quiet)
                System.out.printf(Locale.ROOT, "bits/dim: best validation %.4f  test %.4f   (%d levels, %.1f s, %.0f images/s)%n",
                        o.bestValBitsPerDim(), o.testBitsPerDim(), o.levels(), o.result().wallSeconds(), o.result().samplesPerSec());
            reportStop(o.result(), cfg.steps());
            System.out.println("model:   " + o.model().toAbsolutePath());
            System.out.println("metrics: " + o.metrics().toAbsolutePath());
            long grids = o.images().stream().filter(p -> p.getParent() != null && p.getParent().getFileName().toString().equals("samples")).count();
            if (grids > 0) System.out.println("samples: " + grids + " per-epoch grids in " + out.resolve("samples").toAbsolutePath());
            for (Path p : o.images())
                if (p.getParent() == null || !p.getParent().getFileName().toString().equals("samples")) System.out.println("image:   " + p.toAbsolutePath());
        }
        return 0;
    }

    /** Steps of {@code --condition-on-label} when no --steps / --epochs is given (about 25 s on 2 cores for the digits; validation NLL is best near step 360 there, saved as model.safetensors). */
    static final long CONDITIONAL_IMAGE_STEPS = 800;

    /** The same for {@code --condition-on-label --flow glow} (2 levels × 4 steps, width 32: about 30 s on 2 cores for the digits). */
    static final long CONDITIONAL_GLOW_STEPS = 500;

    /**
     * The class-conditional image path: {@link dev.fluvia.app.ConditionalImageJob}. Defaults unless given: --flow maf,
     * --layers 8, --hidden 128, --batch 128, --lr 2e-3, --steps 800 (a fixed budget; --patience adds early stopping), --grid 10 samples per class.
     */
    private int trainConditionalImages() {
        String f = given("--flow") ? flow.toLowerCase(Locale.ROOT) : "maf";
        boolean glow = f.equals("glow");
        // --flow glow: the multi-scale Glow with conditional couplings (ConditionalFlows.image); defaults 2 levels × 4 steps,
        // width 32, the preset's sigmoid scale, clip 50 as for unconditional images
        ImagePresets.Options image = !glow ? null : ImagePresets.Options.defaults().withLevels(given("--levels") ? levels : 2)
                .withStepsPerLevel(given("--steps-per-level") ? stepsPerLevel : 4).withWidth(given("--width") ? width : 32)
                .withConditioner(conditioner).withPreprocess(preprocess).withLambda(lambda)
                .withScale(given("--scale") ? CouplingScale.parse(scale) : null).withBase(given("--base") ? base : null).withSeed(seed);
        PresetOptions preset = PresetOptions.defaults().withLayers(given("--layers") ? layers : 8).withHidden(given("--hidden") ? hidden : 128).withDepth(depth)
                .withActivation(Activation.parse(activation)).withScale(CouplingScale.parse(scale)).withSeed(seed);
        TrainConfig.Builder b = TrainConfig.builder().optimizer(optimizer).lr(given("--lr") ? lr : 2e-3).warmupSteps(warmup).schedule(schedule)
                .clipNorm(glow && !given("--clip") ? 50 : clip).batchSize(given("--batch") ? batch : 128).seed(seed).memoryMode(MemoryMode.parse(memory))
                .checkpointEvery(checkpointEvery);
        b = defaultBudget() ? b.steps(glow ? CONDITIONAL_GLOW_STEPS : CONDITIONAL_IMAGE_STEPS).epochs(0).patience(given("--patience") ? patience : 0) : budget(b);
        TrainConfig cfg = b.build();
        int perClass = given("--grid") ? grid : 10;
        dev.fluvia.app.ConditionalImageJob.Spec spec = new dev.fluvia.app.ConditionalImageJob.Spec(data.toLowerCase(Locale.ROOT), f, preset, cfg,
                valFraction, testFraction, 8, out, !noPlots, perClass, 0.8f, image);
        try (Backend be = common.open()) {
            if (!common.quiet) System.err.printf(Locale.ROOT, "fluvia train: conditional %s on %s images given their label, %d steps, backend %s (%d threads)%n",
                    f, data, cfg.steps(), be.name(), be.threads());
            ProgressListener pl = common.quiet ? null : new ProgressListener();
            dev.fluvia.app.ConditionalImageJob.Outcome o;
            try {
                o = dev.fluvia.app.ConditionalImageJob.run(spec, be, pl == null ? new TrainListener() {} : pl.attach());
            } finally {
                if (pl != null) pl.close();
            }
            if (!common.quiet)
                System.out.printf(Locale.ROOT, "test: −log p(x | label) %.2f nats/image = %.4f bits/dim; label accuracy of argmax p(x | y) p(y) %.1f%%   (%.1f s)%n",
                        o.testNll(), o.testBitsPerDim(), 100 * o.testAccuracy(), o.result().wallSeconds());
            System.out.println("model:   " + o.model().toAbsolutePath());
            System.out.println("metrics: " + o.metrics().toAbsolutePath());
            if (o.samples() != null) System.out.println("samples: " + o.samples().toAbsolutePath());
        }
        return 0;
    }

    /** A console progress bar: step, loss, samples/s, ETA. */
    static final class ProgressListener implements AutoCloseable {
        private ProgressBar bar;
        private double ema = Double.NaN;

        TrainListener attach() {
            class L implements TrainListener, TrainJob.StartAware {
                @Override public void start(long total) { ProgressListener.this.start(total); }
                @Override public void onStep(long step, double loss, double lr, double sps) {
                    if (bar == null) return;
                    if (Double.isFinite(loss)) ema = Double.isNaN(ema) ? loss : 0.98 * ema + 0.02 * loss;
                    bar.stepTo(step);
                    bar.setExtraMessage(String.format(Locale.ROOT, "loss %.4f  %,.0f samples/s", ema, sps));
                }
                @Override public void onEpoch(int epoch, double valNll) {
                    if (bar != null && Double.isFinite(valNll)) bar.setExtraMessage(String.format(Locale.ROOT, "loss %.4f  val %.4f", ema, valNll));
                }
                @Override public void onWarning(String message) {
                    System.err.println("\nfluvia train: " + message);
                }
            }
            return new L();
        }

        void start(long total) {
            bar = new ProgressBarBuilder().setTaskName("train").setInitialMax(total).setStyle(ProgressBarStyle.ASCII)
                    .setUpdateIntervalMillis(250).setConsumer(new ConsoleProgressBarConsumer(System.err)).build();
        }

        @Override public void close() { if (bar != null) bar.close(); }
    }
}
