package dev.fluvia.cli;

import dev.fluvia.app.ImageFlowOps;
import dev.fluvia.backend.Backend;
import dev.fluvia.io.Checkpoint;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "decode", mixinStandardHelpOptions = true, description = "Decode latents written by 'fluvia encode' back to images, as a PNG grid.")
final class DecodeCommand implements Callable<Integer> {
    @Option(names = {"-m", "--model"}, required = true, description = "A model.safetensors written by fluvia train.") Path model;
    @Option(names = "--latents", required = true, description = "A .safetensors or .csv file from 'fluvia encode'.") Path latents;
    @Option(names = {"-o", "--output"}, required = true, description = "PNG file.") Path output;
    @Mixin Common common = new Common();

    @Override public Integer call() {
        if (!output.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".png"))
            throw new IllegalArgumentException("--output must be a .png file, got " + output);
        try (Backend be = common.open()) {
            Checkpoint.Loaded ck = Checkpoint.load(model, be, common.allowUnverified, Checkpoint.Use.SCORE);
            ImageFlowOps.ImageInfo info = ImageCli.info(ck, model);
            ImageFlowOps.Latents z = ImageFlowOps.readLatents(latents, ck.flow());
            float[] x = ImageFlowOps.decode(ck.flow(), z.levels(), z.n());
            ImageFlowOps.writeGrid(output, ck.flow(), x, z.n(), Math.min(z.n(), 8), info.levels(), null);
        }
        System.out.println(output.toAbsolutePath());
        return 0;
    }
}
