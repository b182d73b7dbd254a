package dev.fluvia.plot;

import dev.fluvia.FluviaException.NonFiniteException;
import dev.fluvia.FluviaException.ShapeException;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Writes a batch of images as one PNG grid: model samples at several temperatures, interpolations, attribute grids,
 * or real data for comparison.
 *
 * <p>Layout: image {@code i} goes to row {@code i / cols}, column {@code i % cols}; {@code rows = ceil(n / cols)}. Each
 * cell is the image upscaled by {@code scale} with nearest-neighbour (every pixel becomes a {@code scale×scale} block,
 * so 8×8 digits stay crisp), and cells are separated from each other and from the edge by {@value #GAP}-pixel lines of
 * {@link #SEPARATOR}. Without a title the PNG is exactly {@code cols·w·scale + (cols+1)·GAP} wide and
 * {@code rows·h·scale + (rows+1)·GAP} high, and image {@code i}'s pixel {@code (y, x)} starts at
 * {@code (GAP + col·(w·scale + GAP) + x·scale, GAP + row·(h·scale + GAP) + y·scale)}. With a title, a white band of
 * {@value #TITLE_HEIGHT} pixels with the title is added on top, and the image is widened (grid centred) if the title is
 * wider than the grid. Empty cells of the last row show the separator colour.
 *
 * <p>Values: {@code C = 1} is grayscale, {@code C = 3} RGB (channel 0 red, 1 green, 2 blue); a value {@code v} is
 * clamped to [0, 1] (±infinity too) and written as the 8-bit level {@code round(255·v)}. NaN is an error. The PNG is
 * written atomically (temporary file and rename), so a reader never sees a partial file.
 */
public final class ImageGrid {
    /** Width in pixels of the separator lines between cells and around the grid. */
    public static final int GAP = 2;
    /** Colour of the separator lines (a slate blue, distinct from gray levels). */
    public static final Color SEPARATOR = new Color(0x70, 0x80, 0xA0);
    /** Height in pixels of the title band, when there is a title. */
    public static final int TITLE_HEIGHT = 26;
    /** Largest PNG accepted, in pixels. */
    public static final long MAX_PIXELS = 1L << 26;
    private static final Font TITLE_FONT = new Font(Font.SANS_SERIF, Font.BOLD, 15);

    private ImageGrid() {}

    /**
     * Writes {@code n} images of shape {@code [c, h, w]} from {@code images} (NCHW, values meant to be in [0, 1]) as a
     * grid with {@code cols} columns, each pixel upscaled {@code scale} times.
     *
     * @param title text above the grid, or null for none
     * @throws ShapeException if {@code c} is not 1 or 3, a size is not positive, {@code images} is not
     *         {@code n·c·h·w} long, or the PNG would exceed {@link #MAX_PIXELS}
     * @throws NonFiniteException if a value is NaN (the message names image, channel and pixel)
     * @throws IOException if the file cannot be written
     */
    public static void write(Path png, float[] images, int n, int c, int h, int w, int cols, int scale, String title) throws IOException {
        PngFiles.writeAtomically(render(images, n, c, h, w, cols, scale, title), png);
    }

    /** The grid {@link #write} would write, as an image (TYPE_INT_RGB). */
    public static BufferedImage render(float[] images, int n, int c, int h, int w, int cols, int scale, String title) {
        if (c != 1 && c != 3) throw new ShapeException("ImageGrid: C must be 1 (grayscale) or 3 (RGB), got " + c);
        if (n < 1 || h < 1 || w < 1 || cols < 1 || scale < 1)
            throw new ShapeException("ImageGrid: n, h, w, cols and scale must be ≥ 1, got n=" + n + ", h=" + h + ", w=" + w + ", cols=" + cols + ", scale=" + scale);
        if (images == null || (long) n * c * h * w != images.length)
            throw new ShapeException("ImageGrid: " + (images == null ? "null" : images.length) + " values do not make " + n + " images of "
                    + c + "×" + h + "×" + w);
        int rows = (n + cols - 1) / cols;
        long cw = (long) w * scale, ch = (long) h * scale;
        long gridW = cols * cw + (cols + 1L) * GAP, gridH = rows * ch + (rows + 1L) * GAP;
        if (gridW * (gridH + (title != null ? TITLE_HEIGHT : 0)) > MAX_PIXELS)
            throw new ShapeException("ImageGrid: a " + gridW + "×" + gridH + " grid exceeds " + MAX_PIXELS + " pixels; lower scale or n");

        int width = (int) gridW, top = 0;
        FontMetrics fm = null;
        if (title != null) {
            BufferedImage probe = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
            Graphics2D g = probe.createGraphics();
            fm = g.getFontMetrics(TITLE_FONT);
            g.dispose();
            width = Math.max(width, fm.stringWidth(title) + 16);
            top = TITLE_HEIGHT;
        }
        BufferedImage img = new BufferedImage(width, top + (int) gridH, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            if (title != null) {
                g.setColor(Color.WHITE);
                g.fillRect(0, 0, width, top);
                g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
                g.setFont(TITLE_FONT);
                g.setColor(Color.BLACK);
                g.drawString(title, (width - fm.stringWidth(title)) / 2, (top - fm.getHeight()) / 2 + fm.getAscent());
            }
            g.setColor(SEPARATOR);
            g.fillRect(0, top, width, (int) gridH);
        } finally {
            g.dispose();
        }

        int left = (width - (int) gridW) / 2, plane = h * w;
        int[] line = new int[(int) cw];
        for (int i = 0; i < n; i++) {
            int x0 = left + GAP + (i % cols) * ((int) cw + GAP), y0 = top + GAP + (i / cols) * ((int) ch + GAP);
            int base = i * c * plane;
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int p = base + y * w + x, rgb;
                    if (c == 1) {
                        int v = level(images, p, i, 0, y, x);
                        rgb = (v << 16) | (v << 8) | v;
                    } else {
                        rgb = (level(images, p, i, 0, y, x) << 16) | (level(images, p + plane, i, 1, y, x) << 8)
                                | level(images, p + 2 * plane, i, 2, y, x);
                    }
                    for (int s = 0; s < scale; s++) line[x * scale + s] = rgb;
                }
                for (int s = 0; s < scale; s++) img.setRGB(x0, y0 + y * scale + s, (int) cw, 1, line, 0, (int) cw);
            }
        }
        return img;
    }

    private static int level(float[] a, int at, int image, int channel, int y, int x) {
        float v = a[at];
        if (Float.isNaN(v)) throw new NonFiniteException("ImageGrid: image " + image + ", channel " + channel + ", pixel (" + y + ", " + x + ") is NaN");
        return Math.round(255f * Math.max(0f, Math.min(1f, v)));
    }
}
