package dev.fluvia.cli;

import dev.fluvia.FluviaException;
import dev.fluvia.app.ImageFlowOps;
import dev.fluvia.data.images.ImageDataset;
import dev.fluvia.data.images.ImageDatasets;
import dev.fluvia.io.Checkpoint;
import java.nio.file.Path;
import java.util.Arrays;

/** Shared checks of the image commands (encode, decode, interpolate, attribute, sample to PNG). */
final class ImageCli {
    private ImageCli() {}

    /** The model's image info; a clear error for a tabular model. */
    static ImageFlowOps.ImageInfo info(Checkpoint.Loaded ck, Path model) {
        if (!ImageFlowOps.isImageFlow(ck.flow()))
            throw new FluviaException(model + ": not an image model (it models samples of shape " + Arrays.toString(ck.flow().eventShape())
                    + "); PNG output and the image commands need a model trained on images");
        ImageFlowOps.ImageInfo info = ImageFlowOps.ImageInfo.of(ck);
        if (info == null)
            throw new FluviaException(model + ": has no image metadata (levels of the data); was it written by 'fluvia train' on an image data set?");
        return info;
    }

    /** The data set, checked to match the model's image shape and levels. */
    static ImageDataset data(String name, Checkpoint.Loaded ck, ImageFlowOps.ImageInfo info) {
        ImageDataset d = ImageDatasets.load(name, "all");
        int[] chw = {d.c(), d.h(), d.w()};
        if (!Arrays.equals(chw, ck.flow().eventShape()))
            throw new FluviaException.ShapeException("data set '" + name + "' has images " + Arrays.toString(chw) + " but the model takes "
                    + Arrays.toString(ck.flow().eventShape()));
        if (d.levels() != info.sourceLevels())
            throw new FluviaException.ShapeException("data set '" + name + "' has " + d.levels() + " levels but the model was trained on data with "
                    + info.sourceLevels());
        return d;
    }

    static void checkIndex(ImageDataset d, int i, String option) {
        if (i < 0 || i >= d.n()) throw new IllegalArgumentException(option + " " + i + " is outside 0.." + (d.n() - 1) + " of '" + d.name() + "'");
    }
}
