package dev.fluvia.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fluvia.app.TrainJob;
import dev.fluvia.backend.Activation;
import dev.fluvia.backend.Backend;
import dev.fluvia.flow.Flow;
import dev.fluvia.flow.PresetOptions;
import dev.fluvia.flow.Presets;
import dev.fluvia.io.AtomicFiles;
import dev.fluvia.io.Checkpoint;
import dev.fluvia.plot.SideBySide;
import dev.fluvia.train.ReverseKl;
import dev.fluvia.train.targets.Target;
import dev.fluvia.train.targets.Targets;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "fit-target", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Fit a flow to an unnormalised target density by reverse KL (variational inference) with reparameterised samples; "
                + "writes model.safetensors, metrics.json (loss, ELBO, importance-sampled log Z and its effective sample size) and, "
                + "for 2-D targets, density.png (the learned density beside the target's)."})
final class FitTargetCommand implements Callable<Integer> {
    static final List<String> FLOWS = List.of("planar", "radial", "sylvester", "realnvp", "iaf", "maf", "spline", "spline-ar");

    @Option(names = "--target", required = true, description = "u1, u2, u3, u4 (Rezende & Mohamed 2015), banana, mixture, or gauss:D (a D-dim Gaussian with exact log Z).")
    String target;
    @Option(names = "--flow", defaultValue = "planar", description = "planar, radial, sylvester, realnvp, iaf, maf, spline or spline-ar. Default: ${DEFAULT-VALUE}.")
    String flow;
    @Option(names = "--layers", defaultValue = "0", description = "Layers (0 = preset default: planar/radial 16, sylvester 8, realnvp 8, iaf/maf 5, spline/spline-ar 4).")
    int layers;
    @Option(names = "--hidden", defaultValue = "0", description = "Conditioner width for realnvp/iaf/maf/spline/spline-ar (0 = preset default).")
    int hidden;
    @Option(names = "--depth", defaultValue = "0", description = "Conditioner hidden layers (0 = preset default).")
    int depth;
    @Option(names = "--activation", defaultValue = "tanh", description = "Conditioner activation: relu, tanh, elu, silu. Default: ${DEFAULT-VALUE}.")
    String activation;
    @Option(names = "--steps", defaultValue = "3000", description = "Adam steps. Default: ${DEFAULT-VALUE}.")
    int steps;
    @Option(names = "--batch", defaultValue = "256", description = "Samples per step. Default: ${DEFAULT-VALUE}.")
    int batch;
    @Option(names = "--lr", defaultValue = "5e-3", description = "Peak learning rate (cosine decay to 1/100 of it). Default: ${DEFAULT-VALUE}.")
    double lr;
    @Option(names = "--clip", defaultValue = "10", description = "Global gradient-norm clip (0 = off). Default: ${DEFAULT-VALUE}.")
    double clip;
    @Option(names = "--eval-samples", defaultValue = "20000", description = "Samples of the final loss / ELBO / log Z estimate. Default: ${DEFAULT-VALUE}.")
    int evalSamples;
    @Option(names = "--seed", defaultValue = "1", description = "Seed for initialisation and sampling. Default: ${DEFAULT-VALUE}.")
    long seed;
    @Option(names = "--resolution", defaultValue = "200", description = "Plot grid per axis. Default: ${DEFAULT-VALUE}.")
    int resolution;
    @Option(names = "--implicit-backward", description = "Differentiate every layer's generative direction by the implicit-function path, also those with a closed-form backward (the slower path, for comparisons).")
    boolean implicitBackward;
    @Option(names = "--no-plots", description = "Skip density.png.")
    boolean noPlots;
    @Option(names = "--out", defaultValue = "runs/fit-target", description = "Output folder. Default: ${DEFAULT-VALUE}.")
    Path out;

    @Mixin Common common = new Common();

    private void validate() {
        String f = flow.toLowerCase(Locale.ROOT);
        if (!FLOWS.contains(f))
            throw new IllegalArgumentException("--flow must be one of " + String.join(", ", FLOWS) + ", got '" + flow + "'");
        Checks.range("--layers", layers, 0, 1000);
        Checks.range("--hidden", hidden, 0, 65536);
        Checks.range("--depth", depth, 0, 64);
        Checks.range("--steps", steps, 0, 100_000_000);
        Checks.range("--batch", batch, 1, 1 << 20);
        Checks.range("--lr", lr, Double.MIN_NORMAL, 10, false);
        Checks.range("--clip", clip, 0, Double.MAX_VALUE, false);
        Checks.range("--eval-samples", evalSamples, 1, 100_000_000);
        Checks.range("--resolution", resolution, 2, 2048);
        Checks.outputDirectory("--out", out);
    }

    @Override public Integer call() throws IOException {
        validate();
        Target t = Targets.byName(target);
        String f = flow.toLowerCase(Locale.ROOT);
        PresetOptions preset = PresetOptions.defaults().withLayers(layers).withHidden(hidden).withDepth(depth)
                .withActivation(Activation.parse(activation)).withSeed(seed);
        try (Backend be = common.open()) {
            Flow model = Presets.build(f, be, t.dim(), preset, null, null);
            ReverseKl rk = new ReverseKl(model, t).implicitBackward(implicitBackward);
            if (!common.quiet) System.err.printf(Locale.ROOT, "fluvia fit-target: %s on %s (D = %d), %d parameters, backend %s%n",
                    f, t.name(), t.dim(), model.parameterCount(), be.name());
            long t0 = System.nanoTime();
            int every = Math.max(1, steps / 10);
            double[] losses = rk.fit(steps, batch, lr, clip, seed, (s, loss, rate) -> {
                if (!common.quiet && ((s + 1) % every == 0 || s + 1 == steps))
                    System.err.printf(Locale.ROOT, "step %d/%d  loss %.4f  lr %.2e%n", s + 1, steps, loss, rate);
            });
            double wall = (System.nanoTime() - t0) / 1e9;
            ReverseKl.Estimate e = rk.estimate(evalSamples, seed + 7919);
            double ref = t.exactLogZ(), grid = t.dim() == 2 ? Targets.gridLogZ(t, 1000) : Double.NaN;
            double logZRef = Double.isFinite(ref) ? ref : grid;

            java.nio.file.Files.createDirectories(out);
            Path modelPath = out.resolve("model.safetensors");
            ObjectNode info = JsonNodeFactory.instance.objectNode();
            info.put("objective", "reverse_kl");
            info.put("target", t.name());
            info.put("steps", steps);
            Checkpoint.save(modelPath, model, info, null);

            ObjectNode m = JsonNodeFactory.instance.objectNode();
            m.put("target", t.name());
            m.put("flow", f);
            m.put("dim", t.dim());
            m.put("parameters", model.parameterCount());
            m.put("backend", be.name());
            m.put("steps", steps);
            m.put("batch", batch);
            m.put("lr", lr);
            m.put("seed", seed);
            m.put("eval_samples", e.n());
            m.put("loss", e.loss());
            m.put("elbo", e.elbo());
            m.put("log_z_estimate", e.logZ());
            m.put("ess", e.ess());
            m.put("ess_fraction", e.essFraction());
            m.put("exact_log_z", ref);
            m.put("grid_log_z", grid);
            m.put("kl_q_p", logZRef - e.elbo());
            m.put("wall_seconds", wall);
            m.put("steps_per_second", steps / Math.max(wall, 1e-9));
            m.put("units", "nats");
            var implicit = m.putArray("layers_with_implicit_inverse_backward");
            rk.implicitLayers().stream().distinct().forEach(implicit::add);
            var arr = m.putArray("train_loss");
            for (double v : losses) arr.add(v);
            Path metrics = out.resolve("metrics.json");
            byte[] bytes = new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(TrainJob.finiteOrNull(m))
                    .getBytes(StandardCharsets.UTF_8);
            AtomicFiles.write(metrics, ch -> ch.write(java.nio.ByteBuffer.wrap(bytes)));

            Path png = null;
            if (!noPlots && t.dim() == 2) {
                png = out.resolve("density.png");
                double[] view = t.view();
                boolean exact = model.transforms().stream().noneMatch(tr -> tr instanceof dev.fluvia.transforms.Sylvester);
                float[] samples = exact ? null : model.sampleHost(400_000, 1f, seed + 13);
                SideBySide.densities(png, "Learned (" + f + (exact ? ")" : ", sample histogram)"),
                        pts -> exact ? model.logProb(pts, pts.length / 2) : SideBySide.histogramLogDensity(samples, 400_000, view, 100, pts),
                        "Target " + t.name() + " (unnormalised)", pts -> targetLogDensity(t, pts), view, resolution);
            }
            System.out.printf(Locale.ROOT, "loss %.4f  ELBO %.4f  log Z estimate %.4f (ESS %.0f of %d, %.1f%%)%s%n", e.loss(), e.elbo(), e.logZ(),
                    e.ess(), e.n(), 100 * e.essFraction(),
                    Double.isFinite(logZRef) ? String.format(Locale.ROOT, "  reference log Z %.4f (%s)", logZRef, Double.isFinite(ref) ? "exact" : "grid") : "");
            System.out.println("model:   " + modelPath.toAbsolutePath());
            System.out.println("metrics: " + metrics.toAbsolutePath());
            if (png != null) System.out.println("plot:    " + png.toAbsolutePath());
        }
        return 0;
    }

    private static float[] targetLogDensity(Target t, float[] pts) {
        int n = pts.length / 2;
        double[] x = new double[pts.length], lp = new double[n];
        for (int i = 0; i < x.length; i++) x[i] = pts[i];
        t.logDensity(x, n, lp, null);
        float[] out = new float[n];
        for (int i = 0; i < n; i++) out[i] = (float) lp[i];
        return out;
    }
}
