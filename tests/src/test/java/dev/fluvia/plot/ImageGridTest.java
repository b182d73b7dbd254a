package dev.fluvia.plot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fluvia.FluviaException.NonFiniteException;
import dev.fluvia.FluviaException.ShapeException;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageGridTest {
    @TempDir Path dir;
    private static final int SEP = ImageGrid.SEPARATOR.getRGB() & 0xffffff;

    private static int rgb(BufferedImage im, int x, int y) { return im.getRGB(x, y) & 0xffffff; }

    @Test
    void grayscaleGridHasTheDocumentedSizeAndPixels() throws IOException {
        int n = 5, h = 2, w = 3, cols = 3, scale = 4, g = ImageGrid.GAP;
        float[] px = new float[n * h * w];
        for (int i = 0; i < px.length; i++) px[i] = (i % 7) / 6f;
        px[1] = -0.5f; // clamps to 0
        px[2] = 7f; // clamps to 1
        px[3] = Float.POSITIVE_INFINITY;
        Path png = dir.resolve("sub/grid.png");
        ImageGrid.write(png, px, n, 1, h, w, cols, scale, null);
        BufferedImage im = ImageIO.read(png.toFile());
        assertEquals(cols * w * scale + (cols + 1) * g, im.getWidth());
        assertEquals(2 * h * scale + 3 * g, im.getHeight());
        for (int i = 0; i < n; i++)
            for (int y = 0; y < h * scale; y++)
                for (int x = 0; x < w * scale; x++) {
                    float v = Math.max(0, Math.min(1, px[i * h * w + (y / scale) * w + x / scale]));
                    int level = Math.round(255 * v);
                    int px0 = g + (i % cols) * (w * scale + g) + x, py0 = g + (i / cols) * (h * scale + g) + y;
                    assertEquals((level << 16) | (level << 8) | level, rgb(im, px0, py0), "image " + i + " (" + y + ", " + x + ")");
                }
        assertEquals(SEP, rgb(im, 0, 0));
        assertEquals(SEP, rgb(im, g + w * scale, g + 1)); // between columns 0 and 1
        assertEquals(SEP, rgb(im, g + 1, g + h * scale)); // between rows 0 and 1
        assertEquals(SEP, rgb(im, im.getWidth() - g - 1, im.getHeight() - g - 1)); // empty last cell
        assertEquals(0, rgb(im, g + scale, g)); // clamped −0.5 → black
        assertEquals(0xffffff, rgb(im, g + 2 * scale, g)); // clamped 7 → white
        assertEquals(0xffffff, rgb(im, g, g + scale)); // +∞ → white
    }

    @Test
    void rgbChannelsMapToRedGreenBlue() {
        // one 1×2 image: pixel 0 = (1, 0.5, 0), pixel 1 = (0, 0, 1)
        float[] px = {1f, 0f, 0.5f, 0f, 0f, 1f};
        BufferedImage im = ImageGrid.render(px, 1, 3, 1, 2, 1, 1, null);
        int g = ImageGrid.GAP;
        assertEquals(2 + 2 * g, im.getWidth());
        assertEquals(0xff8000, rgb(im, g, g));
        assertEquals(0x0000ff, rgb(im, g + 1, g));
    }

    @Test
    void titleAddsABandAndWidensNarrowGrids() throws IOException {
        BufferedImage im = ImageGrid.render(new float[64], 1, 1, 8, 8, 1, 1, "a long title, wider than the grid");
        assertEquals(ImageGrid.TITLE_HEIGHT + 8 + 2 * ImageGrid.GAP, im.getHeight());
        assertTrue(im.getWidth() > 8 + 2 * ImageGrid.GAP);
        assertEquals(0xffffff, rgb(im, 0, 0));
        int left = (im.getWidth() - (8 + 2 * ImageGrid.GAP)) / 2;
        assertEquals(0, rgb(im, left + ImageGrid.GAP, ImageGrid.TITLE_HEIGHT + ImageGrid.GAP));
        Path png = dir.resolve("t.png");
        ImageGrid.write(png, new float[64], 1, 1, 8, 8, 1, 4, "digits");
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count(), "no temporary file left behind");
        }
    }

    @Test
    void badInputIsRejected() {
        assertThrows(ShapeException.class, () -> ImageGrid.render(new float[8], 2, 2, 2, 1, 1, 1, null));
        assertThrows(ShapeException.class, () -> ImageGrid.render(new float[7], 2, 1, 2, 2, 1, 1, null));
        assertThrows(ShapeException.class, () -> ImageGrid.render(new float[4], 1, 1, 2, 2, 0, 1, null));
        assertThrows(ShapeException.class, () -> ImageGrid.render(new float[4], 1, 1, 2, 2, 1, 100_000, null));
        float[] nan = new float[12];
        nan[7] = Float.NaN;
        var e = assertThrows(NonFiniteException.class, () -> ImageGrid.render(nan, 3, 1, 2, 2, 3, 1, null));
        assertTrue(e.getMessage().contains("image 1") && e.getMessage().contains("(1, 1)"), e.getMessage());
    }
}
