package dev.fluvia.data.images;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fluvia.FluviaException.DataFormatException;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MnistJsonReaderTest {
    @TempDir Path dir;

    /** k/255 rounded half-up to 3 decimals, printed the way the npm package prints it (0, 1, 0.2, 0.624). */
    static String packaged(int k) {
        return new BigDecimal(k).divide(new BigDecimal(255), 3, RoundingMode.HALF_UP).stripTrailingZeros().toPlainString();
    }

    static String json(int[] levels) {
        StringBuilder s = new StringBuilder("{ \"data\": [");
        for (int i = 0; i < levels.length; i++) s.append(i == 0 ? "" : ",").append(packaged(levels[i]));
        return s.append("]}").toString();
    }

    @Test
    void everyLevelRoundTripsThroughThreeDecimals() throws IOException {
        int[] levels = new int[2 * 784];
        for (int i = 0; i < levels.length; i++) levels[i] = (i * 37) % 256; // covers all 256 levels
        Path f = dir.resolve("4.json");
        Files.writeString(f, json(levels));
        ImageDataset d = MnistJsonReader.readFile(f, 4);
        assertEquals(2, d.n());
        assertEquals(28, d.h());
        assertEquals(256, d.levels());
        for (int i = 0; i < levels.length; i++) assertEquals(levels[i], d.pixels()[i], "value " + i + " printed as " + packaged(levels[i]));
        assertEquals(4, d.label(1));
    }

    @Test
    void directoryReadsTenClassesInOrder() throws IOException {
        for (int digit = 0; digit < 10; digit++) {
            int[] levels = new int[(digit % 3 + 1) * 784];
            levels[0] = digit * 20;
            Files.writeString(dir.resolve(digit + ".json"), json(levels));
        }
        ImageDataset d = MnistJsonReader.readDirectory(dir);
        int expected = 0;
        for (int digit = 0; digit < 10; digit++) expected += digit % 3 + 1;
        assertEquals(expected, d.n());
        assertEquals(0, d.label(0));
        assertEquals(9, d.label(d.n() - 1));
        int[] nines = d.classIndices(9);
        assertEquals(1, nines.length);
        assertEquals(180f, d.image(nines[0])[0]);
    }

    @Test
    void missingClassFileIsNamed() throws IOException {
        Files.writeString(dir.resolve("0.json"), json(new int[784]));
        DataFormatException e = assertThrows(DataFormatException.class, () -> MnistJsonReader.readDirectory(dir));
        assertTrue(e.getMessage().contains("1.json"), e.getMessage());
    }

    private void assertBad(String content, String fragment) throws IOException {
        Path f = dir.resolve("bad.json");
        Files.writeString(f, content);
        DataFormatException e = assertThrows(DataFormatException.class, () -> MnistJsonReader.readFile(f, 0));
        assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains(fragment), e.getMessage());
    }

    @Test
    void badContentIsNamed() throws IOException {
        assertBad("[0, 1]", "must be an object");
        assertBad("{\"pixels\": [0]}", "unexpected field 'pixels'");
        assertBad("{\"data\": [0, \"x\"]}", "data[1] is VALUE_STRING");
        assertBad("{\"data\": [0, 1.5]}", "data[1] = 1.5 is outside [0, 1]");
        assertBad("{\"data\": [0.0018]}", "not an 8-bit level"); // 0.0018·255 = 0.459
        assertBad("{\"data\": [0, 0, 0]}", "not a whole number of 28×28");
        assertBad("{\"data\": [0, ", "cannot read as JSON");
        assertBad("{}", "no \"data\"");
    }
}
