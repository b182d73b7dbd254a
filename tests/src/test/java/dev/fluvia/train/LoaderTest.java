package dev.fluvia.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fluvia.FluviaException;
import dev.fluvia.FluviaException.NonFiniteException;
import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Deterministic order, full coverage per epoch, resumable positions, failure propagation and shutdown. */
class LoaderTest {
    /** Row r holds (r, −r) so a batch tells which rows it has. */
    static TrainData rows(int n) {
        float[] x = new float[2 * n];
        for (int r = 0; r < n; r++) { x[2 * r] = r; x[2 * r + 1] = -r; }
        return TrainData.of(x, 2);
    }

    static BatchUploader noUpload() { return (b, shape) -> { throw new AssertionError("not used"); }; }

    static List<HostBatch> take(Loader l, int k) {
        List<HostBatch> out = new ArrayList<>();
        for (int i = 0; i < k; i++) out.add(l.next());
        return out;
    }

    @Test void everyRowOncePerEpochKeepLast() {
        TrainData d = rows(23);
        try (Loader l = new Loader(d, 5, false, 42, 0, 0, 2, noUpload())) {
            assertEquals(5, l.batchesPerEpoch());
            int[] prevOrder = null;
            for (int e = 0; e < 3; e++) {
                boolean[] seen = new boolean[23];
                int[] order = new int[23];
                int k = 0;
                for (int b = 0; b < 5; b++) {
                    HostBatch hb = l.next();
                    assertEquals(e, hb.epoch());
                    assertEquals(b, hb.index());
                    assertEquals(b == 4, hb.lastInEpoch());
                    assertEquals(b == 4 ? 3 : 5, hb.n());
                    assertEquals(hb.n() * 2, hb.rows().length);
                    for (int r = 0; r < hb.n(); r++) {
                        int row = (int) hb.rows()[2 * r];
                        assertEquals(-row, hb.rows()[2 * r + 1], 0f);
                        assertFalse(seen[row], "row " + row + " twice in epoch " + e);
                        seen[row] = true;
                        order[k++] = row;
                    }
                }
                for (boolean s : seen) assertTrue(s);
                assertArrayEquals(Loader.epochOrder(23, 42, e), order);
                if (prevOrder != null) assertFalse(Arrays.equals(prevOrder, order), "epochs must be reshuffled");
                prevOrder = order;
            }
        }
    }

    @Test void dropLastSkipsTheShortBatch() {
        try (Loader l = new Loader(rows(23), 5, true, 1, 0, 0, 3, noUpload())) {
            assertEquals(4, l.batchesPerEpoch());
            List<HostBatch> bs = take(l, 8);
            for (int i = 0; i < 8; i++) {
                assertEquals(5, bs.get(i).n());
                assertEquals(i / 4, bs.get(i).epoch());
                assertEquals(i % 4, bs.get(i).index());
                assertEquals(i % 4 == 3, bs.get(i).lastInEpoch());
            }
        }
    }

    @Test void sameSeedSameOrderAndStartingMidwayContinuesTheStream() {
        TrainData d = rows(50);
        List<HostBatch> full, again, tail, other;
        try (Loader l = new Loader(d, 8, true, 7, 0, 0, 2, noUpload())) { full = take(l, 20); }
        try (Loader l = new Loader(d, 8, true, 7, 0, 0, 4, noUpload())) { again = take(l, 20); }
        try (Loader l = new Loader(d, 8, true, 7, 1, 3, 1, noUpload())) { tail = take(l, 11); } // epoch 1, batch 3 = 9th batch
        try (Loader l = new Loader(d, 8, true, 8, 0, 0, 2, noUpload())) { other = take(l, 1); }
        for (int i = 0; i < 20; i++) assertArrayEquals(full.get(i).rows(), again.get(i).rows());
        for (int i = 0; i < 11; i++) {
            assertArrayEquals(full.get(9 + i).rows(), tail.get(i).rows());
            assertEquals(full.get(9 + i).epoch(), tail.get(i).epoch());
            assertEquals(full.get(9 + i).index(), tail.get(i).index());
        }
        assertFalse(Arrays.equals(full.get(0).rows(), other.get(0).rows()), "another seed gives another order");
        assertNotEquals(Loader.epochOrder(50, 7, 0)[0] + "," + Loader.epochOrder(50, 7, 0)[1],
                Loader.epochOrder(50, 7, 1)[0] + "," + Loader.epochOrder(50, 7, 1)[1]);
    }

    @Test void stagingRunsOnTheLoaderThreadAndUploadGivesTheRows() {
        CpuBackend be = new CpuBackend(1);
        Thread consumer = Thread.currentThread();
        BatchUploader u = new BatchUploader() {
            @Override public HostBatch stage(HostBatch b) {
                assertNotEquals(consumer, Thread.currentThread());
                return b.withStaged("staged-" + b.index());
            }
            @Override public Tensor upload(HostBatch b, int[] shape) { return be.fromHost(b.rows(), shape); }
        };
        try (Loader l = new Loader(rows(10), 4, true, 3, 0, 0, 2, u)) {
            HostBatch b = l.next();
            assertEquals("staged-0", b.staged());
            assertArrayEquals(b.rows(), be.toHost(u.upload(b, new int[] {4, 2})));
        }
    }

    @Test void loaderFailureSurfacesInNext() {
        BatchUploader failing = new BatchUploader() {
            @Override public HostBatch stage(HostBatch b) {
                if (b.index() == 2) throw new NonFiniteException("staging failed on batch 2");
                return b;
            }
            @Override public Tensor upload(HostBatch b, int[] shape) { return null; }
        };
        try (Loader l = new Loader(rows(40), 4, true, 3, 0, 0, 2, failing)) {
            l.next();
            l.next();
            NonFiniteException e = assertThrows(NonFiniteException.class, l::next);
            assertTrue(e.getMessage().contains("batch 2"));
            assertThrows(FluviaException.class, l::next);
        }
    }

    @Test void interruptAndCloseStopCleanly() throws Exception {
        Loader l = new Loader(rows(40), 4, true, 3, 0, 0, 2, noUpload());
        l.next();
        Thread.currentThread().interrupt();
        // a batch is probably ready, so next() may succeed; the interrupt must surface on a blocking wait or stay set
        try { l.next(); } catch (TrainingInterruptedException e) { assertTrue(Thread.currentThread().isInterrupted()); }
        Thread.interrupted();
        l.close();
        l.close();
        assertThrows(IllegalStateException.class, l::next);
        // no thread left behind
        for (Thread t : Thread.getAllStackTraces().keySet()) if (t.getName().equals("fluvia-loader")) t.join(2000);
        assertTrue(Thread.getAllStackTraces().keySet().stream().noneMatch(t -> t.getName().equals("fluvia-loader") && t.isAlive()));
    }

    @Test void badArgumentsAreRejected() {
        assertThrows(InvalidConfigException.class, () -> new Loader(rows(3), 5, true, 0, 0, 0, 2, noUpload()));
        assertThrows(InvalidConfigException.class, () -> new Loader(rows(10), 0, true, 0, 0, 0, 2, noUpload()));
        assertThrows(InvalidConfigException.class, () -> new Loader(rows(10), 5, true, 0, 0, 2, 2, noUpload()));
        assertThrows(NonFiniteException.class, () -> TrainData.of(new float[] {1, Float.NaN}, 2));
        assertThrows(dev.fluvia.FluviaException.ShapeException.class, () -> TrainData.of(new float[] {1, 2, 3}, 2));
    }
}
