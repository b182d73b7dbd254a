package dev.fluvia.serve;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fluvia.FluviaException.NonFiniteException;
import dev.fluvia.FluviaException.ShapeException;
import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.flow.Flow;
import dev.fluvia.flow.PresetOptions;
import dev.fluvia.flow.Presets;
import dev.fluvia.io.Checkpoint;
import dev.fluvia.param.Param;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The embedding API: one shared model, every input form, typed errors, concurrency, close. */
class FlowModelTest {
    static final int D = 3;
    static Path file;
    static FlowModel model;
    static float[] points;
    static float[] reference;  // serial, one call

    /** Builds the shared model once (BatchingScorerTest uses it too). */
    @BeforeAll static synchronized void setUp() throws java.io.IOException {
        if (model != null) return;
        Path dir = java.nio.file.Files.createTempDirectory("fluvia-serve");
        dir.toFile().deleteOnExit();
        try (CpuBackend be = new CpuBackend(2)) {
            Flow f = Presets.build("realnvp", be, D, new PresetOptions(4, 16, 1, null, null, 0f, null, 7L),
                    new float[] {0.5f, -1f, 2f}, new float[] {1.5f, 0.7f, 2f});
            SplittableRandom r = new SplittableRandom(3);
            for (Param p : f.params()) {  // move off the initialisation so that every layer matters
                if (!p.trainable()) continue;
                float[] v = be.toHost(p.value());
                for (int i = 0; i < v.length; i++) v[i] += (float) ((r.nextDouble() * 2 - 1) * 0.2);
                be.upload(v, p.value());
            }
            file = dir.resolve("model.safetensors");
            Checkpoint.save(file, f, null, null);
            file.toFile().deleteOnExit();
        }
        model = FlowModel.load(file);
        SplittableRandom r = new SplittableRandom(11);
        points = new float[500 * D];
        for (int i = 0; i < points.length; i++) points[i] = (float) (2 * CpuBackend.gaussian(r));
        reference = model.logProb(points, 500);
    }


    static float[] row(int r) { float[] x = new float[D]; System.arraycopy(points, r * D, x, 0, D); return x; }

    @Test void everyInputFormGivesTheSameLogProb() {
        for (int r : new int[] {0, 1, 77, 499}) assertEquals(reference[r], model.logProb(row(r)), 0f, "single row " + r);
        // every batch size, on either side of the few-row path (8 rows) and of the row-block path's blocks (32 rows), gives
        // the same bits: a partition's tail block scores as the whole batch does
        for (int n : new int[] {5, 8, 9, 20, 31, 32, 33, 100})
            assertArrayEquals(java.util.Arrays.copyOf(reference, n), model.logProb(java.util.Arrays.copyOf(points, n * D), n), 0f, "a batch of " + n);
        float[][] rows = new float[500][];
        for (int r = 0; r < 500; r++) rows[r] = row(r);
        assertArrayEquals(reference, model.logProb(rows), 0f);
        try (Arena a = Arena.ofShared()) {  // zero-copy: the CPU backend reads the caller's segment in place
            MemorySegment in = a.allocateFrom(ValueLayout.JAVA_FLOAT, points), out = a.allocate(500 * 4L);
            model.logProb(in, 500, out);
            assertArrayEquals(reference, out.toArray(ValueLayout.JAVA_FLOAT), 0f);
        }
        try (Arena a = Arena.ofConfined()) {  // a confined segment is copied, not handed to worker threads
            MemorySegment in = a.allocateFrom(ValueLayout.JAVA_FLOAT, points), out = a.allocate(500 * 4L);
            model.logProb(in, 500, out);
            assertArrayEquals(reference, out.toArray(ValueLayout.JAVA_FLOAT), 0f);
        }
        FloatBuffer in = ByteBuffer.allocateDirect(points.length * 4).order(ByteOrder.nativeOrder()).asFloatBuffer().put(points).flip();
        FloatBuffer out = ByteBuffer.allocateDirect(500 * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
        model.logProb(in, out);
        assertEquals(0, in.remaining());
        assertEquals(500, out.position());
        float[] got = new float[500];
        out.flip().get(got);
        assertArrayEquals(reference, got, 0f);
        FloatBuffer heapIn = FloatBuffer.wrap(points.clone()), heapOut = FloatBuffer.allocate(500);
        model.logProb(heapIn, heapOut);
        assertArrayEquals(reference, heapOut.array(), 0f);
    }

    @Test void badInputGetsATypedErrorNamingRowAndColumn() {
        ShapeException w = assertThrows(ShapeException.class, () -> model.logProb(new float[] {1f, 2f}));
        assertTrue(w.getMessage().contains("row 0 has 2 values, the model takes 3"), w.getMessage());
        float[][] rows = {row(0), row(1), {0f, Float.NaN, 1f}};
        NonFiniteException nan = assertThrows(NonFiniteException.class, () -> model.logProb(rows));
        assertTrue(nan.getMessage().contains("row 2, column 1 is NaN"), nan.getMessage());
        ShapeException nul = assertThrows(ShapeException.class, () -> model.logProb(new float[][] {row(0), null}));
        assertTrue(nul.getMessage().contains("row 1 is null"), nul.getMessage());
        assertThrows(ShapeException.class, () -> model.logProb(new float[7], 2));
        float[] inf = points.clone();
        inf[3 * D + 2] = Float.POSITIVE_INFINITY;
        NonFiniteException e = assertThrows(NonFiniteException.class, () -> model.logProb(inf, 500));
        assertTrue(e.getMessage().contains("row 3, column 2"), e.getMessage());
        try (Arena a = Arena.ofConfined()) {
            assertThrows(ShapeException.class, () -> model.logProb(a.allocate(8), 1, a.allocate(4)));  // 2 floats for a row of 3
        }
        assertThrows(IllegalArgumentException.class, () -> model.sample(3, 0f, 1L));
        assertThrows(ShapeException.class, () -> model.sample(-1, 1f, 1L));
    }

    @Test void sampleEncodeDecodeRoundTrip() {
        float[] xs = model.sample(64, 0.8f, 5L);
        assertArrayEquals(xs, model.sample(64, 0.8f, 5L), 0f, "a seed gives the same samples");
        float[] z = model.encode(xs, 64);
        float[] back = model.decode(z, 64);
        for (int i = 0; i < xs.length; i++) assertEquals(xs[i], back[i], 1e-4 + 1e-4 * Math.abs(xs[i]));
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(64L * D * 4);
            model.sample(64, 0.8f, 5L, out);
            assertArrayEquals(xs, out.toArray(ValueLayout.JAVA_FLOAT), 0f);
        }
    }

    @Test void oneModelServesManyThreadsBitIdenticallyToSerial() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(16);
        try {
            List<Future<Boolean>> fs = new ArrayList<>();
            for (int t = 0; t < 16; t++) {
                int seed = t;
                fs.add(pool.submit(() -> {
                    SplittableRandom r = new SplittableRandom(seed);
                    for (int i = 0; i < 100; i++) {
                        int a = r.nextInt(500), n = 1 + r.nextInt(Math.min(40, 500 - a));
                        float[] sub = new float[n * D];
                        System.arraycopy(points, a * D, sub, 0, n * D);
                        float[] lp = n == 1 ? new float[] {model.logProb(sub)} : model.logProb(sub, n);
                        for (int k = 0; k < n; k++) if (Float.floatToIntBits(lp[k]) != Float.floatToIntBits(reference[a + k])) return false;
                    }
                    return true;
                }));
            }
            for (Future<Boolean> f : fs) assertTrue(f.get(), "a concurrent call differs from the serial result");
        } finally {
            pool.shutdownNow();
        }
    }

    @Test void aClosedModelSaysSo() {
        FlowModel m = FlowModel.load(file);
        assertEquals(D, m.dimension());
        m.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> m.logProb(row(0)));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        m.close();  // idempotent
    }
}
