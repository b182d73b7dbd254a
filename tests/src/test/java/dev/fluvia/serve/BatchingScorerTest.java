package dev.fluvia.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fluvia.FluviaException.NonFiniteException;
import dev.fluvia.FluviaException.ShapeException;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Dynamic batching: results equal row-by-row scoring, batches form, back-pressure, bad rows, shutdown, metrics. */
class BatchingScorerTest {
    static FlowModel model;
    static final int D = FlowModelTest.D;

    @BeforeAll static void setUp() throws java.io.IOException {
        FlowModelTest.setUp();
        model = FlowModelTest.model;
    }

    @Test void concurrentRowsAreBatchedAndScoredExactly() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (BatchingScorer s = new BatchingScorer(model, 64, Duration.ofMillis(2), 10_000, new MicrometerScorerMetrics(registry, "moons"))) {
            int threads = 16, per = 100;
            List<CompletableFuture<Float>>[] fs = new List[threads];
            CountDownLatch go = new CountDownLatch(1);
            List<Thread> ts = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int tt = t;
                fs[t] = new ArrayList<>();
                ts.add(Thread.ofPlatform().start(() -> {
                    try { go.await(); } catch (InterruptedException e) { return; }
                    for (int i = 0; i < per; i++) fs[tt].add(s.submit(FlowModelTest.row((tt * per + i) % 500)));
                }));
            }
            go.countDown();
            for (Thread t : ts) t.join();
            for (int t = 0; t < threads; t++)
                for (int i = 0; i < per; i++) {
                    float got = fs[t].get(i).get(10, TimeUnit.SECONDS);
                    assertEquals(Float.floatToIntBits(FlowModelTest.reference[(t * per + i) % 500]), Float.floatToIntBits(got),
                            "row " + (t * per + i) % 500 + " batched differs from row-by-row");
                }
            BatchingScorer.Stats st = s.stats();
            assertEquals(threads * per, st.rows());
            assertTrue(st.batches() < threads * per, "rows were gathered into batches: " + st);
            assertEquals(threads * per, registry.get("fluvia.scorer.rows").counter().count(), 0.0);
            assertEquals(st.batches(), registry.get("fluvia.scorer.batch.size").summary().count());
            assertTrue(registry.get("fluvia.scorer.queue").timer().count() > 0);
        }
    }

    @Test void aFullQueueRefusesAtOnceAndEveryAcceptedRowCompletes() throws Exception {
        // The worker moves up to 1000 queued rows into its batch before it scores them, so 50 rows alone may all be taken
        // from the queue of 8 as fast as they arrive (it happened under load). 10,000 rows make the worker score at least
        // ten full batches, and the submitting thread fills the queue of 8 during them.
        try (BatchingScorer s = new BatchingScorer(model, 1000, Duration.ofSeconds(1), 8)) {
            List<CompletableFuture<Float>> accepted = new ArrayList<>();
            int refused = 0;
            for (int i = 0; i < 10_000; i++) {
                try {
                    accepted.add(s.submit(FlowModelTest.row(i % 500)));
                } catch (BatchingScorer.QueueFullException e) {
                    refused++;
                    assertTrue(e.getMessage().contains("queue is full"), e.getMessage());
                }
            }
            assertTrue(refused > 0 && accepted.size() >= 8, "accepted " + accepted.size() + ", refused " + refused);
            for (int i = 0; i < accepted.size(); i++) accepted.get(i).get(10, TimeUnit.SECONDS);
            assertEquals(refused, s.stats().rejected());
        }
    }

    @Test void badRowsAreRefusedAtSubmitWithoutHarmingOthers() throws Exception {
        try (BatchingScorer s = new BatchingScorer(model, 16, Duration.ofMillis(1), 100)) {
            CompletableFuture<Float> good = s.submit(FlowModelTest.row(5));
            assertThrows(ShapeException.class, () -> s.submit(new float[] {1f}));
            assertThrows(ShapeException.class, () -> s.submit(null));
            assertThrows(NonFiniteException.class, () -> s.submit(new float[] {0f, Float.NaN, 0f}));
            assertEquals(FlowModelTest.reference[5], good.get(10, TimeUnit.SECONDS), 0f);
        }
    }

    @Test void closeCompletesAcceptedRowsAndRefusesNewOnes() throws Exception {
        BatchingScorer s = new BatchingScorer(model, 4, Duration.ofMillis(50), 1000);
        List<CompletableFuture<Float>> fs = new ArrayList<>();
        for (int i = 0; i < 100; i++) fs.add(s.submit(FlowModelTest.row(i)));
        s.close();
        for (int i = 0; i < 100; i++) assertEquals(FlowModelTest.reference[i], fs.get(i).getNow(Float.NaN), 0f, "row " + i + " completed by close");
        assertThrows(IllegalStateException.class, () -> s.submit(FlowModelTest.row(0)));
        assertThrows(IllegalArgumentException.class, () -> new BatchingScorer(model, 0, Duration.ZERO, 1));
    }
}
