package dev.fluvia.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fluvia.FluviaException.CheckpointException;
import dev.fluvia.FluviaException.NonFiniteException;
import dev.fluvia.FluviaException.ShapeException;
import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.distributions.StandardNormal;
import dev.fluvia.flow.Flow;
import dev.fluvia.flow.MemoryMode;
import dev.fluvia.transforms.Transform;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The training loop end to end: learning a Gaussian, exact resume, the NaN guard, memory modes, checkpoints. */
class TrainerTest {
    static final ObjectMapper JSON = new ObjectMapper();

    static TrainData toyData(int nTrain, int nVal) {
        return TrainData.of(TrainFixtures.gaussian2d(nTrain, 1), TrainFixtures.gaussian2d(nVal, 2), 2);
    }

    @Test void learnsACorrelatedGaussianToItsEntropy() {
        CpuBackend be = new CpuBackend(2);
        TrainData data = toyData(2000, 2000);
        Flow flow = TrainFixtures.flow(be, 4, 16, 5);
        TrainConfig cfg = TrainConfig.builder().lr(1e-2).warmupSteps(20).schedule("cosine").minLr(1e-4).clipNorm(10)
                .batchSize(100).epochs(15).seed(3).valBatchSize(512).build();
        Trainer tr = new Trainer(flow, data, cfg);
        double before = tr.validate();
        List<Double> epochs = new ArrayList<>();
        int[] stepCalls = {0};
        tr.listener(new TrainListener() {
            @Override public void onStep(long step, double loss, double lr, double sps) {
                stepCalls[0]++;
                assertEquals(stepCalls[0], step);
                assertTrue(sps > 0);
            }
            @Override public void onEpoch(int epoch, double valNll) { assertEquals(epochs.size(), epoch); epochs.add(valNll); }
            @Override public void onWarning(String m) { throw new AssertionError("unexpected warning: " + m); }
        });
        TrainResult r = tr.train();
        double oracle = TrainFixtures.trueNll(data.validation());
        assertEquals(300, r.losses().length);
        assertEquals(300, stepCalls[0]);
        assertEquals(15, r.valNlls().length);
        assertEquals(15, epochs.size());
        // the identity flow under N(0, I) is far off; training closes the gap to the exact density
        assertTrue(before > oracle + 1.5, "initial NLL " + before + " vs oracle " + oracle);
        double last = r.valNlls()[14];
        assertTrue(last < oracle + 0.05, "final validation NLL " + last + " vs exact " + oracle + " (entropy " + TrainFixtures.entropy() + ")");
        assertTrue(last > oracle - 0.1, "validation NLL below the exact density by too much: " + last + " vs " + oracle);
        assertTrue(Math.abs(oracle - TrainFixtures.entropy()) < 0.1);
        System.out.printf("gaussian toy: val NLL %.4f -> %.4f (best %.4f at step %d), exact density on the val set %.4f, entropy %.4f, %.0f samples/s%n",
                before, last, r.bestValNll(), r.bestStep(), oracle, TrainFixtures.entropy(), r.samplesPerSec());
        double first20 = 0, last20 = 0;
        for (int i = 0; i < 20; i++) { first20 += r.losses()[i] / 20; last20 += r.losses()[280 + i] / 20; }
        assertTrue(last20 < first20 - 0.5 && last20 < r.losses()[0] - 1.5,
                "training loss " + r.losses()[0] + ", first 20 mean " + first20 + " -> last 20 mean " + last20);
        // best model: the minimum of the epoch curve, restorable
        double min = Double.POSITIVE_INFINITY;
        int argmin = -1;
        for (int e = 0; e < 15; e++) if (r.valNlls()[e] < min) { min = r.valNlls()[e]; argmin = e; }
        assertEquals(min, r.bestValNll(), 0);
        assertEquals((argmin + 1) * 20L, r.bestStep());
        assertTrue(tr.restoreBest());
        assertEquals(min, tr.validate(), 1e-12);
        assertTrue(r.samplesPerSec() > 0 && r.wallSeconds() > 0);
    }

    /** Straight run of 40 steps vs 20 steps + export (through JSON text) + fresh flow and trainer + 20 steps. */
    @Test void resumeContinuesBitIdentically() throws Exception {
        for (String opt : new String[] {"adam", "adamax"}) {
            TrainData data = toyData(300, 100);
            TrainConfig cfg = TrainConfig.builder().optimizer(opt).lr(5e-3).warmupSteps(5).schedule("cosine").clipNorm(1.0)
                    .weightDecay(opt.equals("adam") ? 0.01f : 0f).batchSize(50).steps(40).seed(9).valBatchSize(64)
                    .checkpointEvery(10).snapshotEvery(4).build();
            // straight
            CpuBackend be = new CpuBackend(2);
            Flow f1 = TrainFixtures.flow(be, 3, 8, 21);
            Map<Long, TrainState> saved = new HashMap<>();
            Map<Long, Map<String, float[]>> savedParams = new HashMap<>();
            Trainer t1 = new Trainer(f1, data, cfg).checkpointSink((flow, st) -> {
                saved.put(st.step(), st);
                savedParams.put(st.step(), ParamKeys.export(flow));
            });
            TrainResult straight = t1.train();
            assertEquals(Set.of(10L, 20L, 30L, 40L), saved.keySet());
            assertEquals(6, straight.valNlls().length);           // 6 batches per epoch: epochs end at steps 6, 12, ..., 36

            // interrupted at 20 (epoch 3, batch 2), resumed from text
            CpuBackend be2 = new CpuBackend(2);
            Flow f2 = TrainFixtures.flow(be2, 3, 8, 21);
            Trainer t2 = new Trainer(f2, data, cfg);
            t2.train(20);
            TrainState st = t2.exportState();
            assertEquals(20, st.step());
            assertEquals(3, st.epoch());
            assertEquals(2, st.position());
            String text = JSON.writeValueAsString(st.toJson());
            Map<String, float[]> tensors = st.tensors();
            Map<String, float[]> params = ParamKeys.export(f2);

            CpuBackend be3 = new CpuBackend(2);
            Flow f3 = TrainFixtures.flow(be3, 3, 8, 777); // different init: everything must come from the saved state
            Trainer t3 = new Trainer(f3, data, cfg);
            t3.resume(TrainState.fromJson((ObjectNode) JSON.readTree(text), tensors), params);
            TrainResult resumed = t3.train();
            assertArrayEquals(straight.losses(), resumed.losses(), opt + ": per-step losses");
            assertArrayEquals(straight.valNlls(), resumed.valNlls(), opt + ": validation NLLs");
            assertEquals(straight.bestValNll(), resumed.bestValNll(), 0);
            assertEquals(straight.bestStep(), resumed.bestStep());
            Map<String, float[]> p1 = ParamKeys.export(f1), p3 = ParamKeys.export(f3);
            for (String k : p1.keySet()) assertArrayEquals(p1.get(k), p3.get(k), opt + ": " + k);

            // resuming from the checkpoint sink's state at step 10 (mid-epoch 1) gives the same run too
            CpuBackend be4 = new CpuBackend(2);
            Flow f4 = TrainFixtures.flow(be4, 3, 8, 5);
            Trainer t4 = new Trainer(f4, data, cfg);
            TrainState s10 = saved.get(10L);
            t4.resume(TrainState.fromJson(s10.toJson(), s10.tensors()), savedParams.get(10L));
            assertArrayEquals(straight.losses(), t4.train().losses(), opt + ": resumed from the step-10 checkpoint");
        }
    }

    @Test void resumeRejectsAStateFromAnotherConfiguration() {
        CpuBackend be = new CpuBackend(1);
        TrainData data = toyData(300, 0);
        TrainConfig cfg = TrainConfig.builder().batchSize(50).steps(10).build();
        Trainer t = new Trainer(TrainFixtures.flow(be, 2, 4, 1), data, cfg);
        t.train(5);
        TrainState st = t.exportState();
        Trainer other = new Trainer(TrainFixtures.flow(be, 2, 4, 1), data, cfg.toBuilder().batchSize(100).build());
        assertThrows(CheckpointException.class, () -> other.resume(st));
        Trainer adamax = new Trainer(TrainFixtures.flow(be, 2, 4, 1), data, cfg.toBuilder().optimizer("adamax").build());
        assertThrows(CheckpointException.class, () -> adamax.resume(st));
        ObjectNode j = st.toJson();
        j.remove("position");
        assertThrows(CheckpointException.class, () -> TrainState.fromJson(j, st.tensors()));
        assertThrows(CheckpointException.class, () -> TrainState.fromJson(st.toJson(), Map.of()));
        assertThrows(ShapeException.class, () -> new Trainer(TrainFixtures.flow(be, 2, 4, 1), TrainData.of(new float[9], 3), cfg));
    }

    /** A flow whose second layer is wrapped in {@link TrainFixtures.Faulty}. */
    static Flow faultyFlow(CpuBackend be, Set<Integer> badGrad, int badFrom, Set<Integer> badLoss) {
        List<Transform> ts = TrainFixtures.couplings(be, 3, 8, 4);
        ts.set(1, new TrainFixtures.Faulty(be, ts.get(1), badGrad, badFrom, badLoss));
        return new Flow(be, new StandardNormal(be, 2), ts);
    }

    static TrainConfig guardConfig(long steps) {
        return TrainConfig.builder().lr(1e-2).batchSize(50).steps(steps).seed(2).snapshotEvery(2).maxBadSteps(3).maxRollbacks(5).build();
    }

    @Test void aSingleNonFiniteStepIsSkippedWithAWarning() {
        CpuBackend be = new CpuBackend(1);
        Flow f = faultyFlow(be, Set.of(4), Integer.MAX_VALUE, Set.of(7));
        Trainer t = new Trainer(f, toyData(300, 50), guardConfig(10));
        List<String> warnings = new ArrayList<>();
        Map<Long, Map<String, float[]>> params = new HashMap<>();
        t.listener(new TrainListener() {
            @Override public void onStep(long step, double loss, double lr, double sps) { params.put(step, ParamKeys.export(f)); }
            @Override public void onWarning(String m) { warnings.add(m); }
        });
        TrainResult r = t.train();
        assertEquals(2, warnings.size(), warnings.toString());
        assertTrue(warnings.get(0).startsWith("step 4: non-finite gradient of layers.1."), warnings.get(0));
        assertTrue(warnings.get(1).startsWith("step 7: non-finite loss"), warnings.get(1));
        for (int s = 1; s <= 10; s++) assertEquals(s == 4 || s == 7, Double.isNaN(r.losses()[s - 1]), "step " + s);
        // skipped steps leave the parameters alone; good steps move them
        for (String k : params.get(3L).keySet()) {
            assertArrayEquals(params.get(3L).get(k), params.get(4L).get(k), k);
            assertArrayEquals(params.get(6L).get(k), params.get(7L).get(k), k);
        }
        assertFalse(java.util.Arrays.equals(params.get(4L).get("layers.0.net.b0"), params.get(5L).get("layers.0.net.b0")));
        TrainState st = t.exportState();
        assertEquals(0, st.rollbacks());
        assertEquals(1.0, st.lrMultiplier());
        assertEquals(8, st.optimizer().step());     // 10 steps, 2 skipped
    }

    @Test void consecutiveBadStepsRollBackAndHalveTheLearningRate() {
        CpuBackend be = new CpuBackend(1);
        Flow f = faultyFlow(be, Set.of(6, 7, 8), Integer.MAX_VALUE, Set.of());
        Trainer t = new Trainer(f, toyData(300, 0), guardConfig(12));
        List<String> warnings = new ArrayList<>();
        Map<Long, Map<String, float[]>> params = new HashMap<>();
        Map<Long, Double> lrs = new HashMap<>();
        java.util.concurrent.atomic.AtomicReference<Map<String, float[]>> atRollback = new java.util.concurrent.atomic.AtomicReference<>();
        int[] optStepAtRollback = {-1};
        t.listener(new TrainListener() {
            @Override public void onStep(long step, double loss, double lr, double sps) { params.put(step, ParamKeys.export(f)); lrs.put(step, lr); }
            @Override public void onWarning(String m) {
                warnings.add(m);
                if (m.contains("rolled back")) { atRollback.set(ParamKeys.export(f)); optStepAtRollback[0] = t.optimizer().stepCount(); }
            }
        });
        t.train();
        assertEquals(4, warnings.size(), warnings.toString());
        assertTrue(warnings.get(3).startsWith("step 8: rolled back to the state after step 4"), warnings.get(3));
        assertNotNull(atRollback.get());
        // snapshots every 2 good steps: after step 4 (step 5 was good but not yet snapshotted)
        for (String k : atRollback.get().keySet()) assertArrayEquals(params.get(4L).get(k), atRollback.get().get(k), k);
        assertEquals(4, optStepAtRollback[0]);
        TrainState st = t.exportState();
        assertEquals(1, st.rollbacks());
        assertEquals(0.5, st.lrMultiplier());
        assertEquals(1e-2, lrs.get(8L), 1e-12);
        assertEquals(5e-3, lrs.get(9L), 1e-12);
        assertEquals(4 + 4, st.optimizer().step()); // restored to 4, then steps 9..12
        assertEquals(0.5, TrainState.fromJson(st.toJson(), st.tensors()).lrMultiplier());
    }

    @Test void neverRecoveringStopsWithNonFiniteException() {
        CpuBackend be = new CpuBackend(1);
        Flow f = faultyFlow(be, Set.of(), 3, Set.of());
        Trainer t = new Trainer(f, toyData(300, 0), guardConfig(100));
        List<String> warnings = new ArrayList<>();
        t.listener(new TrainListener() { @Override public void onWarning(String m) { warnings.add(m); } });
        NonFiniteException e = assertThrows(NonFiniteException.class, t::train);
        // steps 3..20: six runs of three bad steps; the first five end in a rollback, the sixth stops the run
        assertTrue(e.getMessage().startsWith("step 20:"), e.getMessage());
        assertTrue(e.getMessage().contains("5 rollbacks"), e.getMessage());
        assertEquals(5, warnings.stream().filter(w -> w.contains("rolled back")).count());
        assertEquals(18, warnings.stream().filter(w -> w.contains("skipped")).count());
        assertEquals(1.0 / 32, t.exportState().lrMultiplier());
    }

    @Test void storeAndRecomputeTrainTheSame() {
        double[][] losses = new double[2][];
        MemoryMode[] modes = {MemoryMode.STORE, MemoryMode.RECOMPUTE};
        for (int m = 0; m < 2; m++) {
            CpuBackend be = new CpuBackend(2);
            TrainConfig cfg = TrainConfig.builder().lr(1e-2).batchSize(64).steps(30).seed(4).memoryMode(modes[m]).build();
            losses[m] = new Trainer(TrainFixtures.flow(be, 4, 8, 8), toyData(512, 0), cfg).train().losses();
        }
        for (int i = 0; i < 30; i++) assertEquals(losses[0][i], losses[1][i], 1e-4 * (1 + Math.abs(losses[0][i])), "step " + (i + 1));
        assertTrue(losses[0][29] < losses[0][0] - 0.3, "training moved: " + losses[0][0] + " -> " + losses[0][29]);
    }
}
