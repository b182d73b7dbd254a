package dev.fluvia.data;

import static org.junit.jupiter.api.Assertions.*;

import dev.fluvia.FluviaException.DataFormatException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Writes .npy files by hand (the format as NumPy documents it) and reads them back. */
class NpyReaderTest {
    @TempDir Path dir;

    /** An .npy file: magic, version, padded header (total preamble a multiple of 64 as NumPy does), data. */
    static byte[] npy(int major, String descr, boolean fortran, String shape, byte[] data) {
        String dict = "{'descr': '" + descr + "', 'fortran_order': " + (fortran ? "True" : "False") + ", 'shape': " + shape + ", }";
        int pre = major == 1 ? 10 : 12;
        int total = (pre + dict.length() + 1 + 63) / 64 * 64;
        String header = dict + " ".repeat(total - pre - dict.length() - 1) + "\n";
        ByteBuffer b = ByteBuffer.allocate(total + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) major, 0});
        if (major == 1) b.putShort((short) header.length()); else b.putInt(header.length());
        b.put(header.getBytes(StandardCharsets.UTF_8)).put(data);
        return b.array();
    }

    static byte[] le(String dtype, double[] v) {
        int size = switch (dtype) { case "<f4", "<i4" -> 4; case "<f8", "<i8" -> 8; default -> 1; };
        ByteBuffer b = ByteBuffer.allocate(v.length * size).order(ByteOrder.LITTLE_ENDIAN);
        for (double x : v)
            switch (dtype) {
                case "<f4" -> b.putFloat((float) x);
                case "<f8" -> b.putDouble(x);
                case "<i4" -> b.putInt((int) x);
                case "<i8" -> b.putLong((long) x);
                default -> b.put((byte) (int) x);
            }
        return b.array();
    }

    private Path write(String name, byte[] bytes) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, bytes);
        return p;
    }

    @Test void roundTripEveryDtypeAndVersion() throws IOException {
        double[] v = {0, 1, 2, 250, 7, 3};
        for (String dt : new String[] {"<f4", "<f8", "<i4", "<i8", "|u1"})
            for (int major = 1; major <= 3; major++) {
                Path p = write("a" + major + dt.substring(1) + ".npy", npy(major, dt, false, "(3, 2)", le(dt, v)));
                Dataset d = NpyReader.read(p);
                assertEquals(3, d.n(), dt);
                assertEquals(2, d.dim(), dt);
                assertArrayEquals(new float[] {0, 1, 2, 250, 7, 3}, d.data(), dt + " v" + major);
            }
        double[] frac = {0.1, -1e-3, 3.25};
        assertArrayEquals(new float[] {0.1f, -1e-3f, 3.25f}, NpyReader.read(write("f8.npy", npy(1, "<f8", false, "(3,)", le("<f8", frac)))).data());
        double[] neg = {-5, -2147483648.0, 9e15};
        assertArrayEquals(new float[] {-5, -2147483648f, 9e15f}, NpyReader.read(write("i8.npy", npy(1, "<i8", false, "(1, 3)", le("<i8", neg)))).data());
    }

    @Test void oneDimensionalIsAColumn() throws IOException {
        Dataset d = NpyReader.read(write("v.npy", npy(1, "<f4", false, "(4,)", le("<f4", new double[] {1, 2, 3, 4}))));
        assertEquals(4, d.n());
        assertEquals(1, d.dim());
    }

    @Test void fortranOrderIsTransposed() throws IOException {
        // logical 2×3 matrix [[1,2,3],[4,5,6]] stored column-major: 1,4,2,5,3,6
        Dataset d = NpyReader.read(write("f.npy", npy(1, "<f4", true, "(2, 3)", le("<f4", new double[] {1, 4, 2, 5, 3, 6}))));
        assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, d.data());
    }

    private String error(String name, byte[] bytes) throws IOException {
        Path p = write(name, bytes);
        String m = assertThrows(DataFormatException.class, () -> NpyReader.read(p)).getMessage();
        assertTrue(m.startsWith(p.toString()), m);
        return m;
    }

    @Test void badFilesAreNamed() throws IOException {
        byte[] good = npy(1, "<f4", false, "(2, 2)", le("<f4", new double[] {1, 2, 3, 4}));
        byte[] magic = good.clone();
        magic[1] = 'X';
        assertTrue(error("magic.npy", magic).contains("bad magic"));
        assertTrue(error("short.npy", new byte[] {1, 2}).contains("truncated"));
        assertTrue(error("trunc.npy", Arrays.copyOf(good, good.length - 3)).contains("truncated data"));
        byte[] extra = Arrays.copyOf(good, good.length + 4);
        assertTrue(error("extra.npy", extra).contains("trailing bytes"));
        assertTrue(error("big.npy", npy(1, ">f4", false, "(2, 2)", new byte[16])).contains("unsupported dtype '>f4' (big-endian)"));
        assertTrue(error("f2.npy", npy(1, "<f2", false, "(2, 2)", new byte[8])).contains("unsupported dtype '<f2'"));
        assertTrue(error("r3.npy", npy(1, "<f4", false, "(1, 2, 2)", new byte[16])).contains("unsupported shape"));
        assertTrue(error("r0.npy", npy(1, "<f4", false, "()", new byte[4])).contains("unsupported shape"));
        byte[] v9 = good.clone();
        v9[6] = 9;
        assertTrue(error("v9.npy", v9).contains("unsupported .npy format version 9"));
        assertTrue(error("nan.npy", npy(1, "<f4", false, "(2,)", le("<f4", new double[] {1, Double.NaN}))).contains("element (1, 0) is NaN"));
        assertTrue(error("ovf.npy", npy(1, "<f8", false, "(1,)", le("<f8", new double[] {1e300}))).contains("overflows float"));
        byte[] hdr = good.clone();
        hdr[10] = '['; // the dict's opening brace
        assertTrue(error("hdr.npy", hdr).contains("malformed header"));
    }

    static byte[] npyWithHeader(String header, int dataBytes) {
        byte[] h = header.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(12 + h.length + dataBytes).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 2, 0}).putInt(h.length).put(h);
        return b.array();
    }

    @Test void hostileHeadersAreBoundedAndSizesExact() {
        // 60,000 '(' used to overflow the parser's stack
        var e = assertThrows(dev.fluvia.FluviaException.DataFormatException.class,
                () -> NpyReader.parse(npyWithHeader("(".repeat(60_000), 0), "deep.npy", "deep"));
        assertTrue(e.getMessage().contains("deep.npy"), e.getMessage());
        // a header over the bound
        e = assertThrows(dev.fluvia.FluviaException.DataFormatException.class,
                () -> NpyReader.parse(npyWithHeader(" ".repeat(70_000), 0), "big.npy", "big"));
        assertTrue(e.getMessage().contains("header of 70000 bytes"), e.getMessage());
        // (2^62 + 100) × 4 overflows to 400 elements: 1,600 bytes of data would have been read as a 100 × 4 array
        String h = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + ((1L << 62) + 100) + ", 4), }";
        e = assertThrows(dev.fluvia.FluviaException.DataFormatException.class, () -> NpyReader.parse(npyWithHeader(h, 1600), "ovf.npy", "ovf"));
        assertTrue(e.getMessage().contains("overflows"), e.getMessage());
    }
}
