package dev.fluvia.server;

import dev.fluvia.io.Checkpoint;
import dev.fluvia.io.SafeTensors;
import dev.fluvia.serve.BatchingScorer;
import dev.fluvia.serve.FlowModel;
import dev.fluvia.serve.MicrometerScorerMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One loaded model and its batching scorer: the unit the server swaps atomically on reload.
 *
 * <p>Requests {@link #acquire()} it before use and {@link #release()} it after; {@link #retire()} (after the server has
 * swapped in a successor) waits until the last user released it, then closes the scorer (which completes every row it
 * accepted) and the model. A user that acquires a retired instance is told so and takes the current one instead, so a
 * request never runs on a closed model.
 */
final class ServedModel {
    final FlowModel model;
    final BatchingScorer scorer;
    final Path file;
    final long parameterCount;   // -1 when the file's index could not be read
    final long generation;
    private final AtomicInteger users = new AtomicInteger();
    private volatile boolean retired;

    private ServedModel(FlowModel model, BatchingScorer scorer, Path file, long parameterCount, long generation) {
        this.model = model;
        this.scorer = scorer;
        this.file = file;
        this.parameterCount = parameterCount;
        this.generation = generation;
    }

    /** Loads {@code file} fully (checksums verified) and starts its scorer; throws the library's typed error on a bad file. */
    static ServedModel load(Path file, ServerOptions o, MeterRegistry registry, long generation) {
        long params = parameterCount(file);
        FlowModel m = FlowModel.load(file);
        try {
            BatchingScorer s = new BatchingScorer(m, o.maxBatch(), Duration.ofNanos(o.maxDelayMicros() * 1000L), o.queue(),
                    new MicrometerScorerMetrics(registry, String.valueOf(file.getFileName())));
            return new ServedModel(m, s, file, params, generation);
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    /** Trainable and fixed parameters stored in the file (optimizer state and extra tensors left out). */
    private static long parameterCount(Path file) {
        try {
            long n = 0;
            for (Map.Entry<String, int[]> e : SafeTensors.readIndex(file).shapes().entrySet()) {
                if (Checkpoint.EXTRA_PREFIXES.stream().anyMatch(e.getKey()::startsWith)) continue;
                long c = 1;
                for (int d : e.getValue()) c *= d;
                n += c;
            }
            return n;
        } catch (RuntimeException e) {
            return -1;  // the load that follows reports what is wrong with the file
        }
    }

    /** Takes a use of this model; false when it was retired (take the current one instead). */
    boolean acquire() {
        users.incrementAndGet();
        if (retired) {
            release();
            return false;
        }
        return true;
    }

    void release() { users.decrementAndGet(); }

    int users() { return users.get(); }

    /** Refuses new users, waits (at most {@code maxWait}) for the current ones, then drains the scorer and closes the model. */
    void retire(Duration maxWait) {
        retired = true;
        long deadline = System.nanoTime() + maxWait.toNanos();
        while (users.get() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        scorer.close();   // completes every accepted row
        model.close();
    }
}
