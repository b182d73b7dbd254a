package dev.fluvia.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fluvia.backend.Backend;
import dev.fluvia.backend.Scope;
import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.backend.reduce.StepStatus;
import dev.fluvia.distributions.StandardNormal;
import dev.fluvia.flow.Flow;
import dev.fluvia.flow.MemoryMode;
import dev.fluvia.param.Param;
import dev.fluvia.tensor.Tensor;
import dev.fluvia.transforms.Transform;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The device-driven training step (one {@link StepStatus}: loss, finiteness, Σg², clip factor and skip flag computed where
 * the backend computes, the optimizer reading them there, one read per step) against the host-decided step it replaces
 * (loss and gradient status read back, {@link GradClip#scaleTo}, {@link Optimizer#step(double)}): bit for bit on the CPU,
 * with clipping active, both optimizers, a NaN gradient and an infinite loss.
 */
class DeviceStepTest {

    private static Flow flow(Backend be) {
        List<Transform> ts = TrainFixtures.couplings(be, 3, 8, 4);
        ts.set(1, new TrainFixtures.Faulty(be, ts.get(1), Set.of(4), Integer.MAX_VALUE, Set.of(6)));
        return new Flow(be, new StandardNormal(be, 2), ts);
    }

    private static void run(String optimizer, double clip) {
        try (CpuBackend be = new CpuBackend(2)) {
            Flow host = flow(be), dev = flow(be);
            TrainConfig cfg = TrainConfig.builder().optimizer(optimizer).lr(2e-2).clipNorm(clip).batchSize(64).steps(10).build();
            Map<String, Param> ph = ParamKeys.trainable(host), pd = ParamKeys.trainable(dev);
            Optimizer oh = Optimizer.create(cfg, be, ph), od = Optimizer.create(cfg, be, pd);
            List<Tensor> gh = ph.values().stream().map(Param::grad).toList(), gd = pd.values().stream().map(Param::grad).toList();
            float[] data = TrainFixtures.gaussian2d(64 * 10, 9);
            int clipped = 0, skipped = 0;
            try (StepStatus st = be.reduce().stepStatus()) {
                for (int step = 1; step <= 10; step++) {
                    float[] batch = Arrays.copyOfRange(data, (step - 1) * 128, step * 128);
                    double lr = 2e-2 / step;
                    double lossHost, lossDev;
                    boolean goodHost;
                    try (Scope s = be.scope()) {
                        Tensor xh = be.fromHost(batch, host.batchShape(64)), xd = be.fromHost(batch, dev.batchShape(64));
                        if (step == 1) { host.initialize(xh); dev.initialize(xd); }
                        // the host-decided step (the trainer before the step status)
                        host.zeroGrad();
                        lossHost = Nll.INSTANCE.forwardBackward(host, xh, MemoryMode.STORE);
                        double[] gs = be.reduce().gradStatus(gh);
                        goodHost = Double.isFinite(lossHost) && gs[0] == 0;
                        if (goodHost) {
                            if (clip > 0 && Math.sqrt(gs[1]) > clip) clipped++;
                            GradClip.scaleTo(be, ph.values(), clip, Math.sqrt(gs[1]));
                            oh.step(lr);
                        }
                        // the device-driven step
                        dev.zeroGrad();
                        st.begin(lr, od.stepCount() + 1);
                        Nll.INSTANCE.forwardBackward(dev, xd, MemoryMode.STORE, st);
                        be.reduce().gradStatusInto(gd, st);
                        be.reduce().clipScale(st, clip);
                        od.step(st);
                        double[] r = st.read();
                        lossDev = r[StepStatus.LOSS];
                        assertEquals(goodHost, r[StepStatus.SKIP] == 0, "step " + step + " skip flag");
                        if (r[StepStatus.SKIP] == 0) od.countStep();
                        else skipped++;
                    }
                    assertEquals(Double.doubleToRawLongBits(lossHost), Double.doubleToRawLongBits(lossDev), "step " + step + " loss");
                    assertEquals(oh.stepCount(), od.stepCount());
                    Map<String, float[]> a = ParamKeys.export(host), b = ParamKeys.export(dev);
                    for (String k : a.keySet()) assertArrayEquals(a.get(k), b.get(k), "step " + step + " " + k);
                    OptimizerState sa = oh.exportState(), sb = od.exportState();
                    for (String k : sa.tensors().keySet()) assertArrayEquals(sa.tensors().get(k), sb.tensors().get(k), "step " + step + " " + k);
                }
            }
            assertEquals(2, skipped, "the NaN gradient and the infinite loss are skipped");
            if (clip > 0) assertTrue(clipped > 0, "clipping was active");
        }
    }

    @Test void adamWithClippingEqualsTheHostDecidedStepBitForBit() { run("adam", 0.05); }

    @Test void adamaxWithClippingEqualsTheHostDecidedStepBitForBit() { run("adamax", 0.05); }

    @Test void adamWithoutClippingEqualsTheHostDecidedStepBitForBit() { run("adam", 0); }

    @Test void aStatusOfAnotherBackendIsRejected() {
        try (CpuBackend be = new CpuBackend(1)) {
            StepStatus foreign = new StepStatus() {
                @Override public void begin(double lr, int t) {}
                @Override public void set(int slot, double value) {}
                @Override public double[] read() { return new double[SLOTS]; }
                @Override public void close() {}
            };
            Tensor t = be.fromHost(new float[] {1, 2}, 2);
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> be.reduce().sumInto(t, 1, foreign, StepStatus.LOSS));
            assertTrue(e.getMessage().contains("another backend"), e.getMessage());
            assertFalse(e.getMessage().isEmpty());
        }
    }
}
