package dev.fluvia.server;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Settings of a {@link FluviaServer}. Every limit is checked here, before anything starts.
 *
 * @param model            the checkpoint to serve (required)
 * @param host             the address to bind (default 127.0.0.1: loopback only)
 * @param port             the port (0 = an ephemeral one, see {@link FluviaServer#port()})
 * @param maxBatch         most rows the batching scorer puts in one model call
 * @param maxDelayMicros   longest a single row waits for others to share its batch
 * @param queue            most single rows waiting for a batch; beyond it requests get 429
 * @param maxBodyBytes     largest request body; beyond it requests get 413
 * @param requestTimeoutMs longest a single-row request waits for its result; beyond it 504
 * @param maxSample        largest {@code n} of one /v1/sample request
 */
public record ServerOptions(Path model, String host, int port, int maxBatch, long maxDelayMicros, int queue, long maxBodyBytes,
                            long requestTimeoutMs, int maxSample) {
    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final int DEFAULT_PORT = 8080, DEFAULT_MAX_BATCH = 256, DEFAULT_QUEUE = 4096, DEFAULT_MAX_SAMPLE = 10_000;
    public static final long DEFAULT_MAX_DELAY_US = 500, DEFAULT_MAX_BODY = 8L << 20, DEFAULT_TIMEOUT_MS = 5_000;

    public ServerOptions {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(host, "host");
        if (port < 0 || port > 65535) throw new IllegalArgumentException("--port must be in 0..65535, got " + port);
        if (maxBatch < 1) throw new IllegalArgumentException("--max-batch must be ≥ 1, got " + maxBatch);
        if (maxDelayMicros < 0 || maxDelayMicros > 10_000_000) throw new IllegalArgumentException("--max-delay-us must be in 0..10000000, got " + maxDelayMicros);
        if (queue < 1) throw new IllegalArgumentException("--queue must be ≥ 1, got " + queue);
        if (maxBodyBytes < 16 || maxBodyBytes > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("--max-body-bytes must be in 16.." + (Integer.MAX_VALUE - 8) + ", got " + maxBodyBytes);
        if (requestTimeoutMs < 1) throw new IllegalArgumentException("--request-timeout-ms must be ≥ 1, got " + requestTimeoutMs);
        if (maxSample < 1) throw new IllegalArgumentException("--max-sample must be ≥ 1, got " + maxSample);
    }

    /** The defaults, serving {@code model} on {@code port}. */
    public static ServerOptions defaults(Path model, int port) {
        return new ServerOptions(model, DEFAULT_HOST, port, DEFAULT_MAX_BATCH, DEFAULT_MAX_DELAY_US, DEFAULT_QUEUE, DEFAULT_MAX_BODY,
                DEFAULT_TIMEOUT_MS, DEFAULT_MAX_SAMPLE);
    }

    public ServerOptions withMaxBatch(int v) { return new ServerOptions(model, host, port, v, maxDelayMicros, queue, maxBodyBytes, requestTimeoutMs, maxSample); }
    public ServerOptions withMaxDelayMicros(long v) { return new ServerOptions(model, host, port, maxBatch, v, queue, maxBodyBytes, requestTimeoutMs, maxSample); }
    public ServerOptions withQueue(int v) { return new ServerOptions(model, host, port, maxBatch, maxDelayMicros, v, maxBodyBytes, requestTimeoutMs, maxSample); }
    public ServerOptions withMaxBodyBytes(long v) { return new ServerOptions(model, host, port, maxBatch, maxDelayMicros, queue, v, requestTimeoutMs, maxSample); }
    public ServerOptions withRequestTimeoutMs(long v) { return new ServerOptions(model, host, port, maxBatch, maxDelayMicros, queue, maxBodyBytes, v, maxSample); }
    public ServerOptions withMaxSample(int v) { return new ServerOptions(model, host, port, maxBatch, maxDelayMicros, queue, maxBodyBytes, requestTimeoutMs, v); }
}
