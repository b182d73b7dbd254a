package dev.fluvia.images;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fluvia.app.ImageTrainJob;
import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.data.images.ImageDatasets;
import dev.fluvia.flow.ImagePresets;
import dev.fluvia.train.TrainConfig;
import dev.fluvia.train.TrainListener;
import java.nio.file.Path;
import java.util.Locale;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * QUALITY: a small Glow (2 levels × 4 steps, width 32, logit pre-processing) trained for a few epochs on the 8×8
 * digits (1,437 training images, seed 1, 2 CPU threads) reaches ≤ 2.6 bits/dim on the held-out validation and test
 * digits. A uniform density over the 17 levels is log2 17 ≈ 4.09 bits/dim. Skipped when the digits are not installed.
 */
class DigitsQualityTest {
    @TempDir Path dir;

    @Test void smallGlowLearnsTheDigits() {
        if (!ImageDatasets.isInstalled("digits")) {
            System.out.println("DigitsQualityTest: skipped, sklearn digits not installed (scripts/install-data.sh)");
            Assumptions.abort("digits not installed");
        }
        ImagePresets.Options o = ImagePresets.Options.defaults().withLevels(2).withStepsPerLevel(4).withWidth(32);
        TrainConfig cfg = TrainConfig.builder().optimizer("adam").lr(3e-3).warmupSteps(50).schedule("cosine").clipNorm(50)
                .batchSize(64).epochs(8).seed(1).build();
        ImageTrainJob.Spec spec = new ImageTrainJob.Spec("digits", 0, 0, "glow", o, cfg, 0.1, 0.1, dir, 0, false, null);
        ImageTrainJob.Outcome r;
        try (CpuBackend be = new CpuBackend(2)) {
            r = ImageTrainJob.run(spec, be, new TrainListener() {});
        }
        System.out.printf(Locale.ROOT, "DigitsQualityTest: glow L=2 K=4 width 32, 8 epochs: best validation %.4f bits/dim, test %.4f bits/dim, %.1f s%n",
                r.bestValBitsPerDim(), r.testBitsPerDim(), r.result().wallSeconds());
        assertTrue(r.bestValBitsPerDim() <= 2.6, "validation bits/dim " + r.bestValBitsPerDim() + " > 2.6");
        assertTrue(r.testBitsPerDim() <= 2.6, "test bits/dim " + r.testBitsPerDim() + " > 2.6");
    }
}
