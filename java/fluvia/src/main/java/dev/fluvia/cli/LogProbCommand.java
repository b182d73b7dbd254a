package dev.fluvia.cli;

import dev.fluvia.backend.Backend;
import dev.fluvia.data.CsvReader;
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

@Command(name = "logprob", mixinStandardHelpOptions = true, description = "Write log p(x) (natural log, the data's own units) for every row of a CSV.")
final class LogProbCommand implements Callable<Integer> {
    @Option(names = {"-m", "--model"}, required = true) Path model;
    @Option(names = {"-i", "--input"}, required = true, description = "CSV of points, one per row (header optional).") Path input;
    @Option(names = {"-o", "--output"}, required = true, description = "CSV with one log-density per row (header: log_prob).") Path output;
    @Option(names = "--batch", defaultValue = "8192") int batch;
    @Mixin Common common = new Common();

    @Override public Integer call() {
        Dataset d = CsvReader.read(input);
        try (Backend be = common.open()) {
            Flow flow = Checkpoint.load(model, be, common.allowUnverified).flow();
            if (d.dim() != flow.eventSize())
                throw new ShapeException(input + ": rows have " + d.dim() + " columns but the model expects " + flow.eventSize());
            float[] out = new float[d.n()];
            for (int lo = 0; lo < d.n(); lo += batch) {
                int n = Math.min(batch, d.n() - lo);
                float[] rows = new float[n * d.dim()];
                System.arraycopy(d.data(), lo * d.dim(), rows, 0, rows.length);
                System.arraycopy(flow.logProb(rows, n), 0, out, lo, n);
            }
            CsvWriter.write(output, out, d.n(), 1, List.of("log_prob"));
        }
        if (!common.quiet) System.err.println("fluvia logprob: " + d.n() + " rows");
        System.out.println(output.toAbsolutePath());
        return 0;
    }
}
