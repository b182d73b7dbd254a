package dev.fluvia.server;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.fluvia.FluviaException;
import dev.fluvia.serve.BatchingScorer;
import dev.fluvia.serve.BatchingScorer.QueueFullException;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The Fluvia scoring server: a Helidon 4 SE web server (a virtual thread per request) over one {@link dev.fluvia.serve.FlowModel}
 * and its {@link BatchingScorer}.
 *
 * <ul>
 *   <li>{@code POST /v1/logprob}: JSON {@code {"rows": [[…], …]}} → {@code {"logprob": […]}}, or a binary body
 *       ({@code Content-Type: application/octet-stream}, little-endian float32 rows) → little-endian float32 results. A
 *       single-row request goes through the batching scorer (batched with concurrent requests, bounded queue, timeout);
 *       a multi-row request is already a batch and is scored by one direct {@code FlowModel.logProb} call.</li>
 *   <li>{@code POST /v1/sample}: {@code {"n": 10, "temperature": 0.8, "seed": 1}} → {@code {"samples": [[…], …], "seed": 1}}.</li>
 *   <li>{@code GET /health}, {@code GET /model}, {@code GET /metrics} (Prometheus text), {@code POST /admin/reload}.</li>
 * </ul>
 * Errors are JSON {@code {"error": message, "type": kind}}: 400 bad input (the model's typed message), 413 body too large,
 * 422 reload refused, 429 queue full (with Retry-After), 503 stopping, 504 scoring timeout.
 */
public final class FluviaServer implements AutoCloseable {
    static final String OCTET = "application/octet-stream", JSON = "application/json";
    private static final Set<String> ROUTES = Set.of("/v1/logprob", "/v1/sample", "/health", "/model", "/metrics", "/admin/reload");

    private final ServerOptions opts;
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final ObjectMapper mapper = JsonMapper.builder().enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build();
    private final JsonFactory jsonFactory = mapper.getFactory();
    private final AtomicReference<ServedModel> current = new AtomicReference<>();
    private final AtomicLong generations = new AtomicLong();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final Object lifecycle = new Object();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final Counter reloads, reloadFailures;
    private volatile boolean stopping;
    private final WebServer web;

    private FluviaServer(ServerOptions opts) {
        this.opts = opts;
        registry.config().meterFilter(new MeterFilter() {  // p50/p99 of every Fluvia timer and summary
            @Override public DistributionStatisticConfig configure(Meter.Id id, DistributionStatisticConfig config) {
                if (!id.getName().startsWith("fluvia.")) return config;
                return DistributionStatisticConfig.builder().percentiles(0.5, 0.99).build().merge(config);
            }
        });
        reloads = Counter.builder("fluvia.server.reloads").description("models swapped in by /admin/reload").register(registry);
        reloadFailures = Counter.builder("fluvia.server.reload.failures").description("reloads refused (bad file)").register(registry);
        current.set(ServedModel.load(opts.model(), opts, registry, generations.incrementAndGet()));
        try {
            web = WebServer.builder()
                    .host(opts.host())
                    .port(opts.port())
                    .shutdownHook(false)                                   // FluviaServer.main installs its own (drains first)
                    .shutdownGracePeriod(Duration.ofSeconds(2))
                    .maxPayloadSize(Math.min(Long.MAX_VALUE / 2, opts.maxBodyBytes() * 16 + (1 << 20)))  // backstop for routes that read no body; the handlers answer 413 in JSON long before
                    .routing(this::routes)
                    .build()
                    .start();
        } catch (RuntimeException e) {
            ServedModel m = current.get();
            m.scorer.close();
            m.model.close();
            throw e;
        }
    }

    /** Loads the model and starts serving. */
    public static FluviaServer start(ServerOptions opts) { return new FluviaServer(opts); }

    /** The port bound (the ephemeral one when {@code --port 0}). */
    public int port() { return web.port(); }

    /** The batching scorer's counters for the model now served. */
    public BatchingScorer.Stats scorerStats() { return current.get().scorer.stats(); }

    /** The generation of the model now served: 1 at start, +1 per successful reload. */
    public long generation() { return current.get().generation; }

    /** Requests being handled now (for tests and the drain on stop). */
    int inFlight() { return inFlight.get(); }

    /** The Prometheus exposition text (what GET /metrics serves). */
    public String scrape() { return registry.scrape(); }

    // ------------------------------------------------------------------ routing

    private void routes(HttpRouting.Builder r) {
        r.addFilter(this::track)
                .post("/v1/logprob", api(this::logprob))
                .post("/v1/sample", api(this::sample))
                .get("/health", api(this::health))
                .get("/model", api(this::modelInfo))
                .get("/metrics", (req, res) -> {
                    res.header(HeaderNames.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
                    res.send(registry.scrape().getBytes(StandardCharsets.UTF_8));
                })
                .post("/admin/reload", api(this::reload));
    }

    /** Counts requests in flight (for the drain on stop), refuses new ones while stopping, and times every request. */
    private void track(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        inFlight.incrementAndGet();
        long t0 = System.nanoTime();
        try {
            if (stopping) {
                res.header(HeaderNames.CONNECTION, "close");
                sendError(res, Status.SERVICE_UNAVAILABLE_503, "the server is shutting down", "ShuttingDown");
                return;
            }
            chain.proceed();
        } finally {
            inFlight.decrementAndGet();
            String path = req.path().path();
            Timer.builder("fluvia.http.requests").description("HTTP requests by method, route and status")
                    .tag("method", req.prologue().method().text())
                    .tag("uri", ROUTES.contains(path) ? path : "other")
                    .tag("status", String.valueOf(res.status().code()))
                    .register(registry).record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
        }
    }

    /** A handler's result: status, content type, body and extra headers. */
    record Reply(Status status, String contentType, byte[] body) {
        static Reply json(byte[] body) { return new Reply(Status.OK_200, JSON, body); }
    }

    /** An error with its HTTP status, thrown by the handlers. */
    static final class HttpError extends RuntimeException {
        final Status status;
        final String type;
        HttpError(Status status, String type, String message) {
            super(message, null, false, false);
            this.status = status;
            this.type = type;
        }
    }

    interface Endpoint { Reply handle(ServerRequest req) throws Exception; }

    /** Wraps an endpoint: maps every failure to its status and a JSON error body. */
    private io.helidon.webserver.http.Handler api(Endpoint e) {
        return (req, res) -> {
            Reply reply;
            try {
                reply = e.handle(req);
            } catch (HttpError x) {
                sendError(res, x.status, x.getMessage(), x.type);
                return;
            } catch (QueueFullException x) {
                res.header(HeaderNames.RETRY_AFTER, "1");
                sendError(res, Status.TOO_MANY_REQUESTS_429, x.getMessage(), "QueueFull");
                return;
            } catch (JsonProcessingException x) {
                sendError(res, Status.BAD_REQUEST_400, "malformed JSON: " + x.getOriginalMessage(), "MalformedJson");
                return;
            } catch (FluviaException | IllegalArgumentException | ArithmeticException x) {
                sendError(res, Status.BAD_REQUEST_400, x.getMessage(), x.getClass().getSimpleName());
                return;
            } catch (TimeoutException x) {
                sendError(res, Status.GATEWAY_TIMEOUT_504, "scoring took longer than " + opts.requestTimeoutMs() + " ms", "Timeout");
                return;
            } catch (IllegalStateException x) {   // a model closed under the request (a drain that ran past its limit)
                sendError(res, Status.SERVICE_UNAVAILABLE_503, x.getMessage(), "Unavailable");
                return;
            } catch (Exception x) {
                sendError(res, Status.INTERNAL_SERVER_ERROR_500, String.valueOf(x), "Internal");
                return;
            }
            res.status(reply.status());
            res.header(HeaderNames.CONTENT_TYPE, reply.contentType());
            res.send(reply.body());
        };
    }

    private void sendError(ServerResponse res, Status status, String message, String type) {
        byte[] body;
        try {
            body = mapper.writeValueAsBytes(java.util.Map.of("error", message == null ? "" : message, "type", type));
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
        res.status(status);
        res.header(HeaderNames.CONTENT_TYPE, JSON);
        res.send(body);
    }

    /** Runs {@code work} on the model now served; a model retired by a reload meanwhile is never used. */
    private <T> T withModel(Function<ServedModel, T> work) {
        for (int attempt = 0; attempt < 1000; attempt++) {
            ServedModel m = current.get();
            if (!m.acquire()) {
                Thread.onSpinWait();
                continue;
            }
            try {
                return work.apply(m);
            } finally {
                m.release();
            }
        }
        throw new IllegalStateException("no model could be acquired (reloads in a tight loop?)");
    }

    // ------------------------------------------------------------------ endpoints

    private byte[] body(ServerRequest req) throws IOException {
        long max = opts.maxBodyBytes();
        var declared = req.headers().contentLength();
        if (declared.isPresent() && declared.getAsLong() > max)
            throw tooLarge(declared.getAsLong() + " bytes");
        try (InputStream in = req.content().inputStream()) {
            ByteArrayOutputStream out = new ByteArrayOutputStream((int) Math.min(max, declared.orElse(8192)));
            byte[] buf = new byte[8192];
            long total = 0;
            for (int n; (n = in.read(buf)) > 0; ) {
                total += n;
                if (total > max) throw tooLarge("more than " + max + " bytes");
                out.write(buf, 0, n);
            }
            return out.toByteArray();
        }
    }

    private HttpError tooLarge(String what) {
        return new HttpError(Status.REQUEST_ENTITY_TOO_LARGE_413, "PayloadTooLarge",
                "the request body (" + what + ") is larger than the limit of " + opts.maxBodyBytes() + " bytes (--max-body-bytes)");
    }

    private static boolean isBinary(ServerRequest req) {
        return req.headers().first(HeaderNames.CONTENT_TYPE).map(s -> s.toLowerCase(Locale.ROOT).startsWith(OCTET)).orElse(false);
    }

    private Reply logprob(ServerRequest req) throws Exception {
        byte[] body = body(req);
        if (isBinary(req)) {
            if (body.length % 4 != 0) throw new HttpError(Status.BAD_REQUEST_400, "ShapeException",
                    "the binary body has " + body.length + " bytes, not a whole number of float32 values");
            float[] values = new float[body.length / 4];
            ByteBuffer.wrap(body).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
            float[] lp = withModel(m -> {
                int d = m.model.dimension();
                if (values.length == d) return new float[] {scoreOne(m, values)};
                if (values.length % d != 0) throw new FluviaException.ShapeException(
                        "logProb: " + values.length + " values are not whole rows of " + d);
                return m.model.logProb(values, values.length / d);
            });
            ByteBuffer out = ByteBuffer.allocate(lp.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            out.asFloatBuffer().put(lp);
            return new Reply(Status.OK_200, OCTET, out.array());
        }
        float[][] rows = parseRows(body);
        float[] lp = withModel(m -> rows.length == 1 ? new float[] {scoreOne(m, rows[0])} : m.model.logProb(rows));
        ByteArrayOutputStream out = new ByteArrayOutputStream(16 + lp.length * 12);
        try (JsonGenerator g = jsonFactory.createGenerator(out)) {
            g.writeStartObject();
            g.writeArrayFieldStart("logprob");
            // JSON has no infinities: a log-density that is not finite (−∞ where the density underflows to 0) is null, never a
            // quoted string or a bare -Infinity token, which strict parsers reject. The binary body carries the exact IEEE value.
            for (float v : lp) {
                if (Float.isFinite(v)) g.writeNumber(v);
                else g.writeNull();
            }
            g.writeEndArray();
            g.writeEndObject();
        }
        return Reply.json(out.toByteArray());
    }

    /** One row through the batching scorer, waiting at most the request timeout. */
    private float scoreOne(ServedModel m, float[] row) {
        CompletableFuture<Float> f = m.scorer.submit(row);  // typed errors and QueueFullException are thrown here
        try {
            return f.get(opts.requestTimeoutMs(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            f.cancel(false);
            throw new HttpError(Status.GATEWAY_TIMEOUT_504, "Timeout", "scoring took longer than " + opts.requestTimeoutMs()
                    + " ms (--request-timeout-ms)");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HttpError(Status.SERVICE_UNAVAILABLE_503, "Interrupted", "interrupted while waiting for the scorer");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) throw re;
            throw new IllegalStateException(e.getCause());
        }
    }

    /** {@code {"rows": [[…], …]}} → rows; widths and finiteness are left to the model, which names the row and column. */
    private float[][] parseRows(byte[] body) throws IOException {
        JsonNode root = mapper.readTree(body);
        if (root == null || !root.isObject()) throw badJson("the body must be a JSON object {\"rows\": [[...], ...]}");
        JsonNode rows = root.get("rows");
        if (rows == null || !rows.isArray()) throw badJson("the body must have a \"rows\" array of arrays of numbers");
        float[][] out = new float[rows.size()][];
        for (int r = 0; r < out.length; r++) {
            JsonNode row = rows.get(r);
            if (row.isNull()) continue;  // the model reports "row r is null"
            if (!row.isArray()) throw badJson("row " + r + " is not an array of numbers");
            float[] x = new float[row.size()];
            for (int c = 0; c < x.length; c++) {
                JsonNode v = row.get(c);
                if (!v.isNumber()) throw badJson("row " + r + ", column " + c + " is not a number: " + v);
                x[c] = v.floatValue();
            }
            out[r] = x;
        }
        return out;
    }

    private static HttpError badJson(String message) { return new HttpError(Status.BAD_REQUEST_400, "MalformedJson", message); }

    private Reply sample(ServerRequest req) throws Exception {
        JsonNode root = mapper.readTree(body(req));
        if (root == null || !root.isObject()) throw badJson("the body must be a JSON object {\"n\": 10, \"temperature\": 1.0, \"seed\": 1}");
        JsonNode nNode = root.get("n"), tNode = root.get("temperature"), sNode = root.get("seed");
        if (nNode == null || !nNode.canConvertToInt() || !nNode.isIntegralNumber()) throw badJson("\"n\" must be an integer");
        int n = nNode.intValue();
        if (n < 0 || n > opts.maxSample())
            throw new HttpError(Status.BAD_REQUEST_400, "IllegalArgumentException", "n must be in 0.." + opts.maxSample() + " (--max-sample), got " + n);
        if (tNode != null && !tNode.isNumber()) throw badJson("\"temperature\" must be a number");
        if (sNode != null && !sNode.isIntegralNumber()) throw badJson("\"seed\" must be an integer");
        float temperature = tNode == null ? 1f : tNode.floatValue();
        long seed = sNode == null ? ThreadLocalRandom.current().nextLong() : sNode.longValue();
        int[] dim = new int[1];
        float[] xs = withModel(m -> {
            dim[0] = m.model.dimension();
            return m.model.sample(n, temperature, seed);
        });
        ByteArrayOutputStream out = new ByteArrayOutputStream(32 + xs.length * 12);
        try (JsonGenerator g = jsonFactory.createGenerator(out)) {
            g.writeStartObject();
            g.writeArrayFieldStart("samples");
            for (int i = 0; i < n; i++) {
                g.writeStartArray();
                for (int c = 0; c < dim[0]; c++) {
                    float v = xs[i * dim[0] + c];
                    if (Float.isFinite(v)) g.writeNumber(v);
                    else g.writeNull();   // as in /v1/logprob: JSON has no infinities
                }
                g.writeEndArray();
            }
            g.writeEndArray();
            g.writeNumberField("seed", seed);
            g.writeEndObject();
        }
        return Reply.json(out.toByteArray());
    }

    private Reply health(ServerRequest req) throws IOException {
        ServedModel m = current.get();
        return Reply.json(mapper.writeValueAsBytes(java.util.Map.of("status", "ok", "model", String.valueOf(m.file),
                "generation", m.generation)));
    }

    private Reply modelInfo(ServerRequest req) throws IOException {
        ServedModel m = current.get();
        var info = mapper.createObjectNode();
        info.put("file", String.valueOf(m.file));
        info.put("dimension", m.model.dimension());
        var shape = info.putArray("eventShape");
        for (int d : m.model.eventShape()) shape.add(d);
        info.put("backend", m.model.backendName());
        if (m.parameterCount >= 0) info.put("parameters", m.parameterCount);
        info.put("generation", m.generation);
        var b = info.putObject("batching");
        b.put("maxBatch", opts.maxBatch());
        b.put("maxDelayMicros", opts.maxDelayMicros());
        b.put("queue", opts.queue());
        BatchingScorer.Stats s = m.scorer.stats();
        var st = info.putObject("scorer");
        st.put("rows", s.rows());
        st.put("batches", s.batches());
        st.put("rejected", s.rejected());
        st.put("meanBatch", s.meanBatch());
        return Reply.json(mapper.writeValueAsBytes(info));
    }

    private Reply reload(ServerRequest req) throws IOException {
        byte[] body = body(req);
        Path file = null;
        if (body.length > 0) {
            JsonNode root = mapper.readTree(body);
            if (root != null && root.has("path")) {
                if (!root.get("path").isTextual()) throw badJson("\"path\" must be a string");
                file = Path.of(root.get("path").asText());
            }
        }
        ServedModel old;
        ServedModel fresh;
        try {
            old = current.get();
            fresh = reload(file);
        } catch (FluviaException | UncheckedIOException | IllegalArgumentException e) {
            throw new HttpError(Status.UNPROCESSABLE_CONTENT_422, e.getClass().getSimpleName(),
                    "reload refused, still serving " + current.get().file + " (generation " + current.get().generation + "): " + e.getMessage());
        }
        var r = mapper.createObjectNode();
        r.put("reloaded", true);
        r.put("file", String.valueOf(fresh.file));
        r.put("generation", fresh.generation);
        r.put("previousGeneration", old.generation);
        return Reply.json(mapper.writeValueAsBytes(r));
    }

    /**
     * Atomically replaces the model: loads {@code file} (null: the file now served, re-read) fully first; only when that
     * succeeds the server switches to it. Requests already on the old model finish on it; then its scorer drains and it
     * is closed. A bad file throws the library's typed error and the old model keeps serving.
     */
    ServedModel reload(Path file) {
        synchronized (lifecycle) {
            if (stopping) throw new IllegalStateException("the server is shutting down");
            ServedModel old = current.get();
            Path target = file == null ? old.file : file;
            ServedModel fresh;
            try {
                fresh = ServedModel.load(target, opts, registry, generations.get() + 1);
            } catch (RuntimeException e) {
                reloadFailures.increment();
                throw e;
            }
            generations.incrementAndGet();
            current.set(fresh);
            reloads.increment();
            old.retire(drainLimit());
            return fresh;
        }
    }

    /** Public form of {@link #reload(Path)} for embedding: returns the new generation. */
    public long reloadModel(Path file) { return reload(file).generation; }

    private Duration drainLimit() { return Duration.ofMillis(opts.requestTimeoutMs() + 10_000); }

    // ------------------------------------------------------------------ lifecycle

    /**
     * Graceful stop: new requests get 503 (Connection: close), requests in flight finish (their rows are scored), then
     * the listener closes, the scorer drains and the model is closed. Idempotent; returns when everything is closed.
     */
    public void stop() {
        synchronized (lifecycle) {
            if (stopped.getCount() == 0) return;
            stopping = true;
            long deadline = System.nanoTime() + drainLimit().toNanos();
            while (inFlight.get() > 0 && System.nanoTime() < deadline) {
                try {
                    Thread.sleep(5);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            web.stop();
            current.get().retire(drainLimit());
            registry.close();
            stopped.countDown();
        }
    }

    @Override public void close() { stop(); }

    /** Blocks until {@link #stop()} has finished. */
    public void awaitStop() throws InterruptedException { stopped.await(); }

    // ------------------------------------------------------------------ command line

    @Command(name = "fluvia-server", mixinStandardHelpOptions = true, sortOptions = false,
            description = "Serves a Fluvia model over HTTP: POST /v1/logprob, POST /v1/sample, GET /health, GET /model, "
                    + "GET /metrics, POST /admin/reload. SIGTERM stops it gracefully.")
    static final class Cli implements Callable<Integer> {
        @Option(names = "--model", required = true, description = "model file (.safetensors) to serve") Path model;
        @Option(names = "--port", defaultValue = "8080", description = "port, 0 = ephemeral (default ${DEFAULT-VALUE})") int port;
        @Option(names = "--host", defaultValue = ServerOptions.DEFAULT_HOST, description = "address to bind (default ${DEFAULT-VALUE})") String host;
        @Option(names = "--max-batch", defaultValue = "256", description = "rows per batched model call (default ${DEFAULT-VALUE})") int maxBatch;
        @Option(names = "--max-delay-us", defaultValue = "500", description = "longest wait of a row for its batch, µs (default ${DEFAULT-VALUE})") long maxDelayUs;
        @Option(names = "--queue", defaultValue = "4096", description = "single rows waiting at most; beyond: 429 (default ${DEFAULT-VALUE})") int queue;
        @Option(names = "--max-body-bytes", defaultValue = "8388608", description = "largest request body; beyond: 413 (default ${DEFAULT-VALUE})") long maxBody;
        @Option(names = "--request-timeout-ms", defaultValue = "5000", description = "single-row scoring timeout; beyond: 504 (default ${DEFAULT-VALUE})") long timeoutMs;
        @Option(names = "--max-sample", defaultValue = "10000", description = "largest n of /v1/sample (default ${DEFAULT-VALUE})") int maxSample;

        @Override public Integer call() throws Exception {
            ServerOptions o = new ServerOptions(model, host, port, maxBatch, maxDelayUs, queue, maxBody, timeoutMs, maxSample);
            FluviaServer server = FluviaServer.start(o);
            Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().name("fluvia-server-shutdown").unstarted(() -> {
                server.stop();
                System.err.println("fluvia-server: stopped (in-flight requests completed)");
            }));
            System.err.println("fluvia-server: serving " + model + " on http://" + host + ":" + server.port()
                    + " (dimension " + server.current.get().model.dimension() + ")");
            server.awaitStop();
            return 0;
        }
    }

    public static void main(String[] args) {
        CommandLine cl = new CommandLine(new Cli());
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            System.err.println("fluvia-server: " + (e instanceof FluviaException || e instanceof IllegalArgumentException
                    || e instanceof UncheckedIOException ? e.getMessage() : String.valueOf(e)));
            return e instanceof FluviaException || e instanceof IllegalArgumentException ? 2 : 3;
        });
        int rc = cl.execute(args);
        if (rc != 0) System.exit(rc);
    }

    @Override public String toString() { return "FluviaServer" + Arrays.asList(opts.host(), port(), current.get().file); }
}
