package dev.fluvia.data;

import static org.junit.jupiter.api.Assertions.*;

import dev.fluvia.FluviaException.DataFormatException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CsvReaderTest {
    @TempDir Path dir;

    private Path file(String name, String content) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, content);
        return p;
    }

    @Test void readsHeaderAutoDetectedAndTrimmedCells() throws IOException {
        Path p = file("good.csv", "x, y\n1, 2.5\n  -3e2 ,.5\n\n# comment\n4,+5\n");
        CsvReader.Table t = CsvReader.readTable(p, CsvReader.Header.AUTO);
        assertEquals(List.of("x", "y"), t.columns());
        Dataset d = t.data();
        assertEquals(3, d.n());
        assertEquals(2, d.dim());
        assertArrayEquals(new float[] {1, 2.5f, -300, 0.5f, 4, 5}, d.data());
        assertEquals("good", d.name());
    }

    @Test void withoutHeaderFirstRowIsData() throws IOException {
        Path p = file("nohead.csv", "1,2,3\n4,5,6");
        Dataset d = CsvReader.read(p);
        assertEquals(2, d.n());
        assertArrayEquals(new float[] {4, 5, 6}, d.row(1));
        // forced header: the numeric first row is taken as names
        Dataset forced = CsvReader.read(p, CsvReader.Header.PRESENT);
        assertEquals(1, forced.n());
        assertArrayEquals(new float[] {4, 5, 6}, forced.row(0));
    }

    @Test void forcedNoHeaderReportsTextFirstRow() throws IOException {
        Path p = file("h.csv", "a,b\n1,2\n");
        DataFormatException e = assertThrows(DataFormatException.class, () -> CsvReader.read(p, CsvReader.Header.ABSENT));
        assertTrue(e.getMessage().contains(p + ":1:1: not a number: 'a'"), e.getMessage());
    }

    @Test void wrongColumnCountNamesFileAndLine() throws IOException {
        Path p = file("cols.csv", "a,b\n1,2\n3,4,5\n6,7\n8\n");
        DataFormatException e = assertThrows(DataFormatException.class, () -> CsvReader.read(p));
        assertTrue(e.getMessage().contains(p + ":3: expected 2 columns but found 3"), e.getMessage());
        assertTrue(e.getMessage().contains(p + ":5: expected 2 columns but found 1"), e.getMessage());
        assertFalse(e.getMessage().contains(p + ":4:"), e.getMessage());
    }

    @Test void nonFiniteValuesNameFileLineAndColumn() throws IOException {
        Path p = file("nan.csv", "1,2\n3,NaN\ninf,4\n5,-Infinity\n6,1e40\n");
        DataFormatException e = assertThrows(DataFormatException.class, () -> CsvReader.read(p));
        String m = e.getMessage();
        assertTrue(m.contains(p + ":2:2: non-finite value 'NaN'"), m);
        assertTrue(m.contains(p + ":3:1: non-finite value 'inf'"), m);
        assertTrue(m.contains(p + ":4:2: non-finite value '-Infinity'"), m);
        assertTrue(m.contains(p + ":5:2: value '1e40' overflows float"), m);
        assertTrue(m.contains("4 bad"), m);
    }

    @Test void nonNumericAndEmptyCells() throws IOException {
        Path p = file("text.csv", "x,y\n1,2\n3,abc\n4,\n0x10,5\n");
        String m = assertThrows(DataFormatException.class, () -> CsvReader.read(p)).getMessage();
        assertTrue(m.contains(p + ":3:2: not a number: 'abc'"), m);
        assertTrue(m.contains(p + ":4:2: empty cell"), m);
        assertTrue(m.contains(p + ":5:1: not a number: '0x10'"), m);
    }

    @Test void emptyFileAndHeaderOnly() throws IOException {
        Path e1 = file("empty.csv", "");
        String m = assertThrows(DataFormatException.class, () -> CsvReader.read(e1)).getMessage();
        assertTrue(m.startsWith(e1 + ":1: empty file"), m);
        Path e2 = file("head.csv", "a,b\n\n");
        m = assertThrows(DataFormatException.class, () -> CsvReader.read(e2)).getMessage();
        assertTrue(m.contains(e2.toString()) && m.contains("no data rows after the header"), m);
        Path missing = dir.resolve("nope.csv");
        assertTrue(assertThrows(DataFormatException.class, () -> CsvReader.read(missing)).getMessage().contains("nope.csv"));
    }

    @Test void manyBadRowsAreCappedButCounted() throws IOException {
        StringBuilder sb = new StringBuilder("1,2\n");
        for (int i = 0; i < 30; i++) sb.append("x,2\n");
        Path p = file("many.csv", sb.toString());
        String m = assertThrows(DataFormatException.class, () -> CsvReader.read(p)).getMessage();
        assertTrue(m.contains("30 bad"), m);
        assertTrue(m.contains("... and 10 more"), m);
    }

    @Test void writerRoundTripsExactlyWithHeader() {
        float[] v = {1.0f / 3, -2.5e-8f, 12345.678f, Float.MIN_VALUE, -Float.MAX_VALUE, 0f};
        Path p = dir.resolve("out.csv");
        CsvWriter.write(p, v, 3, 2, List.of("u", "v"));
        CsvReader.Table t = CsvReader.readTable(p, CsvReader.Header.AUTO);
        assertEquals(List.of("u", "v"), t.columns());
        assertArrayEquals(v, t.data().data());
        CsvWriter.write(p, new Dataset("d", v, 2, 3));
        assertArrayEquals(v, CsvReader.read(p, CsvReader.Header.ABSENT).data());
    }

    @Test void failedWriteLeavesOldFileIntact() throws IOException {
        Path p = dir.resolve("keep.csv");
        CsvWriter.write(p, new float[] {1, 2}, 1, 2, null);
        String before = Files.readString(p);
        assertThrows(RuntimeException.class, () -> CsvWriter.write(p, new float[] {1, Float.NaN}, 1, 2, null));
        assertEquals(before, Files.readString(p));
        try (var s = Files.list(dir)) { assertEquals(1, s.count(), "no temporary file left behind"); }
    }
}
