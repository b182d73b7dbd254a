package dev.fluvia.io;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fluvia.FluviaException.CheckpointException;
import dev.fluvia.FluviaException.NonFiniteException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafeTensorsTest {
    @TempDir Path dir;

    static Map<String, HostArray> sample() {
        Map<String, HostArray> m = new LinkedHashMap<>();
        m.put("a", new HostArray(new int[] {2, 3}, new float[] {1, 2, 3, 4, 5, -6.5f}));
        m.put("b.c", HostArray.vector(new float[] {Float.MIN_VALUE, -0f, 1e30f}));
        m.put("scalar", new HostArray(new int[] {}, new float[] {7}));
        m.put("empty", new HostArray(new int[] {0, 4}, new float[0]));
        return m;
    }

    @Test void roundTripWithAlignedHeader() throws IOException {
        Path p = dir.resolve("t.safetensors");
        SafeTensors.write(p, sample(), Map.of("k", "v", "json", "{\"x\": [1]}"));
        SafeTensors.Contents c = SafeTensors.read(p);
        assertEquals(sample(), c.tensors());
        assertEquals(java.util.List.copyOf(sample().keySet()), java.util.List.copyOf(c.tensors().keySet()));
        assertEquals(Map.of("k", "v", "json", "{\"x\": [1]}"), c.metadata());
        byte[] b = Files.readAllBytes(p);
        long n = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, n % 8, "header padded to 8 bytes");
        // raw little-endian float of a[1,2] at its offset
        ObjectNode h = (ObjectNode) new ObjectMapper().readTree(new String(b, 8, (int) n, StandardCharsets.UTF_8));
        assertEquals("F32", h.get("a").get("dtype").asText());
        long begin = h.get("a").get("data_offsets").get(0).asLong();
        assertEquals(-6.5f, ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getFloat((int) (8 + n + begin + 5 * 4)));
        assertEquals(Map.of("k", "v", "json", "{\"x\": [1]}"), SafeTensors.readIndex(p).metadata());
        assertArrayEquals(new int[] {2, 3}, SafeTensors.readIndex(p).shapes().get("a"));
    }

    /** Re-encodes the file with an edited header (data section kept as is). */
    static void editHeader(Path p, Consumer<ObjectNode> edit) throws IOException {
        byte[] b = Files.readAllBytes(p);
        int n = (int) ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong();
        ObjectNode h = (ObjectNode) new ObjectMapper().readTree(new String(b, 8, n, StandardCharsets.UTF_8));
        edit.accept(h);
        byte[] json = seal(h);
        ByteBuffer out = ByteBuffer.allocate(8 + json.length + b.length - 8 - n).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(json.length).put(json).put(b, 8 + n, b.length - 8 - n);
        Files.write(p, out.array());
    }

    /**
     * The header's bytes with a valid {@code header_crc32} when the header has one (as a crafted file would carry, so
     * that the test reaches the check after the checksum).
     */
    static byte[] seal(ObjectNode h) {
        if (!(h.get("__metadata__") instanceof ObjectNode meta) || !meta.has(SafeTensors.HEADER_CRC_KEY))
            return h.toString().getBytes(StandardCharsets.UTF_8);
        meta.put(SafeTensors.HEADER_CRC_KEY, "00000000");
        String zero = h.toString();
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(zero.getBytes(StandardCharsets.UTF_8));
        String hex = String.format("%08x", crc.getValue());
        meta.put(SafeTensors.HEADER_CRC_KEY, hex);
        return zero.replace("\"" + SafeTensors.HEADER_CRC_KEY + "\":\"00000000\"", "\"" + SafeTensors.HEADER_CRC_KEY + "\":\"" + hex + "\"")
                .getBytes(StandardCharsets.UTF_8);
    }

    private String error(Path p) {
        String m = assertThrows(CheckpointException.class, () -> SafeTensors.read(p)).getMessage();
        assertTrue(m.startsWith(p.toString()), m);
        return m;
    }

    private Path fresh(String name) {
        Path p = dir.resolve(name);
        SafeTensors.write(p, sample(), Map.of());
        return p;
    }

    @Test void corruptFilesAreRejectedWithTheReason() throws IOException {
        Path p = fresh("trunc");
        byte[] b = Files.readAllBytes(p);
        Files.write(p, Arrays.copyOf(b, b.length - 5));
        assertTrue(error(p).contains("truncated"), error(p));
        Files.write(p, Arrays.copyOf(b, 40));
        assertTrue(error(p).contains("truncated: header length"), error(p));
        Files.write(p, Arrays.copyOf(b, 5));
        assertTrue(error(p).contains("too short"), error(p));

        p = fresh("flip");
        b = Files.readAllBytes(p);
        b[8] ^= (byte) 0xff; // the header's opening brace
        Files.write(p, b);
        assertTrue(error(p).contains("header is not valid JSON"), error(p));

        p = fresh("data");
        b = Files.readAllBytes(p);
        b[b.length - 1] ^= 0x01; // a bit in the last data byte
        Files.write(p, b);
        assertTrue(error(p).contains("data checksum mismatch"), error(p));

        p = fresh("len");
        b = Files.readAllBytes(p);
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(0, -1L);
        Files.write(p, b);
        assertTrue(error(p).contains("bad header length"), error(p));

        Path q = fresh("dtype");
        editHeader(q, h -> ((ObjectNode) h.get("a")).put("dtype", "F16"));
        assertTrue(error(q).contains("tensor 'a': dtype 'F16' is not supported"), error(q));

        Path s = fresh("shape");
        editHeader(s, h -> ((ObjectNode) h.get("a")).putArray("shape").add(3).add(3));
        assertTrue(error(s).contains("tensor 'a': shape [3,3] × 4 bytes = 36 bytes but data_offsets [0,24] span 24"), error(s));

        Path o = fresh("overlap");
        editHeader(o, h -> {
            ((ObjectNode) h.get("b.c")).putArray("data_offsets").add(20).add(32);
        });
        assertTrue(error(o).contains("overlaps"), error(o));

        Path r = fresh("range");
        editHeader(r, h -> ((ObjectNode) h.get("scalar")).putArray("data_offsets").add(1000).add(1004));
        assertTrue(error(r).contains("'scalar' data_offsets [1000,1004] end past the data section"), error(r));

        Path g = fresh("gap");
        editHeader(g, h -> h.remove("b.c"));
        assertTrue(error(g).contains("belong to no tensor"), error(g));

        Path u = fresh("unknown");
        editHeader(u, h -> ((ObjectNode) h.get("a")).put("foo", 1));
        assertTrue(error(u).contains("unknown field 'foo'"), error(u));

        Path dup = dir.resolve("dup");
        String json = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}";
        ByteBuffer d = ByteBuffer.allocate(8 + json.length() + 4).order(ByteOrder.LITTLE_ENDIAN);
        d.putLong(json.length()).put(json.getBytes(StandardCharsets.UTF_8)).putFloat(1f);
        Files.write(dup, d.array());
        assertTrue(error(dup).contains("Duplicate field 'a'"), error(dup));
    }

    @Test void failedWriteKeepsOldFileAndLeavesNoTemp() throws IOException {
        Path p = fresh("keep.safetensors");
        byte[] before = Files.readAllBytes(p);
        Map<String, HostArray> bad = new LinkedHashMap<>(sample());
        float[] big = new float[200_000]; // several write chunks before the bad value
        big[150_000] = Float.POSITIVE_INFINITY;
        bad.put("z", HostArray.vector(big));
        String m = assertThrows(NonFiniteException.class, () -> SafeTensors.write(p, bad, Map.of())).getMessage();
        assertTrue(m.contains("tensor 'z' element 150000 is Infinity"), m);
        assertArrayEquals(before, Files.readAllBytes(p));
        try (var s = Files.list(dir)) { assertEquals(1, s.count(), "temporary file removed"); }
        assertEquals(sample(), SafeTensors.read(p).tensors());
    }
}
