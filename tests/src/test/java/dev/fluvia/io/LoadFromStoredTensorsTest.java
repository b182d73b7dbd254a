package dev.fluvia.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fluvia.FluviaException;
import dev.fluvia.backend.Scope;
import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.flow.Flow;
import dev.fluvia.flow.MemoryMode;
import dev.fluvia.param.Param;
import dev.fluvia.param.ParamSource;
import dev.fluvia.serve.FlowModel;
import dev.fluvia.train.InvalidConfigException;
import dev.fluvia.train.TrainConfig;
import dev.fluvia.train.TrainData;
import dev.fluvia.train.Trainer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Loading a checkpoint builds every layer straight from the stored tensors: no parameter is initialised (the
 * {@link ParamSource#initialisations()} counter does not move, so no random draw, no orthogonal init, no LU decomposition
 * runs), and a model loaded to score has no gradient buffers, while one loaded to train has them all.
 */
class LoadFromStoredTensorsTest {
    static final CpuBackend be = new CpuBackend(2);

    @AfterAll static void close() { be.close(); }

    static List<Flow> models() { return List.of(CheckpointFixtures.vector(be), CheckpointFixtures.maf(be), CheckpointFixtures.image(be)); }

    @Test void buildingAModelInitialisesItsParameters() {
        long before = ParamSource.initialisations();
        Flow f = CheckpointFixtures.vector(be);
        assertEquals(f.params().size(), ParamSource.initialisations() - before, "a fresh build initialises each parameter once");
    }

    @Test void scoringLoadRunsNoInitialisationAndAllocatesNoGradients(@TempDir Path dir) {
        int k = 0;
        for (Flow f : models()) {
            Path p = dir.resolve("m" + k++ + ".safetensors");
            Checkpoint.save(p, f, null, null);
            float[] x = CheckpointFixtures.points(f, 4, 7);
            long before = ParamSource.initialisations();
            Flow g = Checkpoint.load(p, be, false, Checkpoint.Use.SCORE).flow();
            assertEquals(before, ParamSource.initialisations(), p + ": loading initialised parameters");
            assertEquals(f.params().size(), g.params().size());
            for (Param q : g.params()) assertNull(q.grad(), p + ": scoring-only model has a gradient for " + q.name());
            assertEquals(f.parameterCount(), g.parameterCount(), "trainable parameters are still counted");
            assertArrayEquals(f.logProb(x, 4), g.logProb(x, 4), p + ": log p differs after the load");
            assertArrayEquals(f.sampleHost(3, 0.8f, 5), g.sampleHost(3, 0.8f, 5), p + ": samples differ after the load");
            // it cannot be trained: a clear error, not a null pointer deep in an op
            try (Scope s = be.scope()) {
                var e = assertThrows(FluviaException.class, () -> g.forwardPass(be.fromHost(x, g.batchShape(4)), MemoryMode.STORE));
                assertTrue(e.getMessage().contains("scoring only"), e.getMessage());
            }
            var e = assertThrows(InvalidConfigException.class,
                    () -> new Trainer(g, new TrainData(x, 4, new float[0], 0, g.eventSize()), TrainConfig.builder().batchSize(2).build()));
            assertTrue(e.getMessage().contains("scoring only"), e.getMessage());
        }
    }

    @Test void trainingLoadRunsNoInitialisationAndHasEveryGradient(@TempDir Path dir) {
        Flow f = CheckpointFixtures.image(be);
        Path p = dir.resolve("img.safetensors");
        Checkpoint.save(p, f, null, null);
        long before = ParamSource.initialisations();
        Flow g = Checkpoint.load(p, be).flow();
        assertEquals(before, ParamSource.initialisations(), "loading initialised parameters");
        for (Param q : g.params()) {
            if (q.trainable()) assertNotNull(q.grad(), q.name());
            else assertNull(q.grad(), q.name());
        }
        float[] x = CheckpointFixtures.points(f, 3, 2);
        assertArrayEquals(f.logProb(x, 3), g.logProb(x, 3));
    }

    @Test void flowModelLoadsForScoring(@TempDir Path dir) {
        Flow f = CheckpointFixtures.maf(be);
        Path p = dir.resolve("maf.safetensors");
        Checkpoint.save(p, f, null, null);
        float[] x = CheckpointFixtures.points(f, 5, 3);
        long before = ParamSource.initialisations();
        try (FlowModel m = FlowModel.load(p, be)) {
            assertEquals(before, ParamSource.initialisations(), "FlowModel.load initialised parameters");
            assertArrayEquals(f.logProb(x, 5), m.logProb(x, 5));
        }
    }
}
