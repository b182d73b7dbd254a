package dev.fluvia.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.flow.Flow;
import dev.fluvia.flow.PresetOptions;
import dev.fluvia.flow.Presets;
import dev.fluvia.param.Param;
import dev.fluvia.transforms.ActNorm;
import dev.fluvia.transforms.Transform;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A Glow preset's ActNorm layers are initialised once; after save → load, a new initialize() call changes nothing. */
class ActNormCheckpointTest {
    @TempDir Path dir;

    static float[] batch(int n, int d, long seed, double scale, double shift) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n * d];
        for (int i = 0; i < x.length; i++) x[i] = (float) (shift + scale * CpuBackend.gaussian(r));
        return x;
    }

    @Test void loadingNeverReinitialises() {
        CpuBackend be = new CpuBackend(1);
        Flow flow = Presets.build("glow", be, 3, PresetOptions.defaults().withLayers(2).withHidden(8).withSeed(3), null, null);
        flow.initialize(be.fromHost(batch(64, 3, 1, 3.0, 5.0), 64, 3));
        Path f = dir.resolve("glow.safetensors");
        Checkpoint.save(f, flow, null, null);
        Flow loaded = Checkpoint.load(f, be).flow();
        int actnorms = 0;
        for (Transform t : loaded.transforms()) if (t instanceof ActNorm a) { assertTrue(a.isInitialized()); actnorms++; }
        assertTrue(actnorms == 2);
        float[][] before = loaded.params().stream().map(p -> be.toHost(p.value())).toArray(float[][]::new);
        loaded.initialize(be.fromHost(batch(64, 3, 2, 0.1, -4.0), 64, 3)); // very different statistics
        int i = 0;
        for (Param p : loaded.params()) assertArrayEquals(before[i++], be.toHost(p.value()), p.name());
        float[] x = batch(10, 3, 9, 2.0, 4.0);
        assertArrayEquals(flow.logProb(x, 10), loaded.logProb(x, 10));
    }
}
