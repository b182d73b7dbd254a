package dev.fluvia.serve;

import dev.fluvia.FluviaException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Dynamic batching for request traffic: single-row {@link #submit} calls from any number of threads are gathered into one
 * {@link FlowModel#logProb(float[], int)} call of at most {@code maxBatch} rows, waiting at most {@code maxDelay} after the
 * first row of a batch arrived. Each call gets a {@link CompletableFuture} completed with its row's log p.
 *
 * <ul>
 *   <li><b>Back-pressure</b>: at most {@code queueCapacity} rows wait; a submit beyond that fails at once with
 *       {@link QueueFullException} (the future is never created), so a caller can shed load or retry.</li>
 *   <li><b>Bad rows</b> (wrong width, NaN, null) are rejected at submit with the model's typed exception, so one bad row
 *       never fails a batch of good ones.</li>
 *   <li><b>Shutdown</b>: {@link #close()} stops accepting rows and completes every row already accepted.</li>
 *   <li><b>Metrics</b>: {@link #stats()}, and every batch is reported to a {@link ScorerMetrics} (e.g.
 *       {@link MicrometerScorerMetrics} when Micrometer is on the class path).</li>
 * </ul>
 * Results are the same as calling {@link FlowModel#logProb(float[])} row by row (bit-identical on the CPU backend).
 */
public final class BatchingScorer implements AutoCloseable {
    /** The queue is full: the row was not accepted. */
    public static final class QueueFullException extends FluviaException {
        /**
         * Creates the exception.
         *
         * @param message what was refused, and the capacity
         */
        public QueueFullException(String message) { super(message); }
    }

    /** Receives one report per batch. Implementations must be thread-safe and fast. */
    public interface ScorerMetrics {
        /**
         * A batch ran.
         *
         * @param rows       rows in the batch
         * @param queueNanos how long the oldest row of the batch waited
         * @param scoreNanos how long the model call took
         */
        void batch(int rows, long queueNanos, long scoreNanos);
        /** A row was rejected because the queue was full. */
        default void rejected() {}
        /** Reports nothing. */
        ScorerMetrics NONE = (rows, queueNanos, scoreNanos) -> {};
    }

    /**
     * Counters since construction.
     *
     * @param rows          rows scored
     * @param batches       model calls
     * @param rejected      rows refused because the queue was full
     * @param meanBatch     rows per batch, on average
     * @param maxQueueNanos the longest any row waited for its batch
     */
    public record Stats(long rows, long batches, long rejected, double meanBatch, long maxQueueNanos) {}

    private record Pending(float[] row, CompletableFuture<Float> future, long enqueued) {}

    private final FlowModel model;
    private final int maxBatch;
    private final long maxDelayNanos;
    private final BlockingQueue<Pending> queue;
    private final ScorerMetrics metrics;
    private final Thread worker;
    private volatile boolean accepting = true;
    private final AtomicLong rows = new AtomicLong(), batches = new AtomicLong(), rejected = new AtomicLong(),
            maxQueueNanos = new AtomicLong();

    /**
     * A scorer with {@link ScorerMetrics#NONE}.
     *
     * @param model         the model every batch is scored with (not closed by the scorer)
     * @param maxBatch      rows per batch at most
     * @param maxDelay      how long the first row of a batch waits for others to join it
     * @param queueCapacity rows that may wait at once; a submit beyond it throws {@link QueueFullException}
     */
    public BatchingScorer(FlowModel model, int maxBatch, Duration maxDelay, int queueCapacity) {
        this(model, maxBatch, maxDelay, queueCapacity, ScorerMetrics.NONE);
    }

    /**
     * A scorer that reports every batch to {@code metrics}.
     *
     * @param model         the model every batch is scored with (not closed by the scorer)
     * @param maxBatch      rows per batch at most
     * @param maxDelay      how long the first row of a batch waits for others to join it
     * @param queueCapacity rows that may wait at once; a submit beyond it throws {@link QueueFullException}
     * @param metrics       receives one report per batch and one per rejected row
     */
    public BatchingScorer(FlowModel model, int maxBatch, Duration maxDelay, int queueCapacity, ScorerMetrics metrics) {
        this.model = Objects.requireNonNull(model, "model");
        if (maxBatch < 1) throw new IllegalArgumentException("maxBatch must be ≥ 1, got " + maxBatch);
        if (queueCapacity < 1) throw new IllegalArgumentException("queueCapacity must be ≥ 1, got " + queueCapacity);
        if (maxDelay.isNegative()) throw new IllegalArgumentException("maxDelay must not be negative, got " + maxDelay);
        this.maxBatch = maxBatch;
        this.maxDelayNanos = maxDelay.toNanos();
        this.queue = new ArrayBlockingQueue<>(queueCapacity);
        this.metrics = Objects.requireNonNull(metrics, "metrics");
        this.worker = Thread.ofPlatform().name("fluvia-batching-scorer").daemon(true).start(this::run);
    }

    /**
     * Queues one row.
     *
     * @param row {@link FlowModel#dimension()} finite values (checked here: a bad row throws the model's typed exception)
     * @return a future completed with the row's log p in nats, or exceptionally if the model fails
     * @throws QueueFullException    if {@code queueCapacity} rows are already waiting
     * @throws IllegalStateException if the scorer is closed
     */
    public CompletableFuture<Float> submit(float[] row) {
        if (!accepting) throw new IllegalStateException("the scorer is closed");
        model.checkRow(row, 0);
        CompletableFuture<Float> f = new CompletableFuture<>();
        Pending p = new Pending(row.clone(), f, System.nanoTime());
        if (!queue.offer(p)) {
            rejected.incrementAndGet();
            metrics.rejected();
            throw new QueueFullException("the scoring queue is full (" + (queue.size() + queue.remainingCapacity()) + " rows waiting); retry later");
        }
        // close() raced with this submit: if the worker may already have finished, take the row back and say so
        if (!accepting && queue.remove(p)) f.completeExceptionally(new IllegalStateException("the scorer is closed"));
        return f;
    }

    private void run() {
        List<Pending> batch = new ArrayList<>(maxBatch);
        while (true) {
            batch.clear();
            Pending first;
            try {
                first = queue.poll(20, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                break;
            }
            if (first == null) {
                if (!accepting && queue.isEmpty()) break;
                continue;
            }
            batch.add(first);
            long deadline = first.enqueued() + maxDelayNanos;
            while (batch.size() < maxBatch) {
                Pending p = queue.poll();
                if (p == null) {
                    long wait = deadline - System.nanoTime();
                    if (wait <= 0) break;
                    try {
                        p = queue.poll(wait, TimeUnit.NANOSECONDS);
                    } catch (InterruptedException e) {
                        break;
                    }
                    if (p == null) break;
                }
                batch.add(p);
            }
            score(batch);
        }
        // closed: complete whatever is still queued
        List<Pending> rest = new ArrayList<>();
        queue.drainTo(rest);
        for (int i = 0; i < rest.size(); i += maxBatch) score(rest.subList(i, Math.min(rest.size(), i + maxBatch)));
    }

    private void score(List<Pending> batch) {
        int n = batch.size(), d = model.dimension();
        float[] flat = new float[n * d];
        for (int i = 0; i < n; i++) System.arraycopy(batch.get(i).row(), 0, flat, i * d, d);
        long start = System.nanoTime(), queued = start - batch.get(0).enqueued();
        try {
            float[] lp = model.logProb(flat, n);
            long took = System.nanoTime() - start;
            rows.addAndGet(n);  // counters first: a caller that sees its future done sees its row counted
            batches.incrementAndGet();
            maxQueueNanos.accumulateAndGet(queued, Math::max);
            metrics.batch(n, queued, took);
            for (int i = 0; i < n; i++) batch.get(i).future().complete(lp[i]);
        } catch (RuntimeException | Error e) {
            for (Pending p : batch) p.future().completeExceptionally(e);
        }
    }

    /** {@return the counters since construction} */
    public Stats stats() {
        long b = batches.get(), r = rows.get();
        return new Stats(r, b, rejected.get(), b == 0 ? 0 : (double) r / b, maxQueueNanos.get());
    }

    /** Stops accepting rows, completes every accepted row, and waits for the worker (the model stays open). */
    @Override public void close() {
        accepting = false;
        try {
            worker.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
