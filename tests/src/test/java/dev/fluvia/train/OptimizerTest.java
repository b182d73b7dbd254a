package dev.fluvia.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.fluvia.FluviaException.CheckpointException;
import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.param.Param;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Adam and Adamax against a float64 scalar reference written out from the papers' update rules. */
class OptimizerTest {
    static final float[] P0 = {0.5f, -1.25f, 2.0f, 0.0f};
    /** Gradients for steps 1..5, one row per step, with sign changes and a zero. */
    static final float[][] G = {
            {0.1f, -0.2f, 3.0f, 0.0f},
            {-0.3f, 0.4f, 2.5f, 1e-3f},
            {0.2f, 0.0f, -1.0f, -0.5f},
            {0.05f, -0.7f, 0.1f, 2.0f},
            {-0.6f, 0.3f, 0.0f, -0.25f}};

    private static Map<String, Param> oneParam(CpuBackend be) {
        Map<String, Param> m = new LinkedHashMap<>();
        m.put("layers.0.w", Param.of(be, "w", P0.clone(), true, 2, 2));
        return m;
    }

    @Test void adamMatchesScalarReferenceWithBiasCorrectionAndDecoupledDecay() {
        for (float wd : new float[] {0f, 0.1f}) {
            CpuBackend be = new CpuBackend(1);
            Map<String, Param> ps = oneParam(be);
            Param p = ps.get("layers.0.w");
            double b1 = 0.9, b2 = 0.99, eps = 1e-8, lr = 0.01;
            Adam opt = new Adam(be, ps, (float) b1, (float) b2, (float) eps, wd);
            double[] ref = new double[4], m = new double[4], v = new double[4];
            for (int i = 0; i < 4; i++) ref[i] = P0[i];
            for (int t = 1; t <= G.length; t++) {
                be.upload(G[t - 1], p.grad());
                opt.step(lr);
                for (int i = 0; i < 4; i++) {
                    double g = G[t - 1][i];
                    m[i] = b1 * m[i] + (1 - b1) * g;
                    v[i] = b2 * v[i] + (1 - b2) * g * g;
                    double mh = m[i] / (1 - Math.pow(b1, t)), vh = v[i] / (1 - Math.pow(b2, t));
                    ref[i] -= lr * (mh / (Math.sqrt(vh) + eps) + wd * ref[i]);
                }
                float[] got = be.toHost(p.value());
                for (int i = 0; i < 4; i++) assertEquals(ref[i], got[i], 2e-6 * (1 + Math.abs(ref[i])), "wd " + wd + " step " + t + " elem " + i);
            }
            assertEquals(G.length, opt.stepCount());
            // first Adam step moves every element with a non-zero gradient by ≈ lr (the bias-corrected ratio is ±1)
        }
    }

    @Test void adamaxMatchesScalarReference() {
        CpuBackend be = new CpuBackend(1);
        Map<String, Param> ps = oneParam(be);
        Param p = ps.get("layers.0.w");
        double b1 = 0.9, b2 = 0.999, eps = 1e-8, lr = 0.002;
        Adamax opt = new Adamax(be, ps, (float) b1, (float) b2, (float) eps);
        double[] ref = new double[4], m = new double[4], u = new double[4];
        for (int i = 0; i < 4; i++) ref[i] = P0[i];
        for (int t = 1; t <= G.length; t++) {
            be.upload(G[t - 1], p.grad());
            opt.step(lr);
            for (int i = 0; i < 4; i++) {
                double g = G[t - 1][i];
                m[i] = b1 * m[i] + (1 - b1) * g;
                u[i] = Math.max(b2 * u[i], Math.abs(g));
                ref[i] -= lr / (1 - Math.pow(b1, t)) * m[i] / (u[i] + eps);
            }
            float[] got = be.toHost(p.value());
            for (int i = 0; i < 4; i++) assertEquals(ref[i], got[i], 2e-6 * (1 + Math.abs(ref[i])), "step " + t + " elem " + i);
        }
    }

    @Test void exportedStateContinuesBitIdentically() {
        for (String kind : new String[] {"adam", "adamax"}) {
            TrainConfig cfg = TrainConfig.builder().optimizer(kind).build();
            CpuBackend be = new CpuBackend(1);
            Map<String, Param> a = oneParam(be), b = oneParam(be);
            Optimizer oa = Optimizer.create(cfg, be, a), ob = Optimizer.create(cfg, be, b);
            for (int t = 0; t < 2; t++) { be.upload(G[t], a.get("layers.0.w").grad()); oa.step(1e-2); }
            OptimizerState st = oa.exportState();
            assertEquals(2, st.step());
            assertEquals(kind, st.kind());
            be.upload(be.toHost(a.get("layers.0.w").value()), b.get("layers.0.w").value());
            ob.importState(st);
            for (int t = 2; t < G.length; t++) {
                be.upload(G[t], a.get("layers.0.w").grad()); oa.step(1e-2);
                be.upload(G[t], b.get("layers.0.w").grad()); ob.step(1e-2);
            }
            assertArrayEquals(be.toHost(a.get("layers.0.w").value()), be.toHost(b.get("layers.0.w").value()), kind);
        }
    }

    @Test void importRejectsMismatchedState() {
        CpuBackend be = new CpuBackend(1);
        Optimizer adam = Optimizer.create(TrainConfig.builder().build(), be, oneParam(be));
        Optimizer adamax = Optimizer.create(TrainConfig.builder().optimizer("adamax").build(), be, oneParam(be));
        assertThrows(CheckpointException.class, () -> adam.importState(adamax.exportState()));
        OptimizerState st = adam.exportState();
        Map<String, float[]> bad = new LinkedHashMap<>(st.tensors());
        bad.put("layers.0.w.m", new float[3]);
        assertThrows(CheckpointException.class, () -> adam.importState(new OptimizerState("adam", 1, bad)));
        bad.remove("layers.0.w.m");
        assertThrows(CheckpointException.class, () -> adam.importState(new OptimizerState("adam", 1, bad)));
    }

    @Test void badHyperparametersAreRejected() {
        assertThrows(InvalidConfigException.class, () -> TrainConfig.builder().beta1(1f).build());
        assertThrows(InvalidConfigException.class, () -> TrainConfig.builder().lr(0).build());
        assertThrows(InvalidConfigException.class, () -> TrainConfig.builder().optimizer("adamax").weightDecay(0.1f).build());
        assertThrows(dev.fluvia.FluviaException.UnknownNameException.class, () -> TrainConfig.builder().optimizer("sgd").build());
    }
}
