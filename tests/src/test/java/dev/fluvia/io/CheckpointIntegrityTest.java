package dev.fluvia.io;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fluvia.FluviaException.CheckpointException;
import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.flow.Flow;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 10, checkpoints: header integrity, declared sizes bounded before allocation, invalid parameters, temp files. */
class CheckpointIntegrityTest {
    @TempDir Path dir;
    static final CpuBackend be = new CpuBackend(1);

    @AfterAll static void close() { be.close(); }

    Path saved(String name, Flow f) {
        Path p = dir.resolve(name + ".safetensors");
        Checkpoint.save(p, f, null, null);
        return p;
    }

    String error(Path p) {
        String m = assertThrows(CheckpointException.class, () -> Checkpoint.load(p, be)).getMessage();
        assertTrue(m.startsWith(p.toString()), m);
        return m;
    }

    static void replaceOnce(Path p, String from, String to) throws IOException {
        assertEquals(from.length(), to.length());
        byte[] b = Files.readAllBytes(p);
        String s = new String(b, StandardCharsets.ISO_8859_1);
        int at = s.indexOf(from);
        assertTrue(at > 0, "'" + from + "' not in the file");
        byte[] t = to.getBytes(StandardCharsets.ISO_8859_1);
        System.arraycopy(t, 0, b, at, t.length);
        Files.write(p, b);
    }

    /** Re-encodes the header after an edit, leaving the checksums as they were (what an editor or a bit rot does). */
    static void rawEditHeader(Path p, Consumer<ObjectNode> edit) throws IOException {
        byte[] b = Files.readAllBytes(p);
        int n = (int) ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong();
        ObjectNode h = (ObjectNode) CheckpointTest.JSON.readTree(new String(b, 8, n, StandardCharsets.UTF_8));
        edit.accept(h);
        byte[] json = h.toString().getBytes(StandardCharsets.UTF_8);
        ByteBuffer out = ByteBuffer.allocate(8 + json.length + b.length - 8 - n).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(json.length).put(json).put(b, 8 + n, b.length - 8 - n);
        Files.write(p, out.array());
    }

    /** Edits the model description and re-seals both checksums (what a hostile writer can do; the structure checks must hold). */
    static void editModel(Path p, Consumer<ObjectNode> edit) {
        CheckpointTest.rewrite(p, t -> {}, m -> CheckpointTest.editModel(m, edit));
    }

    @Test void oneByteEditsOfTheHeaderAreCaught() throws IOException {
        Flow f = CheckpointFixtures.vector(be);
        // a clamp 2.0 → 2.2 (the model description is a JSON string inside the metadata, so its quotes are escaped)
        Path p = saved("clamp", f);
        replaceOnce(p, "clamp\\\":2.0", "clamp\\\":2.2");
        assertTrue(error(p).contains("header checksum mismatch"), error(p));
        // mean and std swapped by their offsets: the data CRC still matches
        p = saved("swap", f);
        rawEditHeader(p, hd -> {
            JsonNode mean = hd.get("layers.0.mean").get("data_offsets"), std = hd.get("layers.0.std").get("data_offsets");
            ((ObjectNode) hd.get("layers.0.mean")).set("data_offsets", std);
            ((ObjectNode) hd.get("layers.0.std")).set("data_offsets", mean);
        });
        assertTrue(error(p).contains("header checksum mismatch"), error(p));
        // a kind changed from maf to iaf
        p = saved("kind", CheckpointFixtures.maf(be));
        replaceOnce(p, "\\\"kind\\\":\\\"maf\\\"", "\\\"kind\\\":\\\"iaf\\\"");
        assertTrue(error(p).contains("header checksum mismatch"), error(p));
    }

    @Test void filesWithoutTheHeaderChecksumNeedTheExplicitOption() throws IOException {
        Flow f = CheckpointFixtures.vector(be);
        Path p = saved("old", f);
        SafeTensorsTest.editHeader(p, h -> ((ObjectNode) h.get("__metadata__")).remove(SafeTensors.HEADER_CRC_KEY));
        String m = error(p);
        assertTrue(m.contains("has no header_crc32 checksum") && m.contains("--allow-unverified"), m);
        float[] x = CheckpointFixtures.points(f, 16, 1);
        assertArrayEquals(f.logProb(x, 16), Checkpoint.load(p, be, true).flow().logProb(x, 16));

        Path q = saved("nodata", f);
        SafeTensorsTest.editHeader(q, h -> ((ObjectNode) h.get("__metadata__")).remove(SafeTensors.CRC_KEY));
        assertTrue(error(q).contains("has no data_crc32 checksum"), error(q));
        assertNotNull(Checkpoint.load(q, be, true));
        // a present checksum is verified even with the option
        Path r = saved("edited", f);
        replaceOnce(r, "clamp\\\":2.0", "clamp\\\":2.2");
        assertThrows(CheckpointException.class, () -> Checkpoint.load(r, be, true));
    }

    @Test void declaredSizesAreCheckedBeforeAnythingIsAllocated() {
        // every dimension of the glow preset set to 10^9 consistently (a 5 KB file)
        Path p = saved("huge", CheckpointFixtures.vector(be));
        editModel(p, m -> {
            m.putArray("event_shape").add(1_000_000_000);
            ((ObjectNode) m.get("base").get("config")).putArray("event_shape").add(1_000_000_000);
            for (JsonNode l : m.get("layers")) {
                ObjectNode c = (ObjectNode) l.get("config");
                if (c.has("dim")) c.put("dim", 1_000_000_000);
                if (c.has("shape")) c.putArray("shape").add(1_000_000_000);
            }
        });
        long t0 = System.nanoTime();
        String m = error(p);
        assertTrue(m.contains("1000000000"), m);
        assertTrue(System.nanoTime() - t0 < 2_000_000_000L, "took " + (System.nanoTime() - t0) / 1e9 + " s");

        // a hidden width of 5e7
        Path q = saved("wide", CheckpointFixtures.vector(be));
        editModel(q, md -> {
            ArrayNode dims = (ArrayNode) md.get("layers").get(3).get("config").get("conditioner").get("dims");
            dims.set(1, 50_000_000);
        });
        t0 = System.nanoTime();
        m = error(q);
        assertTrue(m.contains("layer 3 (affine_coupling)") && m.contains("parameter values but the file stores only"), m);
        assertTrue(System.nanoTime() - t0 < 2_000_000_000L, "took " + (System.nanoTime() - t0) / 1e9 + " s");

        // an image model whose width is inflated
        Path r = saved("img", CheckpointFixtures.image(be));
        editModel(r, md -> ((ObjectNode) md.get("layers").get(4).get("config").get("conditioner")).put("width", 40_000));
        m = error(r);
        assertTrue(m.contains("layer 4 (image_affine_coupling)") && m.contains("parameter values"), m);
    }

    @Test void tensorsOfTwoGibibytesGetATypedError() throws IOException {
        Path p = dir.resolve("big.safetensors");
        String json = "{\"__metadata__\":{\"format\":\"fluvia-flow\"},\"big\":{\"dtype\":\"F32\",\"shape\":[536870912],\"data_offsets\":[0,2147483648]}}";
        byte[] h = json.getBytes(StandardCharsets.UTF_8);
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            f.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).array());
            f.write(h);
            f.setLength(8L + h.length + (1L << 31)); // sparse
        }
        String m = assertThrows(CheckpointException.class, () -> SafeTensors.read(p)).getMessage();
        assertTrue(m.contains("tensor 'big'") && m.contains("2 GiB"), m);
        Files.delete(p);
    }

    @Test void parametersThatCannotBeValidAreRejectedByName() {
        Flow f = CheckpointFixtures.vector(be);
        for (float bad : new float[] {0f, -1f, 1.4e-45f}) {
            Path p = saved("std" + bad, f);
            CheckpointTest.rewrite(p, t -> t.put("layers.0.std", HostArray.vector(new float[] {1f, bad, 1f})), m -> {});
            assertTrue(error(p).contains("tensor 'layers.0.std' of layer 0 (standardize): element 1 is " + bad), error(p));
        }
        for (float bad : new float[] {0f, 1e30f, 0.5f}) {
            Path p = saved("sign" + bad, f);
            CheckpointTest.rewrite(p, t -> t.put("layers.2.sign", HostArray.vector(new float[] {1f, -1f, bad})), m -> {});
            assertTrue(error(p).contains("tensor 'layers.2.sign' of layer 2 (lu_linear): element 2 is " + bad) && error(p).contains("+1 or -1"), error(p));
        }
        Path p = saved("logs", f);
        CheckpointTest.rewrite(p, t -> t.put("layers.1.logs", HostArray.vector(new float[] {1f, 1e30f, 1f})), m -> {});
        assertTrue(error(p).contains("tensor 'layers.1.logs'"), error(p));

        Path c = saved("clamp", f);
        editModel(c, m -> ((ObjectNode) m.get("layers").get(3).get("config")).put("clamp", 1e308));
        assertTrue(error(c).contains("layer 3 (affine_coupling): config field 'clamp'"), error(c));
        Path t = saved("bool", f);
        editModel(t, m -> ((ObjectNode) m.get("layers").get(3).get("config")).put("clamp", true));
        assertTrue(error(t).contains("config field 'clamp' must be a number, got true"), error(t));
        Path n = saved("neg", f);
        editModel(n, m -> ((ObjectNode) m.get("layers").get(3).get("config")).put("clamp", -2.0));
        assertTrue(error(n).contains("config field 'clamp' must be > 0"), error(n));
        Path d = saved("frac", f);
        editModel(d, m -> ((ObjectNode) m.get("layers").get(0).get("config")).put("dim", 3.7));
        assertTrue(error(d).contains("config field 'dim' must be an integer, got 3.7"), error(d));
    }

    @Test void staleTemporaryFilesOfOurNamingAreRemovedOnTheNextWrite() throws IOException {
        Path stale = dir.resolve(".model.safetensors.1234567890123.tmp");
        Path otherStale = dir.resolve(".checkpoint.safetensors.98765432101234.tmp");
        Path fresh = dir.resolve(".model.safetensors.5555555555555.tmp");
        Path notOurs = dir.resolve(".notes.tmp");
        for (Path q : new Path[] {stale, otherStale, fresh, notOurs}) Files.write(q, new byte[100]);
        FileTime old = FileTime.fromMillis(System.currentTimeMillis() - 3_600_000);
        Files.setLastModifiedTime(stale, old);
        Files.setLastModifiedTime(otherStale, old);
        Files.setLastModifiedTime(notOurs, old);
        saved("model", CheckpointFixtures.maf(be));
        assertFalse(Files.exists(stale));
        assertFalse(Files.exists(otherStale));
        assertTrue(Files.exists(fresh), "a temp file younger than a minute may belong to a write in progress");
        assertTrue(Files.exists(notOurs));
    }

    @Test void writtenFilesHonourTheUmask() throws IOException {
        Path ref = Files.createFile(dir.resolve("reference"));
        Path p = saved("perm", CheckpointFixtures.maf(be));
        assertEquals(PosixFilePermissions.toString(Files.getPosixFilePermissions(ref)), PosixFilePermissions.toString(Files.getPosixFilePermissions(p)));
    }

    @Test void writeErrorsNameTheUsersPathAndTheReason() throws IOException {
        Path notADir = Files.write(dir.resolve("plain-file"), new byte[1]);
        Path target = notADir.resolve("model.safetensors");
        String m = assertThrows(CheckpointException.class, () -> Checkpoint.save(target, CheckpointFixtures.maf(be), null, null)).getMessage();
        assertTrue(m.startsWith(target.toString()) && m.toLowerCase(java.util.Locale.ROOT).contains("not a directory") && !m.contains(".tmp"), m);
    }

    @Test void theLoadedModelStillMatchesBitForBit() {
        for (Flow f : new Flow[] {CheckpointFixtures.vector(be), CheckpointFixtures.maf(be), CheckpointFixtures.image(be)}) {
            Path p = saved("rt" + f.eventSize(), f);
            float[] x = CheckpointFixtures.points(f, 8, 2);
            assertEquals(Arrays.toString(f.logProb(x, 8)), Arrays.toString(Checkpoint.load(p, be).flow().logProb(x, 8)));
        }
    }
}
