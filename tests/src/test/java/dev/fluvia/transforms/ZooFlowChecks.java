package dev.fluvia.transforms;

import static dev.fluvia.oracle.FlowGradientCheck.nll;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.data.Dataset;
import dev.fluvia.data.Generators;
import dev.fluvia.data.Standardization;
import dev.fluvia.flow.Flow;
import dev.fluvia.flow.MemoryMode;
import dev.fluvia.flow.PresetOptions;
import dev.fluvia.flow.Presets;
import dev.fluvia.io.Checkpoint;
import dev.fluvia.io.Registry;
import dev.fluvia.oracle.FlowGradientCheck;
import dev.fluvia.param.Param;
import dev.fluvia.param.Stash;
import dev.fluvia.tensor.Tensor;
import dev.fluvia.train.Adam;
import dev.fluvia.train.Nll;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/** Checks shared by the planar and radial flow tests: Registry round trip, checkpoint save/load, flow gradients, a tiny training run. */
final class ZooFlowChecks {
    private ZooFlowChecks() {}

    static void jitter(CpuBackend be, List<Param> ps, double amount, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        for (Param p : ps) {
            if (!p.trainable()) continue;
            float[] v = be.toHost(p.value());
            for (int i = 0; i < v.length; i++) v[i] += (float) ((r.nextDouble() * 2 - 1) * amount);
            be.upload(v, p.value());
        }
    }

    /** The layer rebuilds from its serialised config through the Registry and, with its parameters copied by name, computes the same map. */
    static void registryRoundTrip(CpuBackend be, Transform t) throws Exception {
        ObjectMapper json = new ObjectMapper();
        ObjectNode cfg = (ObjectNode) json.readTree(json.writeValueAsString(Registry.config(t)));
        Transform u = Registry.transform(be, t.kind(), cfg);
        assertEquals(t.kind(), u.kind());
        assertArrayEquals(t.eventShape(), u.eventShape());
        List<Param> a = t.params(), b = u.params();
        assertEquals(a.size(), b.size());
        for (int i = 0; i < a.size(); i++) {
            assertEquals(a.get(i).name(), b.get(i).name());
            be.copy(a.get(i).value(), b.get(i).value());
        }
        int d = t.eventShape()[0];
        SplittableRandom r = new SplittableRandom(3);
        float[] xh = new float[4 * d];
        for (int i = 0; i < xh.length; i++) xh[i] = (float) CpuBackend.gaussian(r);
        Tensor x = be.fromHost(xh, 4, d), la = be.alloc(4), lb = be.alloc(4);
        assertArrayEquals(be.toHost(t.forward(x, la, Stash.none())), be.toHost(u.forward(x, lb, Stash.none())));
        assertArrayEquals(be.toHost(la), be.toHost(lb));
    }

    /** A preset stack (with a standardisation layer) saved and loaded gives bit-identical log p and samples. */
    static void checkpointRoundTrip(String preset, Path dir) {
        CpuBackend be = new CpuBackend(1);
        Dataset data = Generators.generate("moons", 64, 5);
        Standardization st = Standardization.fit(data);
        Flow f = Presets.build(preset, be, 2, PresetOptions.defaults().withLayers(4).withSeed(7), st.mean(), st.std());
        jitter(be, f.params(), 0.3, 8);
        Path p = dir.resolve(preset + ".safetensors");
        Checkpoint.save(p, f, new ObjectMapper().createObjectNode().put("step", 1), Map.of());
        Flow g = Checkpoint.load(p, new CpuBackend(1)).flow();
        assertEquals(f.transforms().size(), g.transforms().size());
        float[] before = f.logProb(data.data(), data.n()), after = g.logProb(data.data(), data.n());
        for (int i = 0; i < before.length; i++) {
            assertTrue(Float.isFinite(before[i]), "log p[" + i + "] = " + before[i]);
            assertEquals(Float.floatToRawIntBits(before[i]), Float.floatToRawIntBits(after[i]), "sample " + i);
        }
        assertArrayEquals(f.sampleHost(10, 1f, 3), g.sampleHost(10, 1f, 3));
    }

    /** A stack of the layers inside a flow: the NLL gradient of every parameter against central differences. */
    static void flowGradients(String preset) {
        CpuBackend be = new CpuBackend(1);
        Flow f = Presets.build(preset, be, 3, PresetOptions.defaults().withLayers(3).withSeed(11), null, null);
        jitter(be, f.params(), 0.3, 12);
        int n = 7;
        float[] x = new float[n * 3];
        SplittableRandom r = new SplittableRandom(13);
        for (int i = 0; i < x.length; i++) x[i] = (float) (1.5 * CpuBackend.gaussian(r));
        f.zeroGrad();
        double loss = Nll.INSTANCE.forwardBackward(f, be.fromHost(x, n, 3), MemoryMode.STORE);
        assertEquals(nll(f, x, n), loss, 1e-5);
        int checked = 0;
        for (Param p : f.params()) {
            if (!p.trainable()) continue;
            checked += FlowGradientCheck.centralDifferences(be, f, p, be.toHost(p.grad()), x, n, 4);
        }
        assertTrue(checked >= 9, "checked " + checked);
        // recompute mode (empty stash) gives the same loss and gradients
        java.util.List<float[]> ga = new java.util.ArrayList<>();
        for (Param p : f.params()) ga.add(p.grad() == null ? null : be.toHost(p.grad()));
        f.zeroGrad();
        assertEquals(loss, Nll.INSTANCE.forwardBackward(f, be.fromHost(x, n, 3), MemoryMode.RECOMPUTE), 1e-6);
        for (int k = 0; k < ga.size(); k++)
            if (ga.get(k) != null) assertArrayEquals(ga.get(k), be.toHost(f.params().get(k).grad()), 1e-5f);
    }

    /** A few hundred Adam steps on standardised 2-D data: the held-out NLL falls clearly. @return {before, after} */
    static double[] train(String preset, String dataset, int layers, int steps, double lr) {
        CpuBackend be = new CpuBackend(1);
        Dataset train = Generators.generate(dataset, 2000, 21), test = Generators.generate(dataset, 1000, 22);
        Standardization st = Standardization.fit(train);
        Flow f = Presets.build(preset, be, 2, PresetOptions.defaults().withLayers(layers).withSeed(23), st.mean(), st.std());
        Map<String, Param> ps = new LinkedHashMap<>();
        int k = 0;
        for (Param p : f.params()) if (p.trainable()) ps.put("p" + k++, p);
        Adam opt = new Adam(be, ps, 0.9f, 0.999f, 1e-8f, 0f);
        double before = nll(f, test.data(), test.n());
        SplittableRandom r = new SplittableRandom(24);
        int batch = 128;
        float[] xb = new float[batch * 2];
        double last = Double.NaN;
        for (int s = 0; s < steps; s++) {
            for (int i = 0; i < batch; i++) {
                int j = r.nextInt(train.n());
                xb[2 * i] = train.data()[2 * j];
                xb[2 * i + 1] = train.data()[2 * j + 1];
            }
            f.zeroGrad();
            last = Nll.INSTANCE.forwardBackward(f, be.fromHost(xb, batch, 2), MemoryMode.STORE);
            assertTrue(Double.isFinite(last), "step " + s + ": loss " + last);
            opt.step(lr);
        }
        double after = nll(f, test.data(), test.n());
        System.out.printf("[ZooFlowChecks] %s on %s, %d layers, %d steps: held-out NLL %.4f -> %.4f (last batch %.4f)%n",
                preset, dataset, layers, steps, before, after, last);
        return new double[] {before, after};
    }
}
