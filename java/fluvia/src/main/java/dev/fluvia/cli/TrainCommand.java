package dev.fluvia.cli;

import dev.fluvia.app.TrainJob;
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
import picocli.CommandLine.Option;

@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Train a flow by maximum likelihood; writes model.safetensors, checkpoint.safetensors, metrics.json and PNG plots to --out.")
final class TrainCommand implements Callable<Integer> {
    @Option(names = "--data", required = true, description = "A .csv or .npy file, or a built-in 2-D set: moons, circles, 8gaussians, checkerboard, pinwheel, 2spirals.")
    String data;
    @Option(names = "--samples", defaultValue = "20000", description = "Points drawn from a built-in set. Default: ${DEFAULT-VALUE}.")
    int samples;
    @Option(names = "--flow", defaultValue = "realnvp", description = "realnvp, nice, glow, maf or iaf. Default: ${DEFAULT-VALUE}.")
    String flow;
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
    @Option(names = "--base", defaultValue = "normal", description = "Base distribution: normal or diag (learnable diagonal Gaussian). Default: ${DEFAULT-VALUE}.")
    String base;
    @Option(names = "--steps", defaultValue = "0", description = "Optimizer steps (0: use --epochs).")
    long steps;
    @Option(names = "--epochs", defaultValue = "0", description = "Epochs over the training split (used when --steps is 0).")
    int epochs;
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
    @Option(names = "--val-fraction", defaultValue = "0.1") double valFraction;
    @Option(names = "--test-fraction", defaultValue = "0.1") double testFraction;
    @Option(names = "--no-standardize", description = "Do not standardise the data (by default mean/std of the training split become the model's first layer).")
    boolean noStandardize;
    @Option(names = "--checkpoint-every", defaultValue = "0", description = "Write checkpoint.safetensors every N steps (0 = only at the end).")
    long checkpointEvery;
    @Option(names = "--resume", description = "Continue the run saved in this checkpoint.safetensors (same data and seed).")
    Path resume;
    @Option(names = "--no-plots", description = "Skip the PNG plots.")
    boolean noPlots;
    @Option(names = "--out", defaultValue = "runs/train", description = "Output folder. Default: ${DEFAULT-VALUE}.")
    Path out;
    @Mixin Common common = new Common();

    @Override public Integer call() {
        PresetOptions preset = PresetOptions.defaults().withLayers(layers).withHidden(hidden).withDepth(depth)
                .withActivation(Activation.parse(activation)).withScale(CouplingScale.parse(scale)).withBase(base).withSeed(seed);
        TrainConfig cfg = TrainConfig.builder().optimizer(optimizer).lr(lr).warmupSteps(warmup).schedule(schedule)
                .clipNorm(clip).batchSize(batch).steps(steps).epochs(steps > 0 ? 0 : Math.max(1, epochs))
                .seed(seed).memoryMode(MemoryMode.parse(memory)).checkpointEvery(checkpointEvery).build();
        TrainJob.Spec spec = new TrainJob.Spec(data, samples, flow.toLowerCase(Locale.ROOT), preset, cfg, valFraction, testFraction,
                !noStandardize, out, !noPlots, resume);
        try (Backend be = common.open()) {
            if (!common.quiet) System.err.printf("fluvia train: %s on %s, backend %s (%d threads)%n", flow, data, be.name(), be.threads());
            ProgressListener pl = common.quiet ? null : new ProgressListener();
            TrainJob.Outcome o;
            try {
                o = TrainJob.run(spec, be, pl == null ? new TrainListener() {} : pl.attach());
            } finally {
                if (pl != null) pl.close();
            }
            if (!common.quiet)
                System.out.printf(Locale.ROOT, "NLL (nats/sample): train %.4f  validation %.4f  test %.4f   (%.1f s, %.0f samples/s)%n",
                        o.trainNll(), o.valNll(), o.testNll(), o.result().wallSeconds(), o.result().samplesPerSec());
            System.out.println("model:   " + o.model().toAbsolutePath());
            System.out.println("metrics: " + o.metrics().toAbsolutePath());
            for (Path p : o.plots()) System.out.println("plot:    " + p.toAbsolutePath());
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
