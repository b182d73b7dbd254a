package dev.fluvia.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fluvia.backend.Backend;
import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.backend.cuda.CudaBackend;
import dev.fluvia.flow.ConditionalFlows;
import dev.fluvia.flow.Flow;
import dev.fluvia.flow.ImagePresets;
import dev.fluvia.flow.MemoryMode;
import dev.fluvia.param.Param;
import dev.fluvia.train.Nll;
import dev.fluvia.train.TrainConfig;
import dev.fluvia.train.TrainData;
import dev.fluvia.train.TrainResult;
import dev.fluvia.train.Trainer;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The conditional image flows (rows {@code [x | c]}, docs/FLOWS.md "Conditional flows in Fluvia") on the CUDA backend:
 * they run on the existing kernels (the context planes are a gather with repeated indices, their backward the serial
 * scatterAdd, the row moves the image family's slice/place channels), and a conditional Glow and RealNVP give the CPU's
 * log p, the CPU's gradients of the mean NLL (every parameter), the CPU's samples for a one-level flow (whose base draws
 * on the host), and a short training run that tracks the CPU's. Skips without a GPU.
 */
@Tag("gpu")
@ExtendWith(GpuSupport.class)
class ConditionalGlowGpuTest {
    static CpuBackend cpu;
    static CudaBackend gpu;

    @BeforeAll static void setUp() {
        if (!GpuSupport.requireCuda("ConditionalGlowGpuTest")) return;
        cpu = new CpuBackend(2);
        gpu = CudaBackend.create();
        dev.fluvia.cuda.emu.Emulator.schedules("inorder");   // CudaParityTest runs every kernel under every schedule
    }

    @AfterAll static void tearDown() {
        dev.fluvia.cuda.emu.Emulator.schedules(dev.fluvia.cuda.emu.Emulator.configuredSchedules());
        if (gpu != null) { gpu.close(); cpu.close(); }
    }

    static final int[] CHW = {1, 4, 4};
    static final int D = 16, K = 3;

    /** n rows [x | one-hot c]: class k is bright on column block k of the image. */
    static float[] rows(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] out = new float[n * (D + K)];
        for (int s = 0; s < n; s++) {
            int k = s % K;
            for (int i = 0; i < D; i++) {
                boolean on = (i % 4) / 2 == k % 2 || k == 2;
                out[s * (D + K) + i] = (float) Math.min(0.97, Math.max(0.03, (on ? 0.75 : 0.25) + 0.1 * (r.nextDouble() - 0.5)));
            }
            out[s * (D + K) + D + k] = 1f;
        }
        return out;
    }

    static Flow build(Backend be, String preset, int levels) {
        return ConditionalFlows.image(preset, be, CHW, K, ImagePresets.Options.defaults().withLevels(levels).withStepsPerLevel(2).withWidth(8).withSeed(4));
    }

    /** The same flow on both backends, data-initialised on the CPU, jittered, and copied over. */
    static Flow[] pair(String preset, int levels, float[] x, int n) {
        Flow fc = build(cpu, preset, levels), fg = build(gpu, preset, levels);
        fc.initialize(cpu.fromHost(x, n, D + K));
        SplittableRandom pr = new SplittableRandom(9);
        for (Param q : fc.params()) {
            if (!q.trainable()) continue;
            float[] v = cpu.toHost(q.value());
            for (int i = 0; i < v.length; i++) v[i] += (float) ((pr.nextDouble() * 2 - 1) * 0.1);
            cpu.upload(v, q.value());
        }
        List<Param> a = fc.params(), b = fg.params();
        assertEquals(a.size(), b.size());
        for (int i = 0; i < a.size(); i++) gpu.upload(cpu.toHost(a.get(i).value()), b.get(i).value());
        return new Flow[] {fc, fg};
    }

    static void close(String what, float[] ref, float[] got, double atol, double rtol) {
        assertEquals(ref.length, got.length, what);
        for (int i = 0; i < ref.length; i++)
            assertTrue(Math.abs(ref[i] - got[i]) <= atol + rtol * Math.abs(ref[i]) && !Float.isNaN(got[i]),
                    what + "[" + i + "]: cpu " + ref[i] + " gpu " + got[i]);
    }

    @Test void logProbGradientsAndSamplesMatchTheCpu() {
        int n = 24;
        float[] x = rows(n, 3);
        for (String preset : new String[] {"glow", "realnvp"}) {
            for (int levels : new int[] {1, 2}) {
                String what = preset + " L=" + levels;
                Flow[] f = pair(preset, levels, x, n);
                close(what + " log p", f[0].logProb(x, n), f[1].logProb(x, n), 1e-4, 1e-4);
                double[] loss = new double[2];
                for (int b = 0; b < 2; b++) {
                    Backend be = f[b].backend();
                    f[b].zeroGrad();
                    loss[b] = Nll.INSTANCE.forwardBackward(f[b], be.fromHost(x, n, D + K), MemoryMode.STORE);
                }
                assertEquals(loss[0], loss[1], 1e-4 * Math.max(1, Math.abs(loss[0])), what + " loss");
                List<Param> pc = f[0].params(), pg = f[1].params();
                int checked = 0;
                for (int i = 0; i < pc.size(); i++) {
                    if (!pc.get(i).trainable()) continue;
                    float[] gc = cpu.toHost(pc.get(i).grad()), gg = gpu.toHost(pg.get(i).grad());
                    double scale = 0;
                    for (float v : gc) scale = Math.max(scale, Math.abs(v));
                    close(what + " grad " + pc.get(i).name(), gc, gg, 1e-4 * Math.max(1, scale), 1e-3);
                    checked++;
                }
                assertTrue(checked > 0);
                float[] c = new float[6 * K];
                for (int s = 0; s < 6; s++) c[s * K + s % K] = 1f;
                float[] sc = ConditionalFlows.sample(f[0], c, 6, 0.8f, 5), sg = ConditionalFlows.sample(f[1], c, 6, 0.8f, 5);
                if (levels == 1) close(what + " samples", sc, sg, 1e-4, 1e-3);   // the split's draws come from cuRAND on the GPU
                else for (float v : sg) assertTrue(Float.isFinite(v), what + " gpu sample " + v);
                System.out.printf(Locale.ROOT, "%s: log p, loss %.5f/%.5f, %d parameter gradients and samples match%n", what, loss[0], loss[1], checked);
            }
        }
    }

    @Test void shortTrainingTracksTheCpu() {
        int n = 192;
        float[] x = rows(n, 7);
        Flow fc = build(cpu, "glow", 2), fg = build(gpu, "glow", 2);
        List<Param> a = fc.params(), b = fg.params();
        for (int i = 0; i < a.size(); i++) gpu.upload(cpu.toHost(a.get(i).value()), b.get(i).value());
        TrainConfig cfg = TrainConfig.builder().steps(30).batchSize(64).lr(2e-3).warmupSteps(5).schedule("constant").clipNorm(50).seed(2).build();
        TrainData data = new TrainData(java.util.Arrays.copyOf(x, 160 * (D + K)), 160, java.util.Arrays.copyOfRange(x, 160 * (D + K), n * (D + K)), 32, D + K);
        TrainResult rc = new Trainer(fc, data, cfg).train(), rg = new Trainer(fg, data, cfg).train();
        double[] lc = rc.losses(), lg = rg.losses();
        assertEquals(lc.length, lg.length);
        for (int i = 0; i < lc.length; i++) {
            double scale = Math.max(1, Math.abs(lc[i]));
            assertTrue(Math.abs(lc[i] - lg[i]) <= (i < 10 ? 1e-3 : 5e-2) * scale, "step " + (i + 1) + ": cpu " + lc[i] + " gpu " + lg[i]);
        }
        System.out.printf(Locale.ROOT, "conditional glow 30 steps: loss cpu %.4f → %.4f, gpu %.4f → %.4f%n", lc[0], lc[lc.length - 1], lg[0], lg[lg.length - 1]);
        assertArrayEquals(new int[] {D + K}, fg.eventShape());
    }
}
