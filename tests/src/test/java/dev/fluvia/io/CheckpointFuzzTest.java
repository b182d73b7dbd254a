package dev.fluvia.io;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fluvia.FluviaException;
import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.flow.Flow;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Seeded checkpoint fuzzer (issue 10). For each checkpoint kind (vector glow preset, MAF, image with a split) it loads
 * mutants of a saved file: truncations, byte flips, header JSON edits (tensor sizes, dtypes, offsets, nesting; model
 * kinds, sizes, numbers, types; metadata) re-encoded as they are, and the same header edits with the header checksum
 * re-sealed, as a hostile writer would. Every load must end in a typed {@link FluviaException} or succeed; a mutant
 * that is not re-sealed and loads must give log p bit-identical to the original; nothing may end in
 * {@link OutOfMemoryError}, another exception, or take over 5 s.
 *
 * <p>The count per kind is {@code -Dfluvia.fuzz.mutants} (default 2,000); the long run of docs/RELIABILITY.md is
 * {@code scripts/test -Dtest=CheckpointFuzzTest -Dsurefire.failIfNoSpecifiedTests=false -Dfluvia.fuzz.mutants=20000}.
 */
class CheckpointFuzzTest {
    static final CpuBackend be = new CpuBackend(1);
    static final ExecutorService pool = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "fuzz-load");
        t.setDaemon(true);
        return t;
    });
    @TempDir Path dir;

    @AfterAll static void close() {
        pool.shutdownNow();
        be.close();
    }

    static final int MUTANTS = Integer.getInteger("fluvia.fuzz.mutants", 2000);
    static final long SEED = Long.getLong("fluvia.fuzz.seed", 20261201L);

    @Test void vectorCheckpoint() throws Exception { fuzz("vector", CheckpointFixtures.vector(be), 1); }

    @Test void mafCheckpoint() throws Exception { fuzz("maf", CheckpointFixtures.maf(be), 2); }

    @Test void imageCheckpointWithSplit() throws Exception { fuzz("image", CheckpointFixtures.image(be), 3); }

    void fuzz(String kind, Flow f, long salt) throws Exception {
        Path orig = dir.resolve(kind + ".safetensors");
        Checkpoint.save(orig, f, JsonNodeFactory.instance.objectNode().put("step", 3), Map.of("optim.m", new float[] {1, 2}));
        byte[] bytes = Files.readAllBytes(orig);
        float[] x = CheckpointFixtures.points(f, 4, 9);
        String want = bits(f.logProb(x, 4));
        assertEquals(want, bits(Checkpoint.load(orig, be).flow().logProb(x, 4)));
        int n = (int) ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
        ObjectNode header = (ObjectNode) CheckpointTest.JSON.readTree(new String(bytes, 8, n, StandardCharsets.UTF_8));

        SplittableRandom rng = new SplittableRandom(SEED * 31 + salt);
        Map<String, Integer> outcomes = new TreeMap<>();
        Path m = dir.resolve(kind + ".mutant.safetensors");
        long slowest = 0;
        for (int i = 0; i < MUTANTS; i++) {
            int type = rng.nextInt(4);
            boolean sealed = false;
            byte[] mut;
            switch (type) {
                case 0 -> mut = Arrays.copyOf(bytes, rng.nextInt(bytes.length));
                case 1 -> {
                    mut = bytes.clone();
                    int flips = 1 + rng.nextInt(4);
                    for (int k = 0; k < flips; k++) {
                        // half the flips land in the header, where the structure is
                        int at = rng.nextBoolean() ? rng.nextInt(Math.min(mut.length, 8 + n)) : rng.nextInt(mut.length);
                        mut[at] ^= (byte) (1 << rng.nextInt(8));
                    }
                }
                default -> {
                    ObjectNode h = header.deepCopy();
                    editHeader(h, rng);
                    sealed = type == 3;
                    mut = encode(h, bytes, n, sealed);
                }
            }
            Files.write(m, mut);
            long t0 = System.nanoTime();
            String outcome = loadOnce(m, x, want, sealed, kind + " mutant " + i + " (type " + type + ")");
            long ms = (System.nanoTime() - t0) / 1_000_000;
            slowest = Math.max(slowest, ms);
            outcomes.merge(outcome, 1, Integer::sum);
        }
        System.out.printf("CheckpointFuzzTest %s: %d mutants (seed %d), slowest load %d ms, outcomes %s%n", kind, MUTANTS, SEED, slowest, outcomes);
    }

    /** "rejected: <exception class>", "identical", or "loaded (re-sealed)"; fails the test on anything else. */
    String loadOnce(Path m, float[] x, String want, boolean sealed, String what) throws Exception {
        Future<String> fut = pool.submit(() -> {
            try {
                Flow g = Checkpoint.load(m, be).flow();
                if (!sealed) {
                    String got = bits(g.logProb(x, 4));
                    return got.equals(want) ? "identical" : "DIFFERENT log p " + got;
                }
                try {
                    g.logProb(x, 4);
                } catch (FluviaException e) {
                    return "loaded (re-sealed), logProb refused";
                }
                return "loaded (re-sealed)";
            } catch (FluviaException e) {
                return "rejected: " + e.getClass().getSimpleName();
            } catch (Throwable t) {
                return "UNTYPED " + t;
            }
        });
        String r;
        try {
            r = fut.get(5, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            fut.cancel(true);
            throw new AssertionError(what + ": load took over 5 s");
        }
        if (r.startsWith("DIFFERENT") || r.startsWith("UNTYPED")) {
            byte[] b = Files.readAllBytes(m);
            throw new AssertionError(what + ": " + r + "; header: " + new String(b, 8, Math.max(0, Math.min(b.length - 8, 4000)), StandardCharsets.UTF_8));
        }
        return r;
    }

    static String bits(float[] v) {
        StringBuilder sb = new StringBuilder();
        for (float f : v) sb.append(Integer.toHexString(Float.floatToRawIntBits(f))).append(' ');
        return sb.toString();
    }

    /** Re-encodes the header; with {@code seal} the header checksum is recomputed (the data section is kept). */
    static byte[] encode(ObjectNode h, byte[] orig, int n, boolean seal) {
        byte[] json = seal ? SafeTensorsTest.seal(h) : h.toString().getBytes(StandardCharsets.UTF_8);
        ByteBuffer out = ByteBuffer.allocate(8 + json.length + orig.length - 8 - n).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(json.length).put(json).put(orig, 8 + n, orig.length - 8 - n);
        return out.array();
    }

    static final JsonNodeFactory F = JsonNodeFactory.instance;

    /** Nasty replacement values: sizes, huge and negative numbers, wrong types, nesting. */
    static JsonNode nasty(SplittableRandom r, JsonNode old) {
        return switch (r.nextInt(16)) {
            case 0 -> F.numberNode(0);
            case 1 -> F.numberNode(-1);
            case 2 -> F.numberNode(1_000_000_000);
            case 3 -> F.numberNode(50_000_000);
            case 4 -> F.numberNode(1L << 31);
            case 5 -> F.numberNode(1e308);
            case 6 -> F.numberNode(2.5);
            case 7 -> F.booleanNode(true);
            case 8 -> F.textNode("maf");
            case 9 -> F.nullNode();
            case 10 -> F.arrayNode().add(old == null ? F.nullNode() : old.deepCopy());
            case 11 -> F.objectNode().set("x", old == null ? F.nullNode() : old.deepCopy());
            case 12 -> old != null && old.isNumber() ? F.numberNode(old.asLong() + 1) : F.numberNode(1);
            case 13 -> old != null && old.isNumber() ? F.numberNode(old.asLong() * 2) : F.numberNode(2);
            case 14 -> F.textNode(List.of("iaf", "affine_coupling", "actnorm", "split", "squeeze", "lu_conv1x1", "F16", "std_normal", "diag_normal").get(r.nextInt(9)));
            default -> F.numberNode(r.nextInt(100));
        };
    }

    /** One random edit: of a tensor entry, of the model description (a JSON string inside the metadata), or of the metadata. */
    static void editHeader(ObjectNode h, SplittableRandom r) {
        List<String> tensors = new ArrayList<>();
        h.fieldNames().forEachRemaining(k -> { if (!k.equals("__metadata__")) tensors.add(k); });
        ObjectNode meta = (ObjectNode) h.get("__metadata__");
        int what = r.nextInt(10);
        if (what < 4 && !tensors.isEmpty()) {
            String name = tensors.get(r.nextInt(tensors.size()));
            ObjectNode t = (ObjectNode) h.get(name);
            switch (r.nextInt(7)) {
                case 0 -> { // a shape extent
                    ArrayNode s = (ArrayNode) t.get("shape");
                    if (s.isEmpty()) s.add(nasty(r, null)); else s.set(r.nextInt(s.size()), nasty(r, s.get(0)));
                }
                case 1 -> t.put("dtype", List.of("F16", "F64", "I32", "f32", "").get(r.nextInt(5)));
                case 2 -> { // offsets: shifted, swapped with another tensor's, or nasty
                    ArrayNode o = (ArrayNode) t.get("data_offsets");
                    int k = r.nextInt(3);
                    if (k == 0) o.set(r.nextInt(2), F.numberNode(o.get(0).asLong() + r.nextInt(-8, 9)));
                    else if (k == 1) {
                        ObjectNode other = (ObjectNode) h.get(tensors.get(r.nextInt(tensors.size())));
                        JsonNode a = t.get("data_offsets");
                        t.set("data_offsets", other.get("data_offsets"));
                        other.set("data_offsets", a);
                    } else o.set(r.nextInt(2), nasty(r, o.get(0)));
                }
                case 3 -> t.set(List.of("dtype", "shape", "data_offsets").get(r.nextInt(3)), nasty(r, null));
                case 4 -> t.remove(List.of("dtype", "shape", "data_offsets").get(r.nextInt(3)));
                case 5 -> h.set(name, nasty(r, t)); // nesting / wrong type for the whole entry
                default -> { // renamed
                    h.remove(name);
                    h.set(tensors.get(r.nextInt(tensors.size())) + (r.nextBoolean() ? "" : "x"), t);
                }
            }
        } else if (what < 9) {
            try {
                ObjectNode model = (ObjectNode) CheckpointTest.JSON.readTree(meta.get("model").asText());
                List<Function<JsonNode, JsonNode>> setters = new ArrayList<>();
                collect(model, setters);
                setters.get(r.nextInt(setters.size())).apply(nasty(r, null));
                if (r.nextInt(4) == 0) setters.get(r.nextInt(setters.size())).apply(nasty(r, null)); // two edits sometimes
                meta.put("model", model.toString());
            } catch (java.io.IOException e) {
                throw new AssertionError(e);
            }
        } else {
            switch (r.nextInt(4)) {
                case 0 -> meta.put("format_version", "2");
                case 1 -> meta.remove(List.of("format", "model", SafeTensors.CRC_KEY).get(r.nextInt(3)));
                case 2 -> meta.set("model", nasty(r, meta.get("model")));
                default -> h.set("__metadata__", nasty(r, meta));
            }
        }
    }

    /** Setters for every value position in the JSON tree (object fields and array elements). */
    static void collect(JsonNode n, List<Function<JsonNode, JsonNode>> out) {
        if (n instanceof ObjectNode o) {
            List<String> keys = new ArrayList<>();
            o.fieldNames().forEachRemaining(keys::add);
            for (String k : keys) {
                out.add(v -> o.set(k, v));
                collect(o.get(k), out);
            }
        } else if (n instanceof ArrayNode a) {
            for (int i = 0; i < a.size(); i++) {
                int idx = i;
                out.add(v -> a.set(idx, v));
                collect(a.get(i), out);
            }
        }
    }
}
