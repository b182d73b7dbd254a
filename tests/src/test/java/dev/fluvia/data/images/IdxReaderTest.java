package dev.fluvia.data.images;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fluvia.FluviaException.DataFormatException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxReaderTest {
    @TempDir Path dir;

    /** An IDX file written here byte by byte: big-endian magic, sizes, then the data. */
    static byte[] idx(int magic, int[] dims, byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(4 + 4 * dims.length + data.length);
        b.putInt(magic);
        for (int d : dims) b.putInt(d);
        b.put(data);
        return b.array();
    }

    static byte[] gzip(byte[] raw) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) { gz.write(raw); }
        return out.toByteArray();
    }

    private Path file(String name, byte[] bytes) throws IOException {
        Path f = dir.resolve(name);
        Files.write(f, bytes);
        return f;
    }

    @Test
    void imagesAndLabelsRoundTripPlainAndGzipped() throws IOException {
        int n = 5, h = 3, w = 4;
        byte[] px = new byte[n * h * w];
        new Random(7).nextBytes(px);
        px[0] = (byte) 255;
        px[1] = 0;
        byte[] lb = {3, 0, 9, (byte) 200, 1};
        for (boolean gz : new boolean[] {false, true}) {
            byte[] im = idx(IdxReader.IMAGES_MAGIC, new int[] {n, h, w}, px), la = idx(IdxReader.LABELS_MAGIC, new int[] {n}, lb);
            Path fi = file("img" + gz, gz ? gzip(im) : im), fl = file("lab" + gz, gz ? gzip(la) : la);
            ImageDataset d = IdxReader.read(fi, fl, "t");
            assertEquals(n, d.n());
            assertEquals(1, d.c());
            assertEquals(h, d.h());
            assertEquals(w, d.w());
            assertEquals(256, d.levels());
            for (int i = 0; i < px.length; i++) assertEquals(px[i] & 0xff, d.pixels()[i], "pixel " + i);
            assertArrayEquals(new int[] {3, 0, 9, 200, 1}, d.labels());
            assertEquals(255f, d.pixels()[0]);
            // image 2, row 1, column 3 sits at ((2·1 + 0)·3 + 1)·4 + 3 in NCHW
            assertEquals(px[2 * 12 + 1 * 4 + 3] & 0xff, d.image(2)[1 * 4 + 3]);
            assertArrayEquals(new int[] {-1, -1, -1, -1, -1}, IdxReader.readImages(fi).labels());
        }
    }

    @Test
    void emptyFileWithZeroImagesReads() throws IOException {
        ImageDataset d = IdxReader.readImages(file("e", idx(IdxReader.IMAGES_MAGIC, new int[] {0, 28, 28}, new byte[0])));
        assertEquals(0, d.n());
    }

    private void assertBad(byte[] bytes, boolean images, String... fragments) throws IOException {
        Path f = file("bad", bytes);
        DataFormatException e = assertThrows(DataFormatException.class, () -> {
            if (images) IdxReader.readImages(f);
            else IdxReader.readLabels(f);
        });
        assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
        for (String s : fragments) assertTrue(e.getMessage().contains(s), "'" + s + "' missing in: " + e.getMessage());
    }

    @Test
    void corruptHeadersAreNamed() throws IOException {
        byte[] good = idx(IdxReader.IMAGES_MAGIC, new int[] {2, 2, 2}, new byte[8]);
        assertBad(new byte[] {0, 0}, true, "truncated", "magic");
        byte[] notIdx = good.clone();
        notIdx[0] = 'P';
        assertBad(notIdx, true, "bad magic 0x50000803", "two zero bytes");
        byte[] wrongType = good.clone();
        wrongType[2] = 0x0D; // float
        assertBad(wrongType, true, "not unsigned byte");
        assertBad(idx(IdxReader.LABELS_MAGIC, new int[] {2}, new byte[2]), true, "bad magic 0x00000801", "0x00000803");
        assertBad(good, false, "bad magic 0x00000803", "0x00000801");
        assertBad(Arrays.copyOf(good, 10), true, "truncated header");
        assertBad(idx(IdxReader.IMAGES_MAGIC, new int[] {2, -1, 2}, new byte[0]), true, "dimension 1 has size -1");
        assertBad(idx(IdxReader.IMAGES_MAGIC, new int[] {60000, 28, 0}, new byte[0]), true, "dimension 2 has size 0");
        assertBad(idx(IdxReader.IMAGES_MAGIC, new int[] {Integer.MAX_VALUE, Integer.MAX_VALUE, 2}, new byte[0]), true, "more than 2^31");
    }

    @Test
    void truncatedOrPaddedDataIsNamed() throws IOException {
        byte[] good = idx(IdxReader.IMAGES_MAGIC, new int[] {2, 2, 2}, new byte[8]);
        assertBad(Arrays.copyOf(good, good.length - 1), true, "truncated", "8 data bytes", "2×2×2", "only 7");
        assertBad(Arrays.copyOf(good, good.length + 3), true, "3 trailing bytes");
        byte[] gz = gzip(good);
        assertBad(Arrays.copyOf(gz, gz.length - 6), true, "corrupt or truncated gzip");
        assertBad(gzip(Arrays.copyOf(good, good.length - 2)), true, "only 6");
    }

    @Test
    void labelCountMustMatchImages() throws IOException {
        Path im = file("i", idx(IdxReader.IMAGES_MAGIC, new int[] {3, 1, 1}, new byte[3]));
        Path lb = file("l", idx(IdxReader.LABELS_MAGIC, new int[] {2}, new byte[2]));
        DataFormatException e = assertThrows(DataFormatException.class, () -> IdxReader.read(im, lb, "x"));
        assertTrue(e.getMessage().contains("2 labels") && e.getMessage().contains("3 images"), e.getMessage());
    }

    @Test
    void missingFileIsADataFormatError() {
        Path f = dir.resolve("nope");
        DataFormatException e = assertThrows(DataFormatException.class, () -> IdxReader.readImages(f));
        assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
    }
}
