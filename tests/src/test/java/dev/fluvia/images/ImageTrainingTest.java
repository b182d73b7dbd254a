package dev.fluvia.images;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fluvia.app.ImageTrainJob;
import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.data.images.Dequantization;
import dev.fluvia.data.images.ImageDataset;
import dev.fluvia.data.images.ImageDatasets;
import dev.fluvia.flow.Flow;
import dev.fluvia.flow.ImagePresets;
import dev.fluvia.train.HostBatch;
import dev.fluvia.train.ParamKeys;
import dev.fluvia.train.TrainConfig;
import dev.fluvia.train.TrainData;
import dev.fluvia.train.TrainResult;
import dev.fluvia.train.Trainer;
import java.util.Map;
import java.util.SplittableRandom;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Per-batch dequantisation (fresh, reproducible noise), a bit-identical resume of an image training run, and the
 * train / validation / test parts (Fashion-MNIST is scored on its official test images).
 */
class ImageTrainingTest {
    static final CpuBackend be = new CpuBackend(1);

    @AfterAll static void close() { be.close(); }

    static float[] levels(int n, int d, int levels, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] k = new float[n * d];
        for (int i = 0; i < k.length; i++) k[i] = r.nextInt(levels);
        return k;
    }

    @Test void everyBatchGetsFreshReproducibleNoiseInsideItsBin() {
        int levels = 17, n = 4, d = 16;
        float[] k = levels(n, d, levels, 1);
        ImageTrainJob.DequantizingUploader u = new ImageTrainJob.DequantizingUploader(be, levels, 0, 42);
        float[] a = u.stage(new HostBatch(k, n, d, 0, 0, false, null)).rows();
        float[] again = u.stage(new HostBatch(k, n, d, 0, 0, false, null)).rows();
        float[] nextBatch = u.stage(new HostBatch(k, n, d, 0, 1, false, null)).rows();
        float[] nextEpoch = u.stage(new HostBatch(k, n, d, 1, 0, false, null)).rows();
        assertArrayEquals(a, again, "same (seed, epoch, batch) → same noise");
        for (int i = 0; i < k.length; i++) {
            for (float[] x : new float[][] {a, nextBatch, nextEpoch}) {
                assertTrue(x[i] >= k[i] / levels && x[i] < (k[i] + 1) / levels, "value " + i + " = " + x[i] + " outside its bin of level " + k[i]);
            }
            assertNotEquals(a[i], nextBatch[i], "new batch index, new noise (value " + i + ")");
            assertNotEquals(a[i], nextEpoch[i], "new epoch, new noise (value " + i + ")");
        }
        // 5-bit reduction of 8-bit data: level k → floor(k/8), 32 levels
        ImageTrainJob.DequantizingUploader five = new ImageTrainJob.DequantizingUploader(be, 256, 5, 3);
        float[] x = five.stage(new HostBatch(new float[] {0, 7, 8, 255}, 1, 4, 0, 0, true, null)).rows();
        int[] expect = {0, 0, 1, 31};
        for (int i = 0; i < 4; i++) assertEquals(expect[i], (int) Math.floor(x[i] * 32), "5-bit level of value " + i);
    }

    @Test void resumedImageTrainingIsBitIdentical() {
        int[] chw = {1, 4, 4};
        int nTrain = 48, nVal = 16, d = 16, levels = 17;
        float[] train = levels(nTrain, d, levels, 5);
        float[] val = new Dequantization(levels, 0, 9).apply(levels(nVal, d, levels, 6));
        TrainConfig cfg = TrainConfig.builder().lr(2e-3).warmupSteps(2).batchSize(16).steps(9).seed(4).build();
        ImagePresets.Options o = ImagePresets.Options.defaults().withLevels(2).withStepsPerLevel(1).withWidth(8).withSeed(8);

        Flow a = ImagePresets.build("glow", be, chw, o);
        Trainer ta = new Trainer(a, new TrainData(train, nTrain, val, nVal, d), cfg);
        ta.uploader(new ImageTrainJob.DequantizingUploader(be, levels, 0, 4));
        TrainResult full = ta.train();

        Flow b = ImagePresets.build("glow", be, chw, o);
        Trainer tb = new Trainer(b, new TrainData(train, nTrain, val, nVal, d), cfg);
        tb.uploader(new ImageTrainJob.DequantizingUploader(be, levels, 0, 4));
        tb.train(4);
        var state = tb.exportState();
        Map<String, float[]> params = ParamKeys.export(b);

        Flow c = ImagePresets.build("glow", be, chw, o);   // a fresh model: its parameters come from the saved ones
        Trainer tc = new Trainer(c, new TrainData(train, nTrain, val, nVal, d), cfg);
        tc.uploader(new ImageTrainJob.DequantizingUploader(be, levels, 0, 4));
        tc.resume(state, params);
        TrainResult resumed = tc.train();
        assertArrayEquals(full.losses(), resumed.losses(), "per-step losses of the resumed run");
        assertArrayEquals(full.valNlls(), resumed.valNlls(), "validation NLLs of the resumed run");
        for (double v : full.losses()) assertTrue(Double.isFinite(v), "finite loss");
    }

    static ImageTrainJob.Spec spec(String data, int maxImages) {
        return new ImageTrainJob.Spec(data, maxImages, 0, "glow", ImagePresets.Options.defaults(),
                TrainConfig.builder().seed(7).build(), 0.1, 0.2, Path.of("unused"), 0, false, null);
    }

    @Test void fashionMnistIsScoredOnItsOfficialTestImages() {
        if (!ImageDatasets.isInstalled("fashion-mnist")) {
            System.out.println("ImageTrainingTest: fashion split check skipped, dataset-fashion-mnist not installed (scripts/install-data.sh)");
            Assumptions.abort("fashion-mnist not installed");
        }
        ImageDataset train = ImageDatasets.load("fashion-mnist", "train"), test = ImageDatasets.load("fashion-mnist", "test");
        ImageDataset.Split full = ImageTrainJob.split(spec("fashion-mnist", 0));
        assertEquals(test.n(), full.test().n(), "all official test images");
        assertEquals(train.n(), full.train().n() + full.validation().n(), "train + validation = the official training part");
        assertEquals(Math.round(train.n() * 0.1), full.validation().n(), "validation share of the training part");
        ImageDataset.Split small = ImageTrainJob.split(spec("fashion-mnist", 1000));
        assertEquals(200, small.test().n(), "--max-images 1000 with test share 0.2");
        assertEquals(800, small.train().n() + small.validation().n());
        int d = test.dims();
        for (int k = 0; k < small.test().n(); k++) {   // every test image is the official test image its row names
            int row = small.testRows()[k];
            assertArrayEquals(Arrays.copyOfRange(test.pixels(), row * d, (row + 1) * d),
                    Arrays.copyOfRange(small.test().pixels(), k * d, (k + 1) * d), "test image " + k);
        }
        assertArrayEquals(small.testRows(), ImageTrainJob.split(spec("fashion-mnist", 1000)).testRows(), "seeded");
    }

    @Test void setsWithoutATestPartAreSplitBySeed() {
        if (!ImageDatasets.isInstalled("digits")) Assumptions.abort("digits not installed");
        ImageDataset.Split s = ImageTrainJob.split(spec("digits", 0));
        int n = ImageDatasets.load("digits").n();
        assertEquals(n, s.train().n() + s.validation().n() + s.test().n());
        assertEquals(Math.round(n * 0.1), s.validation().n());
        assertEquals(n - Math.round(n * 0.7) - Math.round(n * 0.1), s.test().n());
    }
}
