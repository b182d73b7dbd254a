package dev.fluvia.cli;

import dev.fluvia.app.ImageFlowOps;
import dev.fluvia.backend.Backend;
import dev.fluvia.data.CsvWriter;
import dev.fluvia.flow.Flow;
import dev.fluvia.io.Checkpoint;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "sample", mixinStandardHelpOptions = true,
        description = "Draw samples x = f⁻¹(z), z ~ N(0, T²I), and write them as CSV, or, for an image model and an --output ending in .png, as an image grid.")
final class SampleCommand implements Callable<Integer> {
    @Option(names = {"-m", "--model"}, required = true) Path model;
    @Option(names = "-n", defaultValue = "1000", description = "Number of samples. Default: ${DEFAULT-VALUE}.") int n;
    @Option(names = {"-t", "--temperature"}, defaultValue = "1.0", description = "Base standard deviation multiplier. Default: ${DEFAULT-VALUE}.") float temperature;
    @Option(names = "--seed", defaultValue = "1") long seed;
    @Option(names = {"-o", "--output"}, required = true) Path output;
    @Mixin Common common = new Common();

    @Override public Integer call() {
        if (n < 1) throw new IllegalArgumentException("-n must be >= 1, got " + n);
        if (!(temperature > 0) || !Float.isFinite(temperature)) throw new IllegalArgumentException("--temperature must be a finite number > 0, got " + temperature);
        try (Backend be = common.open()) {
            Checkpoint.Loaded ck = Checkpoint.load(model, be, common.allowUnverified);
            Flow flow = ck.flow();
            if (output.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".png")) {
                ImageFlowOps.ImageInfo info = ImageCli.info(ck, model);
                float[] x = flow.sampleHost(n, temperature, seed);
                int cols = (int) Math.ceil(Math.sqrt(n));
                ImageFlowOps.writeGrid(output, flow, x, n, cols, info.levels(),
                        String.format(java.util.Locale.ROOT, "%d samples, T = %.2f", n, temperature));
                System.out.println(output.toAbsolutePath());
                return 0;
            }
            float[] x = flow.sampleHost(n, temperature, seed);
            int d = flow.eventSize();
            List<String> header = new ArrayList<>();
            for (int j = 0; j < d; j++) header.add("x" + j);
            CsvWriter.write(output, x, n, d, header);
        }
        System.out.println(output.toAbsolutePath());
        return 0;
    }
}
