package dev.fluvia.cli;

import dev.fluvia.app.ImageFlowOps;
import dev.fluvia.backend.Backend;
import dev.fluvia.data.images.ImageDataset;
import dev.fluvia.io.Checkpoint;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "interpolate", mixinStandardHelpOptions = true,
        description = "Decode the straight line between two data images' latents (all levels) and write the images as a PNG row.")
final class InterpolateCommand implements Callable<Integer> {
    @Option(names = {"-m", "--model"}, required = true, description = "A model.safetensors written by fluvia train.") Path model;
    @Option(names = "--data", required = true, description = "Image data set: digits, mnist or fashion-mnist.") String data;
    @Option(names = "--from", required = true, description = "Index of the first image.") int from;
    @Option(names = "--to", required = true, description = "Index of the last image.") int to;
    @Option(names = "--steps", defaultValue = "8", description = "Images along the line, ends included (≥ 2). Default: ${DEFAULT-VALUE}.") int steps;
    @Option(names = {"-o", "--output"}, required = true, description = "PNG file.") Path output;
    @Mixin Common common = new Common();

    @Override public Integer call() {
        if (steps < 2) throw new IllegalArgumentException("--steps must be >= 2, got " + steps);
        try (Backend be = common.open()) {
            Checkpoint.Loaded ck = Checkpoint.load(model, be, common.allowUnverified, Checkpoint.Use.SCORE);
            ImageFlowOps.ImageInfo info = ImageCli.info(ck, model);
            ImageDataset d = ImageCli.data(data, ck, info);
            ImageCli.checkIndex(d, from, "--from");
            ImageCli.checkIndex(d, to, "--to");
            float[] x = ImageFlowOps.interpolate(ck.flow(), ImageFlowOps.centred(d, new int[] {from}, info),
                    ImageFlowOps.centred(d, new int[] {to}, info), steps);
            ImageFlowOps.writeGrid(output, ck.flow(), x, steps, steps, info.levels(),
                    String.format(Locale.ROOT, "%s %d → %d", data, from, to));
        }
        System.out.println(output.toAbsolutePath());
        return 0;
    }
}
