package dev.fluvia.serve;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.TimeUnit;

/**
 * {@link BatchingScorer.ScorerMetrics} on Micrometer (an optional dependency: add {@code io.micrometer:micrometer-core} to use
 * this class). Meters: {@code fluvia.scorer.queue} (timer: the oldest row's wait per batch), {@code fluvia.scorer.score}
 * (timer: the model call), {@code fluvia.scorer.batch.size} (summary), {@code fluvia.scorer.rows} and
 * {@code fluvia.scorer.rejected} (counters; rows/s is the rate of the first), each tagged with {@code model}.
 */
public final class MicrometerScorerMetrics implements BatchingScorer.ScorerMetrics {
    private final Timer queue, score;
    private final DistributionSummary batchSize;
    private final Counter rows, rejected;

    /**
     * Registers the meters.
     *
     * @param registry  where the meters go
     * @param modelName the value of the {@code model} tag
     */
    public MicrometerScorerMetrics(MeterRegistry registry, String modelName) {
        queue = Timer.builder("fluvia.scorer.queue").description("time the oldest row of a batch waited").tag("model", modelName).register(registry);
        score = Timer.builder("fluvia.scorer.score").description("time of one batched model call").tag("model", modelName).register(registry);
        batchSize = DistributionSummary.builder("fluvia.scorer.batch.size").description("rows per batch").tag("model", modelName).register(registry);
        rows = Counter.builder("fluvia.scorer.rows").description("rows scored").tag("model", modelName).register(registry);
        rejected = Counter.builder("fluvia.scorer.rejected").description("rows refused: queue full").tag("model", modelName).register(registry);
    }

    @Override public void batch(int n, long queueNanos, long scoreNanos) {
        queue.record(queueNanos, TimeUnit.NANOSECONDS);
        score.record(scoreNanos, TimeUnit.NANOSECONDS);
        batchSize.record(n);
        rows.increment(n);
    }

    @Override public void rejected() { rejected.increment(); }
}
