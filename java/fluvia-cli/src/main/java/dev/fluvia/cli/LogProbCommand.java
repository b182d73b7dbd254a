package dev.fluvia.cli;

import dev.fluvia.backend.Backend;
import dev.fluvia.data.CsvWriter;
import dev.fluvia.data.Dataset;
import dev.fluvia.FluviaException.ShapeException;
import dev.fluvia.app.ConditionalTrainJob;
import dev.fluvia.distributions.ContextStandardNormal;
import dev.fluvia.flow.ConditionalFlows;
import dev.fluvia.flow.Flow;
import dev.fluvia.io.Checkpoint;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "logprob", mixinStandardHelpOptions = true, description = {
        "Write log p(x) (natural log, the data's own units) for every row of a CSV or .npy file.",
        "For a conditional model (fluvia train --context-columns) it is log p(x | c): the rows have the training data's",
        "column layout and the context is read from the columns stored with the model (or --context-columns), or the rows",
        "hold only x and --context gives one context vector for all of them.",
        "A density that underflows is written as -Infinity (a point far outside the data); NaN is never written."})
final class LogProbCommand implements Callable<Integer> {
    @Option(names = {"-m", "--model"}, required = true, description = "A model.safetensors written by fluvia train.") Path model;
    @Option(names = {"-i", "--input", "--data"}, required = true, description = "Points, one per row: a CSV (header optional) or a 2-D .npy array.") Path input;
    @Option(names = {"-o", "--output"}, required = true, description = "CSV with one log-density per row (header: log_prob).") Path output;
    @Option(names = "--context-columns", paramLabel = "COLS", description = "Conditional model: these 0-based columns of the input "
            + "(e.g. 2,3, in the context's order) are the context c, the rest are x. Default: the columns the model was trained with.")
    String contextColumns;
    @Option(names = "--context", paramLabel = "C", description = "Conditional model: one context vector (e.g. 1,0,0) for every row; "
            + "the input then holds only the x columns.")
    String context;
    @Option(names = "--batch", defaultValue = "8192", description = "Rows evaluated at a time (1..1048576). Default: ${DEFAULT-VALUE}.") int batch;
    @Mixin Common common = new Common();

    @Override public Integer call() {
        Checks.range("--batch", batch, 1, 1 << 20);
        Checks.output("-o", output, input, model);
        Dataset d = dev.fluvia.app.DataSource.readFile(input);
        try (Backend be = common.open()) {
            Checkpoint.Loaded ck = Checkpoint.load(model, be, common.allowUnverified, Checkpoint.Use.SCORE);
            Flow flow = ck.flow();
            Dataset rowsIn = rows(ConditionalCli.base(flow), ck, d);
            int w = rowsIn.dim();
            if (w != flow.eventSize())
                throw new ShapeException(input + ": rows have " + w + " columns but the model expects " + flow.eventSize());
            float[] out = new float[d.n()];
            for (int lo = 0; lo < d.n(); lo += batch) {
                int n = Math.min(batch, d.n() - lo);
                float[] rows = new float[n * w];
                System.arraycopy(rowsIn.data(), lo * w, rows, 0, rows.length);
                System.arraycopy(flow.logProb(rows, n), 0, out, lo, n);
            }
            for (int i = 0; i < out.length; i++)
                if (Float.isNaN(out[i])) throw new dev.fluvia.FluviaException.NonFiniteException(input + ": row " + (i + 1) + ": log p is NaN; nothing was written");
            CsvWriter.write(output, out, d.n(), 1, List.of("log_prob"), true);
        }
        if (!common.quiet) System.err.println("fluvia logprob: " + d.n() + " rows");
        System.out.println(output.toAbsolutePath());
        return 0;
    }

    /**
     * The rows the flow scores: the input as it is for an unconditional model; for a conditional one, {@code [x | c]}
     * from the input's context columns (stored or {@code --context-columns}) or from x-only rows and {@code --context}.
     */
    private Dataset rows(ContextStandardNormal b, Checkpoint.Loaded ck, Dataset d) {
        if (b == null) {
            if (contextColumns != null) throw ConditionalCli.notConditional("--context-columns", model);
            if (context != null) throw ConditionalCli.notConditional("--context", model);
            return d;
        }
        int dim = ck.flow().eventSize() - b.context(), k = b.context();
        if (context != null) {
            if (contextColumns != null) throw new IllegalArgumentException("--context and --context-columns: give one");
            float[] c = ConditionalCli.parseVector("--context", context, k);
            if (d.dim() != dim)
                throw new ShapeException(input + ": rows have " + d.dim() + " columns but with --context they hold only x, which has " + dim
                        + " columns in this model");
            float[] cs = new float[d.n() * k];
            for (int i = 0; i < d.n(); i++) System.arraycopy(c, 0, cs, i * k, k);
            return new Dataset(d.name(), ConditionalFlows.join(d.data(), dim, cs, k, d.n()), d.n(), dim + k);
        }
        int[] cols;
        if (contextColumns != null) {
            cols = ConditionalTrainJob.parseColumns(contextColumns, d.dim());
            if (cols.length != k)
                throw new ShapeException("--context-columns " + contextColumns + ": gives " + cols.length + " column" + (cols.length == 1 ? "" : "s")
                        + " but the model's context has " + k);
        } else {
            cols = ConditionalCli.storedColumns(ck, model, k);
            if (cols == null)
                throw new IllegalArgumentException(model + " is a conditional model (context of " + k + ") that stores no context columns; "
                        + "give --context-columns or --context");
        }
        for (int c : cols)
            if (c >= d.dim()) throw new ShapeException(input + ": has no column " + c + " (a context column of the model, 0-based; it has " + d.dim() + ")");
        if (d.dim() != dim + k)
            throw new ShapeException(input + ": rows have " + d.dim() + " columns but the conditional model expects " + (dim + k) + " ("
                    + dim + " x and " + k + " context, the context in column" + (k == 1 ? " " : "s ") + ConditionalCli.list(cols) + ")");
        return ConditionalTrainJob.reorder(d, cols);
    }
}
