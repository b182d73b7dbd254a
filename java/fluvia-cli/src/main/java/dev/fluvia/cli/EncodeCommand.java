package dev.fluvia.cli;

import dev.fluvia.app.ImageFlowOps;
import dev.fluvia.backend.Backend;
import dev.fluvia.data.images.ImageDataset;
import dev.fluvia.io.Checkpoint;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "encode", mixinStandardHelpOptions = true,
        description = "Encode data images to all their latents (every split level, then the final z), at the centre of their quantisation bins.")
final class EncodeCommand implements Callable<Integer> {
    @Option(names = {"-m", "--model"}, required = true, description = "A model.safetensors written by fluvia train.") Path model;
    @Option(names = "--data", required = true, description = "Image data set: digits, mnist or fashion-mnist.") String data;
    @Option(names = "--index", required = true, split = ",", description = "Image index (or comma-separated indices) in the data set.") int[] index;
    @Option(names = {"-o", "--output"}, required = true, description = "z.safetensors (tensors latent.0, latent.1, …) or z.csv (one row per image).") Path output;
    @Mixin Common common = new Common();

    @Override public Integer call() {
        try (Backend be = common.open()) {
            Checkpoint.Loaded ck = Checkpoint.load(model, be, common.allowUnverified, Checkpoint.Use.SCORE);
            ImageFlowOps.ImageInfo info = ImageCli.info(ck, model);
            ImageDataset d = ImageCli.data(data, ck, info);
            for (int i : index) ImageCli.checkIndex(d, i, "--index");
            List<float[]> z = ImageFlowOps.encode(ck.flow(), ImageFlowOps.centred(d, index, info), index.length);
            ImageFlowOps.writeLatents(output, ck.flow(), z, index.length);
        }
        System.out.println(output.toAbsolutePath());
        return 0;
    }
}
