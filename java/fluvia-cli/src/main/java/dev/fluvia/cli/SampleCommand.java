package dev.fluvia.cli;

import dev.fluvia.app.ImageFlowOps;
import dev.fluvia.backend.Backend;
import dev.fluvia.data.CsvWriter;
import dev.fluvia.flow.Flow;
import dev.fluvia.io.Checkpoint;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import dev.fluvia.data.Dataset;
import dev.fluvia.distributions.ContextStandardNormal;
import dev.fluvia.flow.ConditionalFlows;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "sample", mixinStandardHelpOptions = true,
        description = {"Draw samples x = f⁻¹(z), z ~ N(0, T²I), and write them as CSV, or, for an image model and an --output ending in .png, as an image grid.",
                "A conditional model (fluvia train --context-columns) draws x ~ p(x | c) and needs the context: --context (one vector for",
                "all -n samples) or --context-file (one sample per row); only the x columns are written."})
final class SampleCommand implements Callable<Integer> {
    @Option(names = {"-m", "--model"}, required = true, description = "A model.safetensors written by fluvia train.") Path model;
    @Option(names = "-n", defaultValue = "1000", description = "Number of samples. Default: ${DEFAULT-VALUE}.") int n;
    @Option(names = {"-t", "--temperature"}, defaultValue = "1.0", description = "Base standard deviation multiplier. Default: ${DEFAULT-VALUE}.") float temperature;
    @Option(names = "--seed", defaultValue = "1", description = "Seed of the base samples (the same seed gives the same samples). Default: ${DEFAULT-VALUE}.") long seed;
    @Option(names = {"-o", "--output"}, required = true, description = "CSV file (one sample per row, header x0, x1, …), or a .png grid for an image model (conditional image models too, given --context or --context-file).") Path output;
    @Option(names = "--context", paramLabel = "C", description = "Conditional model: the context vector c (e.g. 1,0,0: as many numbers as "
            + "the model's context columns, in their order) for all -n samples.") String context;
    @Option(names = "--context-file", paramLabel = "FILE", description = "Conditional model: a CSV or .npy of context rows (the model's "
            + "context columns only, header optional); one sample per row (-n, when given, must match the row count).") Path contextFile;
    @Spec CommandSpec spec;
    @Mixin Common common = new Common();

    /** Samples drawn and written at a time. */
    static final int CHUNK = 65536;

    @Override public Integer call() {
        Checks.range("-n", n, 1, Integer.MAX_VALUE);
        Checks.output("-o", output, model, contextFile);
        if (context != null && contextFile != null) throw new IllegalArgumentException("--context and --context-file: give one");
        if (!(temperature > 0) || !Float.isFinite(temperature)) throw new IllegalArgumentException("--temperature must be a finite number > 0, got " + temperature);
        try (Backend be = common.open()) {
            Checkpoint.Loaded ck = Checkpoint.load(model, be, common.allowUnverified, Checkpoint.Use.SCORE);
            Flow flow = ck.flow();
            ContextStandardNormal cb = ConditionalCli.base(flow);
            float[] ctx = null; // one context row per sample (or one for all, ctxAll)
            boolean ctxAll = false;
            if (cb == null) {
                if (context != null) throw ConditionalCli.notConditional("--context", model);
                if (contextFile != null) throw ConditionalCli.notConditional("--context-file", model);
            } else {
                int k = cb.context();
                int[] cols = ConditionalCli.storedColumns(ck, model, k);
                String which = cols == null ? "" : " (training columns " + ConditionalCli.list(cols) + ")";
                if (context == null && contextFile == null)
                    throw new IllegalArgumentException(model + " is a conditional model p(x | c) with a context of " + k + which
                            + "; give the context with --context (e.g. " + "0,".repeat(k - 1) + "0) or --context-file");
                if (context != null) {
                    ctx = ConditionalCli.parseVector("--context", context, k);
                    ctxAll = true;
                } else {
                    Dataset c = dev.fluvia.app.DataSource.readFile(contextFile);
                    if (c.dim() != k)
                        throw new dev.fluvia.FluviaException.ShapeException(contextFile + ": rows have " + c.dim() + " columns but the model's context has "
                                + k + which);
                    for (int i = 0; i < c.data().length; i++)
                        if (!Float.isFinite(c.data()[i]))
                            throw new dev.fluvia.FluviaException.NonFiniteException(contextFile + ": row " + (i / k + 1) + " has a non-finite value");
                    if (spec.commandLine().getParseResult().hasMatchedOption("-n") && n != c.n())
                        throw new IllegalArgumentException("-n " + n + ": --context-file " + contextFile + " has " + c.n() + " rows (one sample per row)");
                    n = c.n();
                    ctx = c.data();
                }
                if (output.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".png")) {
                    int[] chw = conditionalImageShape(ck, flow);
                    if (chw == null)
                        throw new IllegalArgumentException("-o " + output + ": this conditional model was not trained on images; its samples are written as CSV, not as a .png grid");
                    writeConditionalGrid(flow, chw, ctx, ctxAll, k);
                    System.out.println(output.toAbsolutePath());
                    return 0;
                }
            }
            if (output.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".png")) {
                Checks.range("-n (for a .png grid)", n, 1, 4096);
                ImageFlowOps.ImageInfo info = ImageCli.info(ck, model);
                float[] x = flow.sampleHost(n, temperature, seed);
                int cols = (int) Math.ceil(Math.sqrt(n));
                ImageFlowOps.writeGrid(output, flow, x, n, cols, info.levels(),
                        String.format(java.util.Locale.ROOT, "%d samples, T = %.2f", n, temperature));
                System.out.println(output.toAbsolutePath());
                return 0;
            }
            int d = cb == null ? flow.eventSize() : dev.fluvia.flow.ConditionalFlows.dataDim(flow);
            List<String> header = new ArrayList<>();
            for (int j = 0; j < d; j++) header.add("x" + j);
            // at least "0.0," per value: refuse what the disk cannot hold before sampling anything
            long minBytes = (long) n * d * 4;
            try {
                java.nio.file.Path dir = output.toAbsolutePath().getParent();
                long free = java.nio.file.Files.getFileStore(dir).getUsableSpace();
                if (minBytes > free)
                    throw new IllegalArgumentException("-n " + n + ": the CSV needs at least " + minBytes + " bytes but " + dir + " has " + free + " free");
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(output + ": " + dev.fluvia.io.AtomicFiles.reason(e), e);
            }
            // samples are drawn and written CHUNK rows at a time (memory bounded by the chunk); chunk k uses seed + k,
            // so up to CHUNK samples are exactly those of one sampleHost(n, T, seed) call
            int chunk = Math.max(1, Math.min(CHUNK, (1 << 22) / Math.max(1, d)));
            if (cb == null) {
                CsvWriter.writeStreaming(output, n, d, chunk, header, (first, count) -> flow.sampleHost(count, temperature, seed + first / chunk));
            } else {
                int k = cb.context();
                float[] c = ctx;
                boolean all = ctxAll;
                CsvWriter.writeStreaming(output, n, d, chunk, header, (first, count) -> {
                    float[] cc = new float[count * k];
                    for (int i = 0; i < count; i++) System.arraycopy(c, all ? 0 : (int) (first + i) * k, cc, i * k, k);
                    return ConditionalFlows.sample(flow, cc, count, temperature, seed + first / chunk);
                });
            }
        }
        System.out.println(output.toAbsolutePath());
        return 0;
    }

    /**
     * The image shape {@code [C, H, W]} of a conditional image model (the {@code training.image_shape} that
     * {@code train --condition-on-label} stores, checked against the flow's data width), or null for a tabular one.
     */
    static int[] conditionalImageShape(Checkpoint.Loaded ck, Flow flow) {
        if (ck.training() == null || !ck.training().hasNonNull("image_shape")) return null;
        String[] p = ck.training().get("image_shape").asText("").split("x");
        if (p.length != 3) throw new dev.fluvia.FluviaException.ShapeException("training.image_shape '" + ck.training().get("image_shape").asText()
                + "' is not CxHxW");
        int[] chw = new int[3];
        try {
            for (int i = 0; i < 3; i++) chw[i] = Integer.parseInt(p[i]);
        } catch (NumberFormatException e) {
            throw new dev.fluvia.FluviaException.ShapeException("training.image_shape '" + ck.training().get("image_shape").asText() + "' is not CxHxW");
        }
        long size = (long) chw[0] * chw[1] * chw[2];
        if (chw[0] < 1 || chw[1] < 1 || chw[2] < 1 || size != ConditionalFlows.dataDim(flow))
            throw new dev.fluvia.FluviaException.ShapeException("training.image_shape " + Arrays.toString(chw) + " does not match the model's "
                    + ConditionalFlows.dataDim(flow) + " data values");
        return chw;
    }

    /** Draws n images given the context (one row for all, or one per sample) and writes them as a grid, in [0, 1] as trained. */
    private void writeConditionalGrid(Flow flow, int[] chw, float[] ctx, boolean ctxAll, int k) {
        Checks.range("-n (for a .png grid)", n, 1, 4096);
        float[] cc = new float[n * k];
        for (int i = 0; i < n; i++) System.arraycopy(ctx, ctxAll ? 0 : i * k, cc, i * k, k);
        float[] x = ConditionalFlows.sample(flow, cc, n, temperature, seed);
        for (int i = 0; i < x.length; i++) x[i] = Float.isNaN(x[i]) ? 0f : Math.min(1f, Math.max(0f, x[i]));
        int cols = (int) Math.ceil(Math.sqrt(n));
        try {
            dev.fluvia.plot.ImageGrid.write(output, x, n, chw[0], chw[1], chw[2], cols, Math.max(2, 96 / Math.max(chw[1], chw[2])),
                    String.format(java.util.Locale.ROOT, "%d samples given the context, T = %.2f", n, temperature));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot write " + output + ": " + e.getMessage(), e);
        }
    }
}
