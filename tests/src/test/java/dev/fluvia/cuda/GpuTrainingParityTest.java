package dev.fluvia.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fluvia.backend.Activation;
import dev.fluvia.backend.Backend;
import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.backend.cuda.CudaBackend;
import dev.fluvia.data.Dataset;
import dev.fluvia.data.Generators;
import dev.fluvia.data.Splits;
import dev.fluvia.data.Standardization;
import dev.fluvia.flow.Flow;
import dev.fluvia.flow.ImagePresets;
import dev.fluvia.flow.PresetOptions;
import dev.fluvia.flow.Presets;
import dev.fluvia.param.Param;
import dev.fluvia.train.TrainConfig;
import dev.fluvia.train.TrainData;
import dev.fluvia.train.TrainResult;
import dev.fluvia.train.Trainer;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * End to end on the GPU: whole training runs on the CUDA backend track the same runs on the CPU reference, from the
 * same parameters, batches and seeds. float32 sums run in other orders on the two backends, so the runs are not
 * bit-equal and drift apart slowly: the first steps must agree to 1e-3·max(1, |loss|), every step to 5e-2·max(1, |loss|),
 * and the final validation NLL to 0.02 + 1 %. Skips without a GPU.
 */
@Tag("gpu")
@ExtendWith(GpuSupport.class)
class GpuTrainingParityTest {
    static CpuBackend cpu;
    static CudaBackend gpu;

    @BeforeAll static void setUp() {
        if (!GpuSupport.requireCuda("GpuTrainingParityTest")) return;  // no GPU in a CPU run: each test is reported skipped
        cpu = new CpuBackend(2);
        gpu = CudaBackend.create();
        // On the emulator, whole training runs use one thread schedule per launch: CudaParityTest runs
        // every kernel under all of them (race detection); here the thousands of launches only need to be right.
        dev.fluvia.cuda.emu.Emulator.schedules("inorder");
    }

    @AfterAll static void tearDown() {
        dev.fluvia.cuda.emu.Emulator.schedules(dev.fluvia.cuda.emu.Emulator.configuredSchedules());
        if (gpu != null) { gpu.close(); cpu.close(); }
    }

    /** Copies every parameter (trainable or not: ActNorm flags, LU signs) of {@code from} into {@code to}, in order. */
    static void copyParams(Flow from, Flow to) {
        List<Param> a = from.params(), b = to.params();
        assertEquals(a.size(), b.size(), "parameter count");
        for (int i = 0; i < a.size(); i++) {
            assertEquals(a.get(i).name(), b.get(i).name(), "parameter order");
            to.backend().upload(from.backend().toHost(a.get(i).value()), b.get(i).value());
        }
    }

    record Pair(TrainResult cpu, TrainResult gpu) {}

    static Pair trainBoth(Function<Backend, Flow> build, TrainData data, TrainConfig cfg, String what) {
        Flow fc = build.apply(cpu), fg = build.apply(gpu);
        copyParams(fc, fg);
        TrainResult rc = new Trainer(fc, data, cfg).train(), rg = new Trainer(fg, data, cfg).train();
        double[] lc = rc.losses(), lg = rg.losses();
        assertEquals(lc.length, lg.length, what + ": steps run");
        double worst = 0;
        for (int i = 0; i < lc.length; i++) {
            double scale = Math.max(1, Math.abs(lc[i])), d = Math.abs(lc[i] - lg[i]);
            worst = Math.max(worst, d / scale);
            assertTrue(Double.isFinite(lg[i]), what + ": GPU loss at step " + (i + 1) + " is " + lg[i]);
            double tol = i < 20 ? 1e-3 : 5e-2;
            assertTrue(d <= tol * scale, String.format(Locale.ROOT, "%s step %d: cpu loss %.6f, gpu loss %.6f", what, i + 1, lc[i], lg[i]));
        }
        StringBuilder sb = new StringBuilder(what + ": step cpu/gpu loss");
        for (int i : new java.util.TreeSet<>(List.of(0, 9, 49, lc.length / 2, lc.length - 1)))
            if (i < lc.length) sb.append(String.format(Locale.ROOT, "  %d: %.5f/%.5f", i + 1, lc[i], lg[i]));
        System.out.println(sb + String.format(Locale.ROOT, "; max |Δ|/max(1,|loss|) = %.2e; wall cpu %.2f s, gpu %.2f s",
                worst, rc.wallSeconds(), rg.wallSeconds()));
        return new Pair(rc, rg);
    }

    @Test void realNvpOnMoonsTracksTheCpuFor200Steps() {
        long seed = 1;
        Dataset all = Generators.generate("moons", 24000, seed);
        Splits.Split s = Splits.split(all, 0.8, 0.1, seed);
        Standardization st = Standardization.fit(s.train());
        PresetOptions o = PresetOptions.defaults().withLayers(8).withHidden(64).withDepth(2).withActivation(Activation.RELU).withSeed(seed);
        TrainConfig cfg = TrainConfig.builder().steps(200).batchSize(256).lr(2e-3).warmupSteps(50).schedule("cosine")
                .clipNorm(10).seed(seed).build();
        TrainData data = new TrainData(s.train().data(), s.train().n(), s.validation().data(), s.validation().n(), 2);
        Pair p = trainBoth(be -> Presets.build("realnvp", be, 2, o, st.mean(), st.std()), data, cfg, "realnvp moons 200 steps");
        double vc = p.cpu().bestValNll(), vg = p.gpu().bestValNll();
        System.out.printf(Locale.ROOT, "realnvp moons: validation NLL cpu %.5f, gpu %.5f%n", vc, vg);
        assertTrue(Math.abs(vc - vg) <= 0.02 + 0.01 * Math.abs(vc), "validation NLL cpu " + vc + " gpu " + vg);
    }

    @Test void smallGlowOnImagesMatchesAndTracksTheCpu() {
        int n = 512, d = 64;
        int[] chw = {1, 8, 8};
        SplittableRandom r = new SplittableRandom(5);
        float[] x = new float[n * d];
        for (int i = 0; i < n; i++) {   // blurry blobs in [0, 1): images with structure, not white noise
            double cx = 1 + 6 * r.nextDouble(), cy = 1 + 6 * r.nextDouble();
            for (int h = 0; h < 8; h++)
                for (int w = 0; w < 8; w++) {
                    double v = Math.exp(-((h - cy) * (h - cy) + (w - cx) * (w - cx)) / 4) * 0.9 + 0.05 * r.nextDouble();
                    x[i * d + h * 8 + w] = (float) Math.min(v, 0.999);
                }
        }
        ImagePresets.Options o = ImagePresets.Options.defaults().withLevels(2).withStepsPerLevel(2).withWidth(16).withSeed(3);
        Function<Backend, Flow> build = be -> ImagePresets.build("glow", be, chw, o);
        // log p parity with identical, data-initialised and then perturbed parameters
        Flow fc = build.apply(cpu), fg = build.apply(gpu);
        fc.initialize(cpu.fromHost(java.util.Arrays.copyOf(x, 128 * d), fc.batchShape(128)));
        SplittableRandom pr = new SplittableRandom(9);
        for (Param q : fc.params()) {
            if (!q.trainable()) continue;
            float[] v = cpu.toHost(q.value());
            for (int i = 0; i < v.length; i++) v[i] += (float) ((pr.nextDouble() * 2 - 1) * 0.05);
            cpu.upload(v, q.value());
        }
        copyParams(fc, fg);
        float[] lc = fc.logProb(x, n), lg = fg.logProb(x, n);
        double worst = 0;
        for (int i = 0; i < n; i++) {
            double tol = 1e-4 + 1e-3 * Math.abs(lc[i]);
            worst = Math.max(worst, Math.abs(lc[i] - lg[i]) / tol);
            assertTrue(Math.abs(lc[i] - lg[i]) <= tol && !Float.isNaN(lg[i]), "glow logProb sample " + i + ": cpu " + lc[i] + " gpu " + lg[i]);
        }
        System.out.printf(Locale.ROOT, "glow 1x8x8 L=2 K=2 W=16: logProb max |Δ|/tol = %.3f over %d images%n", worst, n);
        // 50 training steps from a fresh model on both backends
        TrainConfig cfg = TrainConfig.builder().steps(50).batchSize(64).lr(1e-3).warmupSteps(10).schedule("constant")
                .clipNorm(50).seed(2).build();
        TrainData data = new TrainData(java.util.Arrays.copyOf(x, 448 * d), 448, java.util.Arrays.copyOfRange(x, 448 * d, n * d), 64, d);
        trainBoth(build, data, cfg, "glow 1x8x8 50 steps");
    }
}
