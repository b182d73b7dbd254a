package dev.fluvia.data.images;

import dev.fluvia.FluviaException.DataFormatException;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;

/**
 * Reads scikit-learn's optical-recognition digits, {@code sklearn/datasets/data/digits.csv.gz} (Debian package
 * {@code python3-sklearn}): one image per line, 64 comma-separated pixel counts (an 8×8 image row-major, each an
 * integer 0..16, the number of "on" cells in a 4×4 block of the original 32×32 bitmap) followed by the class 0..9.
 * The installed file has 1797 lines, no header. Values are accepted as integers ("5") or as integral decimals
 * ("5.0"); the result has 17 levels.
 *
 * <p>Gzip is detected by its magic bytes, so a plain CSV also reads. A line with a column count other than 65, a value
 * that is not an integer in range, or a corrupt gzip stream raises a {@link DataFormatException} naming file and line.
 */
public final class DigitsReader {
    /** Image side. */
    public static final int SIDE = 8;
    /** Pixel values are 0..16, so 17 levels. */
    public static final int LEVELS = 17;
    private static final int DIMS = SIDE * SIDE;

    private DigitsReader() {}

    /**
     * Reads the digits file.
     *
     * @param file {@code digits.csv.gz}, or a plain CSV of the same form
     * @return the 1×8×8 images with 17 levels and their classes
     * @throws DataFormatException naming the file and line of the problem, or when it cannot be read
     */
    public static ImageDataset read(Path file) {
        byte[] raw;
        try {
            raw = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new DataFormatException(file + ": cannot read: " + e, e);
        }
        float[] px = new float[2048 * DIMS];
        int[] labels = new int[2048];
        int n = 0, lineNo = 0;
        boolean gz = raw.length >= 2 && (raw[0] & 0xff) == 0x1f && (raw[1] & 0xff) == 0x8b;
        try (InputStream in = gz ? new GZIPInputStream(new ByteArrayInputStream(raw)) : new ByteArrayInputStream(raw);
             BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                lineNo++;
                if (line.isBlank()) continue;
                String[] cols = line.split(",", -1);
                if (cols.length != DIMS + 1)
                    throw bad(file, lineNo, cols.length + " columns, expected " + (DIMS + 1) + " (64 pixels and the label)");
                if (n == labels.length) {
                    labels = Arrays.copyOf(labels, n * 2);
                    px = Arrays.copyOf(px, n * 2 * DIMS);
                }
                for (int j = 0; j < DIMS; j++) px[n * DIMS + j] = integer(cols[j], 0, LEVELS - 1, file, lineNo, "pixel " + j);
                labels[n] = integer(cols[DIMS], 0, 9, file, lineNo, "label");
                n++;
            }
        } catch (IOException e) {
            throw new DataFormatException(file + ": " + (gz ? "corrupt or truncated gzip stream" : "cannot read") + " after line " + lineNo
                    + ": " + e.getMessage(), e);
        }
        if (n == 0) throw new DataFormatException(file + ": no data lines");
        return new ImageDataset("digits", n, 1, SIDE, SIDE, LEVELS, Arrays.copyOf(px, n * DIMS), Arrays.copyOf(labels, n));
    }

    private static int integer(String s, int lo, int hi, Path file, int line, String what) {
        double v;
        try {
            v = Double.parseDouble(s.strip());
        } catch (NumberFormatException e) {
            throw bad(file, line, what + " '" + s + "' is not a number");
        }
        if (!(v >= lo && v <= hi && v == Math.rint(v)))
            throw bad(file, line, what + " " + s.strip() + " is not an integer in " + lo + ".." + hi);
        return (int) v;
    }

    private static DataFormatException bad(Path file, int line, String problem) {
        return new DataFormatException(file + ":" + line + ": " + problem);
    }
}
