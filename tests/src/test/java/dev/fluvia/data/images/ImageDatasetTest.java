package dev.fluvia.data.images;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fluvia.FluviaException.DataFormatException;
import dev.fluvia.FluviaException.ShapeException;
import java.util.Arrays;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class ImageDatasetTest {

    /** n images 2×2×3, image i filled with level i % levels, label i % 3. */
    static ImageDataset toy(int n, int levels) {
        float[] px = new float[n * 12];
        int[] lb = new int[n];
        for (int i = 0; i < n; i++) {
            Arrays.fill(px, i * 12, (i + 1) * 12, i % levels);
            lb[i] = i % 3;
        }
        return new ImageDataset("toy", n, 2, 2, 3, levels, px, lb);
    }

    @Test
    void constructorChecksShapesLevelsAndLabels() {
        assertThrows(ShapeException.class, () -> new ImageDataset("x", 2, 1, 2, 2, 256, new float[7], new int[2]));
        assertThrows(ShapeException.class, () -> new ImageDataset("x", 2, 1, 2, 2, 256, new float[8], new int[3]));
        assertThrows(ShapeException.class, () -> new ImageDataset("x", 1, 1, 1, 1, 1, new float[1], new int[1]));
        var e = assertThrows(DataFormatException.class, () -> new ImageDataset("x", 2, 1, 2, 2, 17, new float[] {0, 0, 0, 0, 0, 0, 17, 0}, new int[2]));
        assertTrue(e.getMessage().contains("image 1, value 2 is 17.0"), e.getMessage());
        assertThrows(DataFormatException.class, () -> new ImageDataset("x", 1, 1, 1, 1, 256, new float[] {0.5f}, new int[1]));
        assertThrows(DataFormatException.class, () -> new ImageDataset("x", 1, 1, 1, 1, 256, new float[] {Float.NaN}, new int[1]));
        assertThrows(DataFormatException.class, () -> new ImageDataset("x", 1, 1, 1, 1, 256, new float[1], new int[] {-2}));
    }

    @Test
    void subsetClassIndicesAndDisplay() {
        ImageDataset d = toy(10, 17);
        assertArrayEquals(new int[] {1, 4, 7}, d.classIndices(1));
        assertArrayEquals(new int[0], d.classIndices(5));
        ImageDataset s = d.subset(new int[] {7, 7, 2});
        assertEquals(3, s.n());
        assertArrayEquals(new int[] {1, 1, 2}, s.labels());
        assertEquals(7f, s.image(1)[11]);
        assertEquals(2f, s.pixels()[2 * 12]);
        float[] disp = d.displayValues(new int[] {0, 8});
        assertEquals(0f, disp[0]);
        assertEquals(8f / 16f, disp[12], 1e-7);
        assertEquals(3, d.range(4, 3).n());
        assertEquals(4f, d.range(4, 3).pixels()[0]);
        assertThrows(IndexOutOfBoundsException.class, () -> d.subset(new int[] {10}));
    }

    @Test
    void splitIsDisjointCompleteAndReproducible() {
        ImageDataset d = toy(101, 256);
        ImageDataset.Split s = d.split(0.8, 0.1, 42);
        assertEquals(81, s.train().n());
        assertEquals(10, s.validation().n());
        assertEquals(10, s.test().n());
        int[] all = IntStream.concat(IntStream.concat(Arrays.stream(s.trainRows()), Arrays.stream(s.validationRows())), Arrays.stream(s.testRows()))
                .sorted().toArray();
        assertArrayEquals(IntStream.range(0, 101).toArray(), all);
        for (int k = 0; k < s.validationRows().length; k++) {
            int i = s.validationRows()[k];
            assertEquals(d.label(i), s.validation().label(k));
            assertArrayEquals(d.image(i), s.validation().image(k));
        }
        assertArrayEquals(s.trainRows(), d.split(0.8, 0.1, 42).trainRows());
        assertTrue(!Arrays.equals(s.trainRows(), d.split(0.8, 0.1, 43).trainRows()));
        assertEquals("toy/validation", s.validation().name());
        assertThrows(IllegalArgumentException.class, () -> d.split(0.8, 0.3, 1));
        assertEquals(5, d.sample(5, 3).n());
    }

    @Test
    void concatKeepsOrderAndChecksShapes() {
        ImageDataset a = toy(3, 256), b = toy(2, 256);
        ImageDataset c = ImageDataset.concat("ab", a, b);
        assertEquals(5, c.n());
        assertArrayEquals(new int[] {0, 1, 2, 0, 1}, c.labels());
        assertEquals(1f, c.image(4)[0]);
        assertThrows(ShapeException.class, () -> ImageDataset.concat("x", a, toy(2, 17)));
    }
}
