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

@Command(name = "attribute", mixinStandardHelpOptions = true,
        description = {"Edit an image along a class attribute in latent space and write the results as a PNG row.",
                "The attribute is v = mean latent of --to-class minus mean latent of --from-class (all levels); image --index is "
                        + "decoded from z + s·v for each strength s."})
final class AttributeCommand implements Callable<Integer> {
    @Option(names = {"-m", "--model"}, required = true, description = "An image model.safetensors written by fluvia train.") Path model;
    @Option(names = "--data", required = true, description = "Image data set with labels: digits, mnist or fashion-mnist.") String data;
    @Option(names = "--from-class", required = true, description = "The class the attribute direction starts from.") int fromClass;
    @Option(names = "--to-class", required = true, description = "The class the attribute direction points to.") int toClass;
    @Option(names = "--index", required = true, description = "The image to edit.") int index;
    @Option(names = "--strengths", defaultValue = "-1,-0.5,0,0.5,1", split = ",", description = "Strengths s. Default: ${DEFAULT-VALUE}.") double[] strengths;
    @Option(names = {"-o", "--output"}, required = true, description = "PNG file.") Path output;
    @Mixin Common common = new Common();

    @Override public Integer call() {
        for (double s : strengths) if (!Double.isFinite(s)) throw new IllegalArgumentException("--strengths must be finite numbers, got " + s);
        try (Backend be = common.open()) {
            Checkpoint.Loaded ck = Checkpoint.load(model, be, common.allowUnverified, Checkpoint.Use.SCORE);
            ImageFlowOps.ImageInfo info = ImageCli.info(ck, model);
            ImageDataset d = ImageCli.data(data, ck, info);
            ImageCli.checkIndex(d, index, "--index");
            float[] x = ImageFlowOps.attribute(ck.flow(), d, info, fromClass, toClass, index, strengths);
            ImageFlowOps.writeGrid(output, ck.flow(), x, strengths.length, strengths.length, info.levels(),
                    String.format(Locale.ROOT, "%s #%d: class %d → %d", data, index, fromClass, toClass));
        }
        System.out.println(output.toAbsolutePath());
        return 0;
    }
}
