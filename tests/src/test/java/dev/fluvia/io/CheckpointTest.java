package dev.fluvia.io;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fluvia.FluviaException.CheckpointException;
import dev.fluvia.FluviaException.NonFiniteException;
import dev.fluvia.backend.Activation;
import dev.fluvia.backend.CouplingScale;
import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.distributions.BaseDistribution;
import dev.fluvia.distributions.DiagonalGaussian;
import dev.fluvia.distributions.StandardNormal;
import dev.fluvia.flow.Flow;
import dev.fluvia.param.Param;
import dev.fluvia.transforms.AffineCoupling;
import dev.fluvia.transforms.Masks;
import dev.fluvia.transforms.Transform;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointTest {
    @TempDir Path dir;
    static final ObjectMapper JSON = new ObjectMapper();
    final CpuBackend be = new CpuBackend(1);

    /** Three affine couplings (both scale kinds) on D = 3, parameters moved off the identity initialisation. */
    Flow flow(boolean diagonalBase, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        List<Transform> ts = new ArrayList<>();
        for (int l = 0; l < 3; l++) {
            int[][] m = Masks.alternating(3, l);
            ts.add(new AffineCoupling(be, 3, m[0], m[1], new int[] {8, 6}, Activation.TANH,
                    l == 1 ? CouplingScale.SIGMOID : CouplingScale.SOFTCLAMP, 1.7f, rng));
        }
        BaseDistribution base = diagonalBase ? new DiagonalGaussian(be, 3) : new StandardNormal(be, 3);
        Flow f = new Flow(be, base, ts);
        for (Param p : f.params()) {
            float[] v = be.toHost(p.value());
            for (int i = 0; i < v.length; i++) v[i] += (float) (0.4 * (rng.nextDouble() - 0.5));
            be.upload(v, p.value());
        }
        return f;
    }

    static float[] data(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[3 * n];
        for (int i = 0; i < x.length; i++) x[i] = (float) (2 * CpuBackend.gaussian(r));
        return x;
    }

    @Test void saveLoadGivesBitIdenticalLogProbForBothBases() {
        for (boolean diag : new boolean[] {false, true}) {
            Flow f = flow(diag, diag ? 11 : 12);
            Path p = dir.resolve("m" + diag + ".safetensors");
            ObjectNode training = JSON.createObjectNode().put("step", 1234).put("lr", 1e-3);
            Map<String, float[]> extra = new LinkedHashMap<>();
            extra.put("optim.m.0", new float[] {0.5f, -1e-20f});
            extra.put("extra.note", new float[] {});
            Checkpoint.save(p, f, training, extra);

            Checkpoint.Loaded l = Checkpoint.load(p, new CpuBackend(1));
            float[] x = data(64, 5);
            float[] before = f.logProb(x, 64), after = l.flow().logProb(x, 64);
            for (int i = 0; i < before.length; i++)
                assertEquals(Float.floatToRawIntBits(before[i]), Float.floatToRawIntBits(after[i]), "sample " + i);
            assertArrayEquals(f.sampleHost(10, 0.8f, 3), l.flow().sampleHost(10, 0.8f, 3));
            assertEquals(training, l.training());
            assertEquals(2, l.extra().size());
            assertArrayEquals(extra.get("optim.m.0"), l.extra().get("optim.m.0"));
            assertArrayEquals(new float[0], l.extra().get("extra.note"));
            assertEquals(diag ? "diag_normal" : "std_normal", l.model().get("base").get("kind").asText());
            assertEquals(3, l.model().get("layers").size());
            assertEquals(f.parameterCount(), l.flow().parameterCount());

            ModelDescription md = ModelDescription.read(p);
            assertEquals(4, md.layers().size());
            assertEquals(ModelDescription.of(f).values(), md.values());
            String s = ModelDescription.of(l.flow()).summary();
            assertTrue(s.contains("affine_coupling") && s.contains("trainable parameters: " + f.parameterCount()), s);
        }
        Path p = dir.resolve("plain");
        Checkpoint.save(p, flow(false, 1), null, null);
        Checkpoint.Loaded l = Checkpoint.load(p, be);
        assertNull(l.training());
        assertTrue(l.extra().isEmpty());
    }

    /** Rewrites a saved checkpoint through the safetensors layer (so offsets and checksum stay valid). */
    static void rewrite(Path p, Consumer<Map<String, HostArray>> tensors, Consumer<Map<String, String>> meta) {
        SafeTensors.Contents c = SafeTensors.read(p);
        Map<String, HostArray> t = new LinkedHashMap<>(c.tensors());
        Map<String, String> m = new LinkedHashMap<>(c.metadata());
        tensors.accept(t);
        meta.accept(m);
        SafeTensors.write(p, t, m);
    }

    static void editModel(Map<String, String> meta, Consumer<ObjectNode> edit) {
        try {
            ObjectNode model = (ObjectNode) JSON.readTree(meta.get("model"));
            edit.accept(model);
            meta.put("model", model.toString());
        } catch (IOException e) { throw new AssertionError(e); }
    }

    private Path saved(String name) {
        Path p = dir.resolve(name);
        Checkpoint.save(p, flow(true, 3), null, Map.of("optim.v", new float[] {1, 2}));
        return p;
    }

    private String error(Path p) {
        String m = assertThrows(CheckpointException.class, () -> Checkpoint.load(p, be)).getMessage();
        assertTrue(m.startsWith(p.toString()), m);
        return m;
    }

    @Test void damagedCheckpointsNameTheProblem() throws IOException {
        Path p = saved("trunc");
        byte[] b = Files.readAllBytes(p);
        Files.write(p, Arrays.copyOf(b, b.length - 7));
        assertTrue(error(p).contains("truncated"), error(p));

        p = saved("flip");
        b = Files.readAllBytes(p);
        b[8] ^= (byte) 0xff;
        Files.write(p, b);
        assertTrue(error(p).contains("header is not valid JSON"), error(p));

        p = saved("missing");
        rewrite(p, t -> t.remove("layers.1.net.w2"), m -> {});
        assertTrue(error(p).contains("missing tensor 'layers.1.net.w2'") && error(p).contains("layer 1 (affine_coupling)"), error(p));

        p = saved("missingbase");
        rewrite(p, t -> t.remove("base.log_sigma"), m -> {});
        assertTrue(error(p).contains("missing tensor 'base.log_sigma'"), error(p));

        p = saved("shape");
        rewrite(p, t -> t.put("layers.0.net.b0", HostArray.vector(new float[9])), m -> {});
        assertTrue(error(p).contains("tensor 'layers.0.net.b0' has shape [9] but layer 0 (affine_coupling) expects [8]"), error(p));

        p = saved("unexpected");
        rewrite(p, t -> t.put("layers.7.foo", HostArray.vector(new float[1])), m -> {});
        assertTrue(error(p).contains("unexpected tensor 'layers.7.foo'"), error(p));

        p = saved("kind");
        rewrite(p, t -> {}, m -> editModel(m, model -> ((ObjectNode) model.get("layers").get(2)).put("kind", "warp_drive")));
        assertTrue(error(p).contains("layer 2 (warp_drive): unknown layer kind 'warp_drive'"), error(p));

        p = saved("basekind");
        rewrite(p, t -> {}, m -> editModel(m, model -> ((ObjectNode) model.get("base")).put("kind", "cauchy")));
        assertTrue(error(p).contains("base (cauchy): unknown base distribution 'cauchy'"), error(p));

        p = saved("activation");
        rewrite(p, t -> {}, m -> editModel(m, model -> ((ObjectNode) model.get("layers").get(1).get("config").get("conditioner")).put("activation", "swish9")));
        assertTrue(error(p).contains("layer 1 (affine_coupling): unknown activation 'swish9'"), error(p));

        p = saved("config");
        rewrite(p, t -> {}, m -> editModel(m, model -> ((ObjectNode) model.get("layers").get(0).get("config")).remove("conditioner")));
        assertTrue(error(p).contains("layer 0 (affine_coupling): invalid config"), error(p));

        p = saved("format");
        rewrite(p, t -> {}, m -> m.put("format_version", "99"));
        assertTrue(error(p).contains("unsupported format_version '99'"), error(p));

        p = saved("notflow");
        rewrite(p, t -> {}, m -> m.remove("format"));
        assertTrue(error(p).contains("not a Fluvia flow checkpoint"), error(p));

        p = saved("modeljson");
        rewrite(p, t -> {}, m -> m.put("model", "{\"event_shape\": [3], "));
        assertTrue(error(p).contains("metadata 'model' is not valid JSON"), error(p));

        p = saved("event");
        rewrite(p, t -> {}, m -> editModel(m, model -> model.putArray("event_shape").add(4)));
        assertTrue(error(p).contains("but the model says [4]"), error(p));

        p = saved("order");
        rewrite(p, t -> {}, m -> editModel(m, model -> ((ObjectNode) model.get("layers").get(1)).put("index", 5)));
        assertTrue(error(p).contains("layer 1: has index 5"), error(p));
    }

    @Test void nonFiniteParameterInFileIsRejected() throws IOException {
        Path p = saved("nan");
        // poison layers.0.net.b0[1] with NaN and re-seal the checksum, as a crafted file would
        byte[] b = Files.readAllBytes(p);
        var le = java.nio.ByteBuffer.wrap(b).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        int n = (int) le.getLong(0);
        var header = (ObjectNode) JSON.readTree(new String(b, 8, n, java.nio.charset.StandardCharsets.UTF_8));
        long begin = header.get("layers.0.net.b0").get("data_offsets").get(0).asLong();
        le.putFloat((int) (8 + n + begin + 4), Float.NaN);
        Files.write(p, b);
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(b, 8 + n, b.length - 8 - n);
        SafeTensorsTest.editHeader(p, h -> ((ObjectNode) h.get("__metadata__")).put(SafeTensors.CRC_KEY, String.format("%08x", crc.getValue())));
        assertTrue(error(p).contains("tensor 'layers.0.net.b0' element 1 is NaN"), error(p));
    }

    @Test void failedSaveKeepsThePreviousCheckpoint() throws IOException {
        Path p = saved("keep.safetensors");
        byte[] before = Files.readAllBytes(p);
        Flow other = flow(false, 99);
        float[] bad = new float[50];
        bad[49] = Float.NaN;
        assertThrows(NonFiniteException.class, () -> Checkpoint.save(p, other, null, Map.of("optim.m", bad)));
        assertArrayEquals(before, Files.readAllBytes(p));
        try (var s = Files.list(dir)) { assertEquals(1, s.count(), "no temporary file left"); }
        assertNotNull(Checkpoint.load(p, be).flow());

        String m = assertThrows(CheckpointException.class, () -> Checkpoint.save(p, other, null, Map.of("momentum", new float[1]))).getMessage();
        assertTrue(m.contains("'momentum' must start with 'optim.' or 'extra.'"), m);
        assertArrayEquals(before, Files.readAllBytes(p));
    }
}
