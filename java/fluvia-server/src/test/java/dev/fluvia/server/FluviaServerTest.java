package dev.fluvia.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.flow.Flow;
import dev.fluvia.flow.PresetOptions;
import dev.fluvia.flow.Presets;
import dev.fluvia.io.Checkpoint;
import dev.fluvia.param.Param;
import dev.fluvia.serve.FlowModel;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The scoring server over HTTP on an ephemeral loopback port: every endpoint, every error status, batching, reload, stop. */
@Timeout(120)
class FluviaServerTest {
    static final int D = 3;
    static final ObjectMapper JSON = new ObjectMapper();
    static Path dir, fileA, fileB;
    static FlowModel modelA, modelB;
    static float[] points;  // 200 rows
    static float[] refA, refB;
    static HttpClient http;

    @BeforeAll static void setUp() throws IOException {
        dir = Files.createTempDirectory("fluvia-server-test");
        fileA = makeModel(dir.resolve("a.safetensors"), 7L);
        fileB = makeModel(dir.resolve("b.safetensors"), 8L);
        modelA = FlowModel.load(fileA);
        modelB = FlowModel.load(fileB);
        SplittableRandom r = new SplittableRandom(11);
        points = new float[200 * D];
        for (int i = 0; i < points.length; i++) points[i] = (float) (2 * CpuBackend.gaussian(r));
        refA = modelA.logProb(points, 200);
        refB = modelB.logProb(points, 200);
        http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();
    }

    @AfterAll static void tearDown() throws IOException {
        modelA.close();
        modelB.close();
        http.close();
        try (var s = Files.list(dir)) {
            for (Path p : s.toList()) Files.deleteIfExists(p);
        }
        Files.deleteIfExists(dir);
    }

    /** A small RealNVP moved off its initialisation (so that every layer matters), saved with checksums. */
    static Path makeModel(Path file, long seed) {
        try (CpuBackend be = new CpuBackend(2)) {
            Flow f = Presets.build("realnvp", be, D, new PresetOptions(4, 16, 1, null, null, 0f, null, seed), null, null);
            SplittableRandom r = new SplittableRandom(seed);
            for (Param p : f.params()) {
                if (!p.trainable()) continue;
                float[] v = be.toHost(p.value());
                for (int i = 0; i < v.length; i++) v[i] += (float) ((r.nextDouble() * 2 - 1) * 0.2);
                be.upload(v, p.value());
            }
            Checkpoint.save(file, f, null, null);
        }
        return file;
    }

    static ServerOptions opts(Path model) { return ServerOptions.defaults(model, 0); }

    static float[] row(int r) {
        float[] x = new float[D];
        System.arraycopy(points, r * D, x, 0, D);
        return x;
    }

    static String rowsJson(int from, int n) {
        StringBuilder sb = new StringBuilder("{\"rows\": [");
        for (int r = from; r < from + n; r++) {
            if (r > from) sb.append(',');
            sb.append('[');
            for (int c = 0; c < D; c++) sb.append(c == 0 ? "" : ",").append(points[r * D + c]);
            sb.append(']');
        }
        return sb.append("]}").toString();
    }

    static URI uri(FluviaServer s, String path) { return URI.create("http://127.0.0.1:" + s.port() + path); }

    static HttpResponse<String> post(FluviaServer s, String path, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(uri(s, path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<byte[]> postBinary(FluviaServer s, byte[] body) throws Exception {
        return http.send(HttpRequest.newBuilder(uri(s, "/v1/logprob")).header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    static HttpResponse<String> get(FluviaServer s, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(uri(s, path)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The "logprob" array, each number parsed from its exact text as a float (no detour through double). */
    static float[] logprobs(String json) throws IOException {
        List<Float> out = new ArrayList<>();
        try (JsonParser p = JSON.getFactory().createParser(json)) {
            boolean in = false;
            for (JsonToken t; (t = p.nextToken()) != null; ) {
                if (t == JsonToken.FIELD_NAME && p.currentName().equals("logprob")) in = true;
                else if (in && t.isNumeric()) out.add(Float.parseFloat(p.getText()));
                else if (in && t == JsonToken.END_ARRAY) break;
            }
        }
        float[] a = new float[out.size()];
        for (int i = 0; i < a.length; i++) a[i] = out.get(i);
        return a;
    }

    static byte[] le(float[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(v);
        return b.array();
    }

    static float[] fromLe(byte[] b) {
        float[] v = new float[b.length / 4];
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
        return v;
    }

    static float[] slice(float[] a, int from, int n) { return java.util.Arrays.copyOfRange(a, from, from + n); }

    // ------------------------------------------------------------------ endpoints

    @Test void healthModelAndMetrics() throws Exception {
        try (FluviaServer s = FluviaServer.start(opts(fileA))) {
            var h = get(s, "/health");
            assertEquals(200, h.statusCode());
            JsonNode hn = JSON.readTree(h.body());
            assertEquals("ok", hn.get("status").asText());
            assertEquals(fileA.toString(), hn.get("model").asText());

            JsonNode m = JSON.readTree(get(s, "/model").body());
            assertEquals(D, m.get("dimension").asInt());
            assertEquals(D, m.get("eventShape").get(0).asInt());
            assertEquals("cpu", m.get("backend").asText());
            assertEquals(fileA.toString(), m.get("file").asText());
            assertTrue(m.get("parameters").asLong() > 0, m.toString());

            assertEquals(200, post(s, "/v1/logprob", rowsJson(0, 1)).statusCode());   // through the scorer
            assertEquals(200, post(s, "/v1/logprob", rowsJson(0, 5)).statusCode());   // direct
            var metrics = get(s, "/metrics");
            assertEquals(200, metrics.statusCode());
            assertTrue(metrics.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"));
            String text = metrics.body();
            for (String name : new String[] {"fluvia_scorer_queue_seconds", "fluvia_scorer_score_seconds", "fluvia_scorer_batch_size",
                    "fluvia_scorer_rows_total", "fluvia_http_requests_seconds_count", "uri=\"/v1/logprob\"", "quantile=\"0.99\""})
                assertTrue(text.contains(name), name + " missing from /metrics:\n" + text);
            assertEquals(404, get(s, "/nope").statusCode());
        }
    }

    @Test void jsonAndBinaryLogProbEqualFlowModelBitForBit() throws Exception {
        try (FluviaServer s = FluviaServer.start(opts(fileA))) {
            var many = post(s, "/v1/logprob", rowsJson(0, 200));
            assertEquals(200, many.statusCode(), many.body());
            assertArrayEquals(refA, logprobs(many.body()), 0f);
            for (int r : new int[] {0, 17, 199}) {
                var one = post(s, "/v1/logprob", rowsJson(r, 1));
                assertEquals(200, one.statusCode(), one.body());
                assertArrayEquals(new float[] {refA[r]}, logprobs(one.body()), 0f, "single row " + r);
                var bin = postBinary(s, le(row(r)));
                assertEquals(200, bin.statusCode());
                assertEquals("application/octet-stream", bin.headers().firstValue("Content-Type").orElse(""));
                assertArrayEquals(new float[] {refA[r]}, fromLe(bin.body()), 0f, "binary single row " + r);
            }
            var bin = postBinary(s, le(points));
            assertEquals(200, bin.statusCode());
            assertArrayEquals(refA, fromLe(bin.body()), 0f);
            var empty = post(s, "/v1/logprob", "{\"rows\": []}");
            assertEquals(200, empty.statusCode());
            assertEquals(0, logprobs(empty.body()).length);
        }
    }

    /** A log-density that is not finite (−∞ far in the tails) is JSON null, valid for a strict parser; binary keeps the IEEE value. */
    @Test void nonFiniteLogDensityIsJsonNullAndExactInBinary() throws Exception {
        float[] far = {3e38f, -3e38f, 3e38f};
        float[] both = new float[2 * D];
        System.arraycopy(far, 0, both, 0, D);
        System.arraycopy(points, 0, both, D, D);
        float[] ref = modelA.logProb(both, 2);
        assertFalse(Float.isFinite(ref[0]), "precondition: the far row's log-density overflows, got " + ref[0]);
        try (FluviaServer s = FluviaServer.start(opts(fileA))) {
            var r = post(s, "/v1/logprob", "{\"rows\": [[3e38, -3e38, 3e38], [" + points[0] + "," + points[1] + "," + points[2] + "]]}");
            assertEquals(200, r.statusCode(), r.body());
            JsonNode lp = JSON.readTree(r.body()).get("logprob");   // a default (strict) parser: no NaN/Infinity tokens allowed
            assertTrue(lp.get(0).isNull(), r.body());
            assertEquals(ref[1], lp.get(1).floatValue(), 0f);
            var bin = postBinary(s, le(both));
            assertEquals(200, bin.statusCode());
            assertArrayEquals(ref, fromLe(bin.body()), 0f);
        }
    }

    @Test void sampleMatchesTheModel() throws Exception {
        try (FluviaServer s = FluviaServer.start(opts(fileA).withMaxSample(100))) {
            var r = post(s, "/v1/sample", "{\"n\": 10, \"temperature\": 0.8, \"seed\": 1}");
            assertEquals(200, r.statusCode(), r.body());
            float[] want = modelA.sample(10, 0.8f, 1L);
            JsonNode samples = JSON.readTree(r.body()).get("samples");
            assertEquals(10, samples.size());
            for (int i = 0; i < 10; i++) {
                assertEquals(D, samples.get(i).size());
                for (int c = 0; c < D; c++) assertEquals(want[i * D + c], Float.parseFloat(samples.get(i).get(c).asText()), 0f);
            }
            assertEquals(1L, JSON.readTree(r.body()).get("seed").asLong());
            var tooMany = post(s, "/v1/sample", "{\"n\": 101}");
            assertEquals(400, tooMany.statusCode());
            assertTrue(tooMany.body().contains("--max-sample"), tooMany.body());
            var badT = post(s, "/v1/sample", "{\"n\": 2, \"temperature\": -1}");
            assertEquals(400, badT.statusCode());
            assertTrue(badT.body().contains("temperature"), badT.body());
            var noSeed = post(s, "/v1/sample", "{\"n\": 3}");
            assertEquals(200, noSeed.statusCode());
            assertTrue(JSON.readTree(noSeed.body()).has("seed"));
        }
    }

    // ------------------------------------------------------------------ errors

    @Test void badInputIs400WithTheModelsTypedMessage() throws Exception {
        try (FluviaServer s = FluviaServer.start(opts(fileA))) {
            var wide = post(s, "/v1/logprob", "{\"rows\": [[1, 2]]}");
            assertEquals(400, wide.statusCode());
            JsonNode e = JSON.readTree(wide.body());
            assertEquals("ShapeException", e.get("type").asText());
            assertEquals("row 0 has 2 values, the model takes 3", e.get("error").asText());

            var wideMany = post(s, "/v1/logprob", "{\"rows\": [[1, 2, 3], [1, 2]]}");
            assertEquals(400, wideMany.statusCode());
            assertEquals("row 1 has 2 values, the model takes 3", JSON.readTree(wideMany.body()).get("error").asText());

            var nan = post(s, "/v1/logprob", "{\"rows\": [[1, 2, 3], [1, NaN, 3]]}");
            assertEquals(400, nan.statusCode());
            e = JSON.readTree(nan.body());
            assertEquals("NonFiniteException", e.get("type").asText());
            assertTrue(e.get("error").asText().startsWith("row 1, column 1 is NaN"), nan.body());

            var nanOne = post(s, "/v1/logprob", "{\"rows\": [[1, 2, NaN]]}");
            assertEquals(400, nanOne.statusCode());
            assertTrue(JSON.readTree(nanOne.body()).get("error").asText().startsWith("row 0, column 2 is NaN"), nanOne.body());

            var malformed = post(s, "/v1/logprob", "{\"rows\": [[1, 2,");
            assertEquals(400, malformed.statusCode());
            assertEquals("MalformedJson", JSON.readTree(malformed.body()).get("type").asText());
            assertEquals(400, post(s, "/v1/logprob", "{\"rows\": [[1, \"x\", 3]]}").statusCode());
            assertEquals(400, post(s, "/v1/logprob", "[1, 2, 3]").statusCode());

            var binOdd = postBinary(s, new byte[7]);
            assertEquals(400, binOdd.statusCode());
            var binWidth = postBinary(s, le(new float[] {1, 2, 3, 4}));
            assertEquals(400, binWidth.statusCode());
            assertTrue(new String(binWidth.body()).contains("not whole rows of 3"), new String(binWidth.body()));
            var binNan = postBinary(s, le(new float[] {1, 2, 3, 1, Float.POSITIVE_INFINITY, 3}));
            assertEquals(400, binNan.statusCode());
            assertTrue(new String(binNan.body()).contains("row 1, column 1 is Infinity"), new String(binNan.body()));
            // the server still serves after every one of them
            assertArrayEquals(slice(refA, 0, 2), logprobs(post(s, "/v1/logprob", rowsJson(0, 2)).body()), 0f);
        }
    }

    @Test void tooLargeBodyIs413() throws Exception {
        try (FluviaServer s = FluviaServer.start(opts(fileA).withMaxBodyBytes(1024))) {
            var big = post(s, "/v1/logprob", rowsJson(0, 200));   // several KB
            assertEquals(413, big.statusCode());
            JsonNode e = JSON.readTree(big.body());
            assertEquals("PayloadTooLarge", e.get("type").asText());
            assertTrue(e.get("error").asText().contains("--max-body-bytes"));
            var bin = postBinary(s, new byte[4096]);
            assertEquals(413, bin.statusCode());
            // under the limit: served
            assertEquals(200, post(s, "/v1/logprob", rowsJson(0, 3)).statusCode());
        }
    }

    @Test void fullQueueIs429WithRetryAfter() throws Exception {
        ServerOptions o = opts(fileA).withQueue(1).withMaxBatch(1).withMaxDelayMicros(0);
        try (FluviaServer s = FluviaServer.start(o); ExecutorService pool = Executors.newFixedThreadPool(26)) {
            AtomicInteger ok = new AtomicInteger(), full = new AtomicInteger(), other = new AtomicInteger();
            AtomicBoolean retryAfter = new AtomicBoolean(true);
            // large multi-row requests keep the backend's workers busy, so the one-row queue fills behind a slow batch
            float[] big = new float[100_000 * D];
            SplittableRandom rnd = new SplittableRandom(5);
            for (int i = 0; i < big.length; i++) big[i] = (float) CpuBackend.gaussian(rnd);
            byte[] bigBody = le(big);
            for (int round = 0; round < 30 && full.get() == 0; round++) {
                List<Future<?>> fs = new ArrayList<>();
                for (int t = 0; t < 2; t++)
                    fs.add(pool.submit(() -> {
                        for (int i = 0; i < 2; i++) assertEquals(200, postBinary(s, bigBody).statusCode());
                        return null;
                    }));
                for (int t = 0; t < 24; t++) {
                    int r = t;
                    fs.add(pool.submit(() -> {
                        for (int i = 0; i < 10; i++) {
                            var resp = post(s, "/v1/logprob", rowsJson(r, 1));
                            if (resp.statusCode() == 200) {
                                ok.incrementAndGet();
                                assertArrayEquals(new float[] {refA[r]}, logprobs(resp.body()), 0f);
                            } else if (resp.statusCode() == 429) {
                                full.incrementAndGet();
                                if (!resp.headers().firstValue("Retry-After").isPresent()) retryAfter.set(false);
                                if (!resp.body().contains("QueueFull")) retryAfter.set(false);
                            } else other.incrementAndGet();
                        }
                        return null;
                    }));
                }
                for (Future<?> f : fs) f.get();
            }
            assertTrue(full.get() > 0, "no request saw a full queue (" + ok.get() + " served)");
            assertTrue(retryAfter.get(), "a 429 came without Retry-After or a QueueFull body");
            assertEquals(0, other.get());
            assertEquals(full.get(), s.scorerStats().rejected());
        }
    }

    @Test void scoringTimeoutIs504() throws Exception {
        // a row waits up to 400 ms for others to join its batch; the request gives up after 20 ms
        ServerOptions o = opts(fileA).withMaxDelayMicros(400_000).withRequestTimeoutMs(20);
        try (FluviaServer s = FluviaServer.start(o)) {
            var r = post(s, "/v1/logprob", rowsJson(0, 1));
            assertEquals(504, r.statusCode(), r.body());
            assertEquals("Timeout", JSON.readTree(r.body()).get("type").asText());
        }
    }

    // ------------------------------------------------------------------ batching

    @Test void concurrentSingleRowsAreCorrectAndBatched() throws Exception {
        ServerOptions o = opts(fileA).withMaxDelayMicros(2_000).withMaxBatch(64);
        int threads = 16, each = 50;
        try (FluviaServer s = FluviaServer.start(o); ExecutorService pool = Executors.newFixedThreadPool(threads)) {
            List<Future<Integer>> fs = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int seed = t;
                fs.add(pool.submit(() -> {
                    int good = 0;
                    for (int i = 0; i < each; i++) {
                        int r = (seed * 31 + i * 7) % 200;
                        boolean binary = (i & 1) == 1;
                        float got;
                        if (binary) {
                            var resp = postBinary(s, le(row(r)));
                            assertEquals(200, resp.statusCode());
                            got = fromLe(resp.body())[0];
                        } else {
                            var resp = post(s, "/v1/logprob", rowsJson(r, 1));
                            assertEquals(200, resp.statusCode(), resp.body());
                            got = logprobs(resp.body())[0];
                        }
                        assertEquals(Float.floatToRawIntBits(refA[r]), Float.floatToRawIntBits(got), "row " + r);
                        good++;
                    }
                    return good;
                }));
            }
            int good = 0;
            for (Future<Integer> f : fs) good += f.get();
            assertEquals(threads * each, good);
            // BatchingScorer completes a batch's futures before it adds the batch to its counters: wait for the last one
            for (int i = 0; i < 2_000 && s.scorerStats().rows() < threads * each; i++) Thread.sleep(1);
            var st = s.scorerStats();
            assertEquals(threads * each, st.rows());
            assertTrue(st.batches() < st.rows(), "no batching happened: " + st);
        }
    }

    // ------------------------------------------------------------------ reload

    @Test void reloadUnderLoadFailsNoRequest() throws Exception {
        ServerOptions o = opts(fileA).withMaxDelayMicros(500);
        int threads = 6;
        try (FluviaServer s = FluviaServer.start(o); ExecutorService pool = Executors.newFixedThreadPool(threads)) {
            AtomicBoolean done = new AtomicBoolean();
            AtomicInteger served = new AtomicInteger();
            List<Future<?>> fs = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int seed = t;
                fs.add(pool.submit(() -> {
                    for (int i = 0; i < 5_000 && !done.get(); i++) {
                        int r = (seed * 37 + i * 11) % 190;
                        if (i % 3 == 0) {   // multi-row, direct
                            var resp = post(s, "/v1/logprob", rowsJson(r, 10));
                            assertEquals(200, resp.statusCode(), resp.body());
                            float[] got = logprobs(resp.body());
                            float[] a = slice(refA, r, 10), b = slice(refB, r, 10);
                            assertTrue(java.util.Arrays.equals(got, a) || java.util.Arrays.equals(got, b), "rows " + r + " match neither model");
                        } else {            // single row, batched
                            var resp = post(s, "/v1/logprob", rowsJson(r, 1));
                            assertEquals(200, resp.statusCode(), resp.body());
                            float got = logprobs(resp.body())[0];
                            assertTrue(got == refA[r] || got == refB[r], "row " + r + " matches neither model");
                        }
                        served.incrementAndGet();
                    }
                    return null;
                }));
            }
            try {
                for (int k = 0; k < 6; k++) {
                    while (served.get() < 60 * (k + 1)) Thread.sleep(2);   // bounded by the 5000-request loops and @Timeout
                    Path next = k % 2 == 0 ? fileB : fileA;
                    var r = post(s, "/admin/reload", "{\"path\": \"" + next + "\"}");
                    assertEquals(200, r.statusCode(), r.body());
                    assertEquals(k + 2, JSON.readTree(r.body()).get("generation").asLong());
                }
            } finally {
                done.set(true);
            }
            for (Future<?> f : fs) f.get();
            assertEquals(7, s.generation());
            assertTrue(served.get() >= 360);
            // now on B for good: exact
            s.reloadModel(fileB);
            assertArrayEquals(refB, logprobs(post(s, "/v1/logprob", rowsJson(0, 200)).body()), 0f);
            assertEquals(fileB.toString(), JSON.readTree(get(s, "/health").body()).get("model").asText());
            assertTrue(s.scrape().contains("fluvia_server_reloads_total 7.0"), s.scrape());
        }
    }

    @Test void corruptOrMissingFileIsRefusedAndTheOldModelKeepsServing() throws Exception {
        Path corrupt = dir.resolve("corrupt.safetensors"), truncated = dir.resolve("truncated.safetensors");
        Files.write(corrupt, "this is not a model".getBytes());
        byte[] good = Files.readAllBytes(fileB);
        Files.write(truncated, java.util.Arrays.copyOf(good, good.length - 40));
        try (FluviaServer s = FluviaServer.start(opts(fileA))) {
            for (Path bad : new Path[] {corrupt, truncated, dir.resolve("missing.safetensors")}) {
                var r = post(s, "/admin/reload", "{\"path\": \"" + bad + "\"}");
                assertEquals(422, r.statusCode(), r.body());
                JsonNode e = JSON.readTree(r.body());
                assertTrue(e.get("error").asText().startsWith("reload refused, still serving " + fileA), r.body());
                assertFalse(e.get("type").asText().isEmpty());
                assertEquals(1, s.generation());
                assertArrayEquals(slice(refA, 0, 20), logprobs(post(s, "/v1/logprob", rowsJson(0, 20)).body()), 0f);
                assertArrayEquals(new float[] {refA[5]}, logprobs(post(s, "/v1/logprob", rowsJson(5, 1)).body()), 0f);
            }
            assertEquals("CheckpointException", JSON.readTree(post(s, "/admin/reload", "{\"path\": \"" + corrupt + "\"}").body())
                    .get("type").asText());
            // an empty body re-reads the file now served
            var same = post(s, "/admin/reload", "");
            assertEquals(200, same.statusCode(), same.body());
            assertEquals(2, s.generation());
        }
    }

    // ------------------------------------------------------------------ shutdown

    @Test void gracefulStopCompletesAcceptedRequests() throws Exception {
        // rows wait 300 ms for their batch, so all 20 are in flight when stop() begins
        ServerOptions o = opts(fileA).withMaxDelayMicros(300_000).withMaxBatch(1000);
        FluviaServer s = FluviaServer.start(o);
        int n = 20;
        List<CompletableFuture<HttpResponse<String>>> fs = new ArrayList<>();
        for (int r = 0; r < n; r++)
            fs.add(http.sendAsync(HttpRequest.newBuilder(uri(s, "/v1/logprob")).POST(HttpRequest.BodyPublishers.ofString(rowsJson(r, 1))).build(),
                    HttpResponse.BodyHandlers.ofString()));
        for (int i = 0; i < 5_000 && s.inFlight() < n; i++) Thread.sleep(1);
        assertEquals(n, s.inFlight(), "the requests did not all arrive");
        int port = s.port();
        s.stop();
        for (int r = 0; r < n; r++) {
            var resp = fs.get(r).get();
            assertEquals(200, resp.statusCode(), resp.body());
            assertArrayEquals(new float[] {refA[r]}, logprobs(resp.body()), 0f);
        }
        assertEquals(n, s.scorerStats().rows());
        // stopped: nothing listens any more
        assertThrows(IOException.class, () -> http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health"))
                .timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.ofString()));
        s.stop();  // idempotent
    }

    @Test void optionsAreChecked() {
        assertThrows(IllegalArgumentException.class, () -> opts(fileA).withMaxBatch(0));
        assertThrows(IllegalArgumentException.class, () -> opts(fileA).withQueue(0));
        assertThrows(IllegalArgumentException.class, () -> opts(fileA).withMaxBodyBytes(1));
        assertThrows(IllegalArgumentException.class, () -> new ServerOptions(fileA, "127.0.0.1", 70000, 1, 0, 1, 1024, 1, 1));
        var cli = new picocli.CommandLine(new FluviaServer.Cli());
        assertThrows(picocli.CommandLine.MissingParameterException.class, () -> cli.parseArgs("--port", "0"));
    }
}
