package dev.fluvia.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.fluvia.flow.MemoryMode;
import org.junit.jupiter.api.Test;

/** Defaults, JSON round trip and range checks of the training options. */
class TrainConfigTest {
    @Test void defaultsAndJsonRoundTrip() {
        TrainConfig d = TrainConfig.builder().build();
        assertEquals("adam", d.optimizer());
        assertEquals(3, d.maxBadSteps());
        assertEquals(5, d.maxRollbacks());
        assertEquals(MemoryMode.STORE, d.memoryMode());
        TrainConfig c = TrainConfig.builder().optimizer("ADAMAX").lr(3e-4).betas(0.8f, 0.95f).eps(1e-6f).warmupSteps(7)
                .schedule("cosine").minLr(1e-5).clipNorm(2.5).batchSize(33).steps(1234).epochs(2).seed(-5)
                .memoryMode(MemoryMode.parse("recompute")).valBatchSize(99).checkpointEvery(50).dropLast(false).prefetch(4)
                .maxBadSteps(2).maxRollbacks(1).snapshotEvery(17).keepBest(false).build();
        assertEquals("adamax", c.optimizer());
        assertEquals(c, TrainConfig.fromJson(c.toJson()));
        assertEquals(c, c.toBuilder().build());
        assertEquals(d, TrainConfig.fromJson(com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode()));
        assertEquals(1e-5, c.lrSchedule(1234).lr(1234), 1e-15);
    }

    @Test void outOfRangeValuesAreRejected() {
        assertThrows(InvalidConfigException.class, () -> TrainConfig.builder().batchSize(0).build());
        assertThrows(InvalidConfigException.class, () -> TrainConfig.builder().steps(0).epochs(0).build());
        assertThrows(InvalidConfigException.class, () -> TrainConfig.builder().maxBadSteps(0).build());
        assertThrows(InvalidConfigException.class, () -> TrainConfig.builder().clipNorm(-1).build());
        assertThrows(InvalidConfigException.class, () -> TrainConfig.builder().minLr(1).lr(0.1).build());
        assertThrows(InvalidConfigException.class, () -> TrainConfig.builder().prefetch(0).build());
    }
}
