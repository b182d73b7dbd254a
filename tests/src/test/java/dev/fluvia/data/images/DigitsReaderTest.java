package dev.fluvia.data.images;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fluvia.FluviaException.DataFormatException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DigitsReaderTest {
    @TempDir Path dir;

    static String row(int start, int label, boolean decimals) {
        StringBuilder s = new StringBuilder();
        for (int j = 0; j < 64; j++) s.append((start + j) % 17).append(decimals ? ".0" : "").append(',');
        return s.append(label).append(decimals ? ".0" : "").toString();
    }

    @Test
    void readsGzippedAndPlainCsv() throws IOException {
        String csv = row(0, 7, false) + "\n" + row(5, 0, true) + "\n" + row(16, 9, false) + "\n";
        Path plain = dir.resolve("d.csv"), gz = dir.resolve("d.csv.gz");
        Files.writeString(plain, csv);
        Files.write(gz, IdxReaderTest.gzip(csv.getBytes(StandardCharsets.UTF_8)));
        for (Path f : new Path[] {plain, gz}) {
            ImageDataset d = DigitsReader.read(f);
            assertEquals(3, d.n());
            assertEquals(8, d.h());
            assertEquals(8, d.w());
            assertEquals(17, d.levels());
            assertArrayEquals(new int[] {7, 0, 9}, d.labels());
            for (int i = 0; i < 3; i++) {
                int start = new int[] {0, 5, 16}[i];
                for (int j = 0; j < 64; j++) assertEquals((start + j) % 17, d.pixels()[i * 64 + j]);
            }
        }
    }

    private void assertBad(String csv, String fragment) throws IOException {
        Path f = dir.resolve("bad.csv");
        Files.writeString(f, csv);
        DataFormatException e = assertThrows(DataFormatException.class, () -> DigitsReader.read(f));
        assertTrue(e.getMessage().contains(f + ":" ) && e.getMessage().contains(fragment), e.getMessage());
    }

    @Test
    void badLinesNameFileAndLine() throws IOException {
        String good = row(0, 1, false);
        assertBad(good + "\n" + good.substring(0, good.lastIndexOf(',')), ":2: 64 columns");
        assertBad(good.replaceFirst("^0,", "17,"), ":1: pixel 0 17 is not an integer in 0..16");
        assertBad(good.replaceFirst("^0,", "2.5,"), "pixel 0 2.5");
        assertBad(good.replaceFirst("^0,", "x,"), "pixel 0 'x' is not a number");
        assertBad(good.substring(0, good.lastIndexOf(',')) + ",10", "label 10");
        assertBad("\n", "no data lines");
        byte[] gz = IdxReaderTest.gzip((good + "\n").repeat(50).getBytes(StandardCharsets.UTF_8));
        Path f = dir.resolve("cut.csv.gz");
        Files.write(f, Arrays.copyOf(gz, gz.length / 2));
        DataFormatException e = assertThrows(DataFormatException.class, () -> DigitsReader.read(f));
        assertTrue(e.getMessage().contains("corrupt or truncated gzip"), e.getMessage());
    }
}
