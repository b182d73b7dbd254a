package dev.fluvia.cli;

import dev.fluvia.backend.Backend;
import dev.fluvia.data.CsvWriter;
import dev.fluvia.data.Dataset;
import dev.fluvia.FluviaException.ShapeException;
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
        "A density that underflows is written as -Infinity (a point far outside the data); NaN is never written."})
final class LogProbCommand implements Callable<Integer> {
    @Option(names = {"-m", "--model"}, required = true, description = "A model.safetensors written by fluvia train.") Path model;
    @Option(names = {"-i", "--input"}, required = true, description = "Points, one per row: a CSV (header optional) or a 2-D .npy array.") Path input;
    @Option(names = {"-o", "--output"}, required = true, description = "CSV with one log-density per row (header: log_prob).") Path output;
    @Option(names = "--batch", defaultValue = "8192", description = "Rows evaluated at a time (1..1048576). Default: ${DEFAULT-VALUE}.") int batch;
    @Mixin Common common = new Common();

    @Override public Integer call() {
        Checks.range("--batch", batch, 1, 1 << 20);
        Checks.output("-o", output, input, model);
        Dataset d = dev.fluvia.app.DataSource.readFile(input);
        try (Backend be = common.open()) {
            Flow flow = Checkpoint.load(model, be, common.allowUnverified, Checkpoint.Use.SCORE).flow();
            if (d.dim() != flow.eventSize())
                throw new ShapeException(input + ": rows have " + d.dim() + " columns but the model expects " + flow.eventSize());
            float[] out = new float[d.n()];
            for (int lo = 0; lo < d.n(); lo += batch) {
                int n = Math.min(batch, d.n() - lo);
                float[] rows = new float[n * d.dim()];
                System.arraycopy(d.data(), lo * d.dim(), rows, 0, rows.length);
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
}
