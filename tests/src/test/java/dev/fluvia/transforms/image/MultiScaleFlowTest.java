package dev.fluvia.transforms.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fluvia.FluviaException.ShapeException;
import dev.fluvia.backend.CouplingScale;
import dev.fluvia.backend.Scope;
import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.distributions.StandardNormal;
import dev.fluvia.flow.Flow;
import dev.fluvia.flow.MemoryMode;
import dev.fluvia.io.Checkpoint;
import dev.fluvia.param.Param;
import dev.fluvia.tensor.Tensor;
import dev.fluvia.transforms.ActNorm;
import dev.fluvia.transforms.Transform;
import dev.fluvia.train.Nll;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A small multi-scale flow (logit → squeeze → steps → split → squeeze → steps) built from the classes. */
class MultiScaleFlowTest {
    static final CpuBackend be = new CpuBackend(2);

    @AfterAll static void close() { be.close(); }

    static Flow flow() {
        SplittableRandom r = new SplittableRandom(9);
        List<Transform> ts = new ArrayList<>();
        ts.add(new LogitPreprocess(be, new int[] {2, 4, 4}, 0.05f));
        ts.add(new Squeeze(be, 2, 4, 4));                                   // [8, 2, 2]
        ts.add(new ActNorm(be, 8, 2, 2));
        ts.add(new InvertibleConv1x1(be, new int[] {8, 2, 2}, 3));
        ts.add(new ImageAffineCoupling(be, new int[] {8, 2, 2}, "channel", 0, CouplingScale.SIGMOID, 2f, "glow", 6, 0, r));
        ts.add(new ImageAffineCoupling(be, new int[] {8, 2, 2}, "checkerboard", 1, CouplingScale.SOFTCLAMP, 2f, "resnet", 4, 1, r));
        ts.add(new Split(be, new int[] {8, 2, 2}, "conditional", r));       // [4, 2, 2]
        ts.add(new Squeeze(be, 4, 2, 2));                                   // [16, 1, 1]
        ts.add(new Conv1x1(be, new int[] {16, 1, 1}, 4));
        ts.add(new ImageAffineCoupling(be, new int[] {16, 1, 1}, "channel", 1, CouplingScale.SOFTCLAMP, 2f, "glow", 6, 0, r));
        Flow f = new Flow(be, new StandardNormal(be, 16, 1, 1), ts);
        // move every trainable parameter off its (identity) initialisation
        SplittableRandom j = new SplittableRandom(4);
        for (Param p : f.params()) {
            if (!p.trainable()) continue;
            float[] v = be.toHost(p.value());
            for (int i = 0; i < v.length; i++) v[i] += (float) ((j.nextDouble() * 2 - 1) * 0.1);
            be.upload(v, p.value());
        }
        return f;
    }

    static Tensor data(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n * 32];
        for (int i = 0; i < x.length; i++) x[i] = (float) (0.05 + 0.9 * r.nextDouble());
        return be.fromHost(x, n, 2, 4, 4);
    }

    static List<float[]> grads(Flow f) {
        List<float[]> g = new ArrayList<>();
        for (Param p : f.params()) if (p.grad() != null) g.add(be.toHost(p.grad()));
        return g;
    }

    @Test void shapesChain() {
        Flow f = flow();
        assertArrayEquals(new int[] {2, 4, 4}, f.eventShape());
        assertArrayEquals(new int[] {16, 1, 1}, f.latentShape());
        var e = assertThrows(ShapeException.class, () -> new Flow(be, new StandardNormal(be, 2, 4, 4), List.of(new Squeeze(be, 2, 4, 4))));
        assertTrue(e.getMessage().contains("base distribution"), e.getMessage());
        e = assertThrows(ShapeException.class, () -> new Flow(be, new StandardNormal(be, 8, 2, 2),
                List.of(new Squeeze(be, 2, 4, 4), new ActNorm(be, 2, 4, 4))));
        assertTrue(e.getMessage().contains("layer 1 (actnorm)"), e.getMessage());
    }

    @Test void storeEqualsRecompute() {
        Flow f = flow();
        Tensor x = data(6, 1);
        f.zeroGrad();
        double nllStore = Nll.INSTANCE.forwardBackward(f, x, MemoryMode.STORE);
        List<float[]> gs = grads(f);
        f.zeroGrad();
        double nllRe = Nll.INSTANCE.forwardBackward(f, x, MemoryMode.RECOMPUTE);
        List<float[]> gr = grads(f);
        assertEquals(nllStore, nllRe, 1e-9);
        double maxAbs = 0, maxG = 0;
        for (int k = 0; k < gs.size(); k++)
            for (int i = 0; i < gs.get(k).length; i++) {
                maxAbs = Math.max(maxAbs, Math.abs(gs.get(k)[i] - gr.get(k)[i]));
                maxG = Math.max(maxG, Math.abs(gs.get(k)[i]));
            }
        assertTrue(maxG > 1e-3, "gradients are not trivially zero");
        assertTrue(maxAbs <= 1e-5 * Math.max(1, maxG), "STORE vs RECOMPUTE gradient difference " + maxAbs);
        // the NLL equals −mean log p from logProb
        float[] lp = be.toHost(f.logProb(x));
        double mean = 0;
        for (float v : lp) mean -= v / lp.length;
        assertEquals(mean, nllStore, 1e-5 * Math.abs(mean) + 1e-5);
    }

    @Test void encodeDecodeRoundTrip() {
        Flow f = flow();
        try (Scope s = be.scope()) {
            Tensor x = data(3, 2);
            List<Tensor> lat = f.encode(x);
            assertEquals(2, lat.size());
            assertEquals("[3, 4, 2, 2]", lat.get(0).shapeString());
            assertEquals("[3, 16, 1, 1]", lat.get(1).shapeString());
            float[] back = be.toHost(f.decode(lat)), xh = be.toHost(x);
            for (int i = 0; i < xh.length; i++) assertEquals(xh[i], back[i], 1e-4, "element " + i);
            assertThrows(ShapeException.class, () -> f.decode(List.of(lat.get(1))));
        }
    }

    /** The flow is a composite of levels: each level's steps, then its split; the latents leave through the result. */
    @Test void levelsHoldTheStepsAndTheSplits() {
        Flow f = flow();
        assertEquals(2, f.levels().size());
        Flow.Level first = f.levels().get(0), top = f.levels().get(1);
        assertEquals(List.of("logit", "squeeze", "actnorm", "lu_conv1x1", "image_affine_coupling", "image_affine_coupling"),
                first.steps().stream().map(Transform::kind).toList());
        assertTrue(first.exit() instanceof Split);
        assertEquals(List.of("squeeze", "conv1x1", "image_affine_coupling"), top.steps().stream().map(Transform::kind).toList());
        assertEquals(null, top.exit());
        assertEquals(List.of("[4, 2, 2]", "[16, 1, 1]"), f.latentShapes().stream().map(Arrays::toString).toList());
        // the same flow rebuilt from its levels has the same layers, in the same order
        Flow g = Flow.ofLevels(be, f.base(), f.levels());
        assertEquals(f.transforms(), g.transforms());
        var e = assertThrows(ShapeException.class, () -> Flow.ofLevels(be, f.base(), List.of(top, first)));
        assertTrue(e.getMessage().contains("split layer"), e.getMessage());
        try (Scope s = be.scope()) {
            Tensor x = data(3, 2);
            Flow.Result r = f.forward(x);
            assertEquals(1, r.factored().size());
            assertEquals("[3, 4, 2, 2]", r.factored().get(0).shapeString());
            // the inverse needs the factored-out latent: without it, a clear error; with it, the data back
            var missing = assertThrows(ShapeException.class, () -> f.inverse(r.out()));
            assertTrue(missing.getMessage().contains("split layer") && missing.getMessage().contains("decode"), missing.getMessage());
            float[] back = be.toHost(f.inverse(r.out(), r.factored()).out()), xh = be.toHost(x);
            for (int i = 0; i < xh.length; i++) assertEquals(xh[i], back[i], 1e-4, "element " + i);
        }
    }

    @Test void sampleShapeAndDeterminism() {
        Flow f = flow();
        try (Scope s = be.scope()) {
            Tensor a = f.sample(4, 0.7f, 42), b = f.sample(4, 0.7f, 42), c = f.sample(4, 0.7f, 43);
            assertEquals("[4, 2, 4, 4]", a.shapeString());
            assertArrayEquals(be.toHost(a), be.toHost(b));
            assertFalse(Arrays.equals(be.toHost(a), be.toHost(c)));
            for (float v : be.toHost(a)) assertTrue(v > -0.06f && v < 1.06f, "logit inverse keeps samples in range: " + v);
        }
    }

    @Test void checkpointRoundTripIsBitIdentical(@TempDir Path dir) {
        Flow f = flow();
        Tensor x = data(5, 3);
        float[] before = be.toHost(f.logProb(x));
        Path p = dir.resolve("img.safetensors");
        Checkpoint.save(p, f, null, null);
        Flow g = Checkpoint.load(p, be).flow();
        assertArrayEquals(before, be.toHost(g.logProb(x)));
        assertArrayEquals(be.toHost(f.sample(2, 1f, 5)), be.toHost(g.sample(2, 1f, 5)));
    }
}
