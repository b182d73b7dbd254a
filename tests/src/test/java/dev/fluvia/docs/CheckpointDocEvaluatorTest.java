package dev.fluvia.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fluvia.backend.Activation;
import dev.fluvia.backend.CouplingScale;
import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.distributions.DiagonalGaussian;
import dev.fluvia.distributions.StandardNormal;
import dev.fluvia.flow.Flow;
import dev.fluvia.io.Checkpoint;
import dev.fluvia.param.Param;
import dev.fluvia.transforms.ActNorm;
import dev.fluvia.transforms.AffineCoupling;
import dev.fluvia.transforms.Permutation;
import dev.fluvia.transforms.Transform;
import dev.fluvia.transforms.image.Conv1x1;
import dev.fluvia.transforms.image.ImageAdditiveCoupling;
import dev.fluvia.transforms.image.ImageAffineCoupling;
import dev.fluvia.transforms.image.InvertibleConv1x1;
import dev.fluvia.transforms.image.LogitPreprocess;
import dev.fluvia.transforms.image.Split;
import dev.fluvia.transforms.image.Squeeze;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * docs/CHECKPOINT.md promises that its section 8 (numpy, no Fluvia) recomputes log p(x) from a saved file alone. This
 * runs that code, as printed in the document, on checkpoints that use every image layer kind, each conditioner type,
 * both coupling scales and masks and parities, both split priors and both bases, plus a vector model, and compares
 * with Fluvia's logProb after loading the same file (FLOWS.md tolerance, float32 vs float64).
 *
 * <p>Needs Debian's python3 with numpy (python3-numpy, which scripts/install-data.sh brings in with python3-sklearn);
 * the test fails, saying so, when it is missing.
 */
class CheckpointDocEvaluatorTest {
    static final CpuBackend be = new CpuBackend(2);
    @TempDir Path dir;

    @AfterAll static void close() { be.close(); }

    /** An image model with every image kind: x in [0, 1)^{1×8×8} → latent [1, 4, 4]. */
    static Flow imageModel() {
        SplittableRandom r = new SplittableRandom(7);
        List<Transform> ts = new ArrayList<>();
        int[] s0 = {1, 8, 8}, s1 = {4, 4, 4}, s2 = {2, 4, 4}, s3 = {1, 4, 4};
        ts.add(new LogitPreprocess(be, s0, 0.05f));
        ts.add(new ImageAffineCoupling(be, s0, "checkerboard", 0, CouplingScale.SOFTCLAMP, 2f, "glow", 6, 0, r));
        ts.add(new Squeeze(be, s0));
        ts.add(new ActNorm(be, s1));
        ts.add(new Conv1x1(be, s1, 3));
        ts.add(new ImageAdditiveCoupling(be, s1, "checkerboard", 1, "glow", 6, 0, r));
        ts.add(new ImageAdditiveCoupling(be, s1, "channel", 0, "resnet", 5, 1, r));
        ts.add(new InvertibleConv1x1(be, s1, 4));
        ts.add(new ImageAffineCoupling(be, s1, "channel", 1, CouplingScale.SIGMOID, 2f, "glow_actnorm", 6, 0, r));
        ts.add(new ImageAffineCoupling(be, s1, "checkerboard", 1, CouplingScale.SOFTCLAMP, 1.5f, "resnet", 4, 2, r));
        ts.add(new Split(be, s1, "conditional", r));
        ts.add(new ImageAffineCoupling(be, s2, "channel", 0, CouplingScale.SIGMOID, 2f, "glow", 4, 0, r));
        ts.add(new Split(be, s2, "standard", r));
        return new Flow(be, new DiagonalGaussian(be, s3), ts);
    }

    /** A vector model with the kinds section 8's vector evaluator spells out. */
    static Flow vectorModel() {
        SplittableRandom r = new SplittableRandom(8);
        int d = 5;
        List<Transform> ts = new ArrayList<>();
        ts.add(new AffineCoupling(be, d, new int[] {0, 2, 4}, new int[] {1, 3}, new int[] {8, 8}, Activation.TANH, CouplingScale.SOFTCLAMP, 2f, r));
        ts.add(new ActNorm(be, d));
        ts.add(Permutation.random(be, d, 3));
        ts.add(new AffineCoupling(be, d, new int[] {1, 3}, new int[] {0, 2, 4}, new int[] {8}, Activation.ELU, CouplingScale.SIGMOID, 2f, r));
        ts.add(new AffineCoupling(be, d, new int[] {4}, new int[] {0, 1, 2, 3}, new int[] {6}, Activation.SILU, CouplingScale.SOFTCLAMP, 3f, r));
        return new Flow(be, new StandardNormal(be, d), ts);
    }

    /** Data-initialises the ActNorms, then moves every trainable parameter (zero-initialised last convolutions too). */
    static void perturb(Flow f, float[] x, int n, long seed) {
        f.initialize(be.fromHost(x, f.batchShape(n)));
        SplittableRandom r = new SplittableRandom(seed);
        for (Param p : f.params()) {
            if (!p.trainable()) continue;
            float[] v = be.toHost(p.value());
            for (int i = 0; i < v.length; i++) v[i] += (float) ((r.nextDouble() * 2 - 1) * 0.2);
            be.upload(v, p.value());
        }
    }

    @Test void imageModelMatchesTheDocumentedEvaluator() throws Exception {
        int n = 16;
        SplittableRandom r = new SplittableRandom(1);
        float[] x = new float[n * 64];
        for (int i = 0; i < x.length; i++) x[i] = (float) ((r.nextInt(17) + r.nextDouble()) / 17);
        Flow f = imageModel();
        perturb(f, x, n, 5);
        compare(f, x, n, "image");
    }

    @Test void vectorModelMatchesTheDocumentedEvaluator() throws Exception {
        int n = 32;
        SplittableRandom r = new SplittableRandom(2);
        float[] x = new float[n * 5];
        for (int i = 0; i < x.length; i++) x[i] = (float) (1.5 * CpuBackend.gaussian(r));
        Flow f = vectorModel();
        perturb(f, x, n, 6);
        compare(f, x, n, "vector");
    }

    /** The CLI's default model starts with a standardize layer; the evaluator handles it, and raises on a kind it lacks. */
    @Test void defaultModelLayoutIsEvaluatedAndUnknownKindsRaise() throws Exception {
        int n = 16;
        SplittableRandom r = new SplittableRandom(3);
        float[] x = new float[n * 2];
        for (int i = 0; i < x.length; i++) x[i] = (float) (3 + 2 * CpuBackend.gaussian(r));
        Flow f = dev.fluvia.flow.Presets.build("realnvp", be, 2, new dev.fluvia.flow.PresetOptions(2, 8, 1, null, null, 0f, null, 1L),
                new float[] {3f, 2.5f}, new float[] {2f, 1.5f});
        perturb(f, x, n, 7);
        compare(f, x, n, "default");

        Flow maf = dev.fluvia.flow.Presets.build("maf", be, 2, new dev.fluvia.flow.PresetOptions(1, 8, 1, null, null, 0f, null, 1L), null, null);
        Path model = dir.resolve("maf.safetensors"), xs = dir.resolve("maf.f32");
        Checkpoint.save(model, maf, null, null);
        Files.write(xs, new byte[4 * 2 * n]);
        Process p = new ProcessBuilder(Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3",
                MathContractSyncTest.repoRoot().resolve("tests/python/checkpoint_doc_eval.py").toString(), model.toString(), xs.toString(),
                Integer.toString(n)).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertTrue(p.exitValue() != 0 && out.contains("'maf' is not implemented"), out);
    }

    void compare(Flow f, float[] x, int n, String what) throws Exception {
        Path model = dir.resolve(what + ".safetensors"), xs = dir.resolve(what + ".f32");
        Checkpoint.save(model, f, null, null);
        ByteBuffer b = ByteBuffer.allocate(4 * x.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : x) b.putFloat(v);
        Files.write(xs, b.array());
        float[] got = Checkpoint.load(model, be).flow().logProb(x, n);
        double[] ref = runDocEvaluator(model, xs, n);
        assertEquals(n, ref.length, what + ": the evaluator printed " + ref.length + " values for " + n + " samples");
        double worst = 0;
        for (int i = 0; i < n; i++) {
            double tol = 1e-4 + 1e-5 * Math.abs(ref[i]);
            worst = Math.max(worst, Math.abs(got[i] - ref[i]) / tol);
            assertTrue(Math.abs(got[i] - ref[i]) <= tol, what + " sample " + i + ": Fluvia " + got[i] + ", docs/CHECKPOINT.md evaluator " + ref[i]);
        }
        System.out.printf("CheckpointDocEvaluatorTest %s: %d samples, worst |Fluvia − doc| / tol = %.3f%n", what, n, worst);
    }

    static double[] runDocEvaluator(Path model, Path xs, int n) throws IOException, InterruptedException {
        Path root = MathContractSyncTest.repoRoot();
        Path script = root.resolve("tests/python/checkpoint_doc_eval.py");
        String python = Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
        Process p = new ProcessBuilder(python, script.toString(), model.toString(), xs.toString(), Integer.toString(n))
                .redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the docs evaluator did not finish in 120 s");
        String text = new String(out, StandardCharsets.UTF_8);
        assertTrue(p.exitValue() == 0, "docs evaluator failed (needs " + python + " with numpy: apt-get install python3-numpy, "
                + "which scripts/install-data.sh brings in with python3-sklearn):\n" + text);
        return text.lines().filter(l -> !l.isBlank()).mapToDouble(Double::parseDouble).toArray();
    }
}
