package dev.fluvia.data.images;

import dev.fluvia.FluviaException.DataFormatException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/**
 * Reads MNIST-style IDX files, plain or gzip-compressed (detected by the gzip magic bytes {@code 1f 8b}, not by the
 * file name).
 *
 * <p>IDX layout (all integers big-endian): two zero bytes, a type byte ({@code 0x08} = unsigned byte, the only type
 * MNIST and Fashion-MNIST use and the only one read here), a byte with the number of dimensions, then one 32-bit size
 * per dimension, then the data, last index fastest. Image files have magic {@code 0x00000803} (dimensions n, rows,
 * columns); label files {@code 0x00000801} (dimension n).
 *
 * <p>Every header field is checked, and the data must be exactly as long as the sizes say: a wrong magic, a zero or
 * negative size, a truncated file (header or data), trailing bytes, a corrupt gzip stream, or a label file whose count
 * differs from the image file's raise a {@link DataFormatException} that names the file and the problem.
 */
public final class IdxReader {
    /** Magic number of an IDX file of unsigned-byte images {@code [n, rows, cols]}. */
    public static final int IMAGES_MAGIC = 0x00000803;
    /** Magic number of an IDX file of unsigned-byte labels {@code [n]}. */
    public static final int LABELS_MAGIC = 0x00000801;

    private IdxReader() {}

    /**
     * The images of an IDX image file: {@code n} samples {@code [1, rows, cols]} with 256 levels, labels all −1.
     *
     * @param file the file, plain or gzipped
     * @return the images, named after the file
     * @throws DataFormatException naming the file and the problem (magic, rank, size, unreadable)
     */
    public static ImageDataset readImages(Path file) {
        Body b = parse(read(file), file, IMAGES_MAGIC, 3);
        int n = b.dims[0], h = b.dims[1], w = b.dims[2];
        float[] px = new float[b.data.length - b.offset];
        for (int i = 0; i < px.length; i++) px[i] = b.data[b.offset + i] & 0xff;
        int[] labels = new int[n];
        java.util.Arrays.fill(labels, -1);
        return new ImageDataset(baseName(file), n, 1, h, w, 256, px, labels);
    }

    /**
     * The labels of an IDX label file, each 0..255.
     *
     * @param file the file, plain or gzipped
     * @return one label per sample
     * @throws DataFormatException naming the file and the problem
     */
    public static int[] readLabels(Path file) {
        Body b = parse(read(file), file, LABELS_MAGIC, 1);
        int[] out = new int[b.dims[0]];
        for (int i = 0; i < out.length; i++) out[i] = b.data[b.offset + i] & 0xff;
        return out;
    }

    /**
     * An image file and its label file read together; the two counts must agree.
     *
     * @param images the IDX image file
     * @param labels the IDX label file
     * @param name   the data set's label
     * @return the labelled images
     * @throws DataFormatException when a file is bad or the counts differ
     */
    public static ImageDataset read(Path images, Path labels, String name) {
        ImageDataset im = readImages(images);
        int[] lb = readLabels(labels);
        if (lb.length != im.n())
            throw new DataFormatException(labels + ": " + lb.length + " labels, but " + images + " holds " + im.n() + " images");
        return new ImageDataset(name, im.n(), im.c(), im.h(), im.w(), im.levels(), im.pixels(), lb);
    }

    private record Body(byte[] data, int offset, int[] dims) {}

    /** Checks the header of an unsigned-byte IDX file with the given magic and rank and that the data fits exactly. */
    private static Body parse(byte[] bytes, Path file, int expectedMagic, int rank) {
        String kind = expectedMagic == IMAGES_MAGIC ? "IDX image file" : "IDX label file";
        if (bytes.length < 4) throw bad(file, "truncated: " + bytes.length + " bytes is shorter than the 4-byte IDX magic");
        int magic = readInt(bytes, 0);
        if (bytes[0] != 0 || bytes[1] != 0)
            throw bad(file, String.format("bad magic 0x%08x: not an IDX file (an IDX file starts with two zero bytes)", magic));
        if ((bytes[2] & 0xff) != 0x08)
            throw bad(file, String.format("bad magic 0x%08x: data type 0x%02x is not unsigned byte (0x08)", magic, bytes[2] & 0xff));
        if (magic != expectedMagic)
            throw bad(file, String.format("bad magic 0x%08x: a %s has magic 0x%08x (%d dimension%s), this one has %d",
                    magic, kind, expectedMagic, rank, rank == 1 ? "" : "s", bytes[3] & 0xff));
        int offset = 4 + 4 * rank;
        if (bytes.length < offset)
            throw bad(file, "truncated header: " + bytes.length + " bytes, but the " + rank + " dimension sizes end at byte " + offset);
        int[] dims = new int[rank];
        long count = 1;
        for (int k = 0; k < rank; k++) {
            dims[k] = readInt(bytes, 4 + 4 * k);
            if (dims[k] <= 0 && !(k == 0 && dims[k] == 0))
                throw bad(file, "dimension " + k + " has size " + dims[k] + " (must be positive)");
            count *= dims[k];
            if (count > Integer.MAX_VALUE)
                throw bad(file, "the header's sizes (" + shape(java.util.Arrays.copyOf(dims, k + 1)) + "…) promise more than 2^31 data bytes; the file has "
                        + (bytes.length - offset));
        }
        long have = bytes.length - offset;
        if (have < count)
            throw bad(file, "truncated: the header promises " + count + " data bytes (" + shape(dims) + ") but only " + have + " follow");
        if (have > count)
            throw bad(file, (have - count) + " trailing bytes after the " + count + " data bytes of " + shape(dims));
        return new Body(bytes, offset, dims);
    }

    /** The file's bytes, gunzipped if it starts with the gzip magic. */
    private static byte[] read(Path file) {
        byte[] raw;
        try {
            raw = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new DataFormatException(file + ": cannot read: " + e, e);
        }
        if (raw.length >= 2 && (raw[0] & 0xff) == 0x1f && (raw[1] & 0xff) == 0x8b) {
            try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(raw), 1 << 16)) {
                return in.readAllBytes();
            } catch (IOException e) {
                throw bad(file, "corrupt or truncated gzip stream: " + e.getMessage());
            }
        }
        return raw;
    }

    private static int readInt(byte[] b, int at) {
        return ((b[at] & 0xff) << 24) | ((b[at + 1] & 0xff) << 16) | ((b[at + 2] & 0xff) << 8) | (b[at + 3] & 0xff);
    }

    private static String shape(int[] dims) {
        StringBuilder s = new StringBuilder();
        for (int d : dims) s.append(s.isEmpty() ? "" : "×").append(d);
        return s.toString();
    }

    static String baseName(Path file) {
        String s = file.getFileName() == null ? file.toString() : file.getFileName().toString();
        if (s.endsWith(".gz")) s = s.substring(0, s.length() - 3);
        return s;
    }

    private static DataFormatException bad(Path file, String problem) {
        return new DataFormatException(file + ": " + problem);
    }
}
