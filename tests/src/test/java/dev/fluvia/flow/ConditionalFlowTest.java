package dev.fluvia.flow;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.fluvia.FluviaException.ShapeException;
import dev.fluvia.backend.Activation;
import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.io.Checkpoint;
import dev.fluvia.param.Param;
import dev.fluvia.train.Adam;
import dev.fluvia.train.Nll;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Conditional flows p(x | c): on a 2-class 2-D mixture (a correlated Gaussian per class, c = ±1), the trained flow's
 * conditional density matches each class-conditional truth for every preset with a conditioner; samples follow the class;
 * checkpoint round trip; typed errors. (Layer-level checks of the conditional layers: transforms.ConditionalLayersTest.)
 */
class ConditionalFlowTest {
    @TempDir Path dir;

    /** Class k: mean μ_k, covariance [[s1², ρ s1 s2], [ρ s1 s2, s2²]]. */
    private static final double[][] MU = {{-1.5, 0.5}, {1.0, -0.8}}, SD = {{0.5, 0.8}, {0.9, 0.35}};
    private static final double[] RHO = {0.6, -0.5};

    private static double trueLogProb(double x0, double x1, int k) {
        double u = (x0 - MU[k][0]) / SD[k][0], v = (x1 - MU[k][1]) / SD[k][1], r = RHO[k];
        double q = (u * u - 2 * r * u * v + v * v) / (1 - r * r);
        return -0.5 * q - Math.log(2 * Math.PI * SD[k][0] * SD[k][1] * Math.sqrt(1 - r * r));
    }

    /** n draws of class k into x (row-major [n, 2]). */
    private static float[] draw(int n, int k, SplittableRandom r) {
        float[] x = new float[2 * n];
        for (int i = 0; i < n; i++) {
            double g0 = CpuBackend.gaussian(r), g1 = CpuBackend.gaussian(r);
            x[2 * i] = (float) (MU[k][0] + SD[k][0] * g0);
            x[2 * i + 1] = (float) (MU[k][1] + SD[k][1] * (RHO[k] * g0 + Math.sqrt(1 - RHO[k] * RHO[k]) * g1));
        }
        return x;
    }

    private static float[] context(int n, int k) {
        float[] c = new float[n];
        java.util.Arrays.fill(c, k == 0 ? -1f : 1f);
        return c;
    }

    @ParameterizedTest
    @ValueSource(strings = {"spline", "realnvp", "nice", "glow", "maf", "iaf", "spline-ar"})
    void conditionalDensityMatchesTheClassConditionalTruth(String preset) {
        CpuBackend be = new CpuBackend(1);
        Flow f = preset.equals("spline") ? ConditionalFlows.splineCoupling(be, 2, 1, 4, new int[] {32, 32}, Activation.TANH, 8, 4, 3, null, null)
                : ConditionalFlows.build(preset, be, 2, 1, PresetOptions.defaults().withLayers(4).withHidden(32).withDepth(2)
                        .withActivation(Activation.TANH).withSeed(3), null, null);
        Map<String, Param> ps = new LinkedHashMap<>();
        int k = 0;
        for (Param p : f.params()) if (p.trainable()) ps.put("p" + k++, p);
        Adam opt = new Adam(be, ps, 0.9f, 0.999f, 1e-8f, 0f);
        SplittableRandom r = new SplittableRandom(5);
        int batch = 256;
        for (int step = 0; step < 450; step++) {
            float[] x0 = draw(batch / 2, 0, r), x1 = draw(batch / 2, 1, r);
            float[] x = new float[2 * batch], c = new float[batch];
            System.arraycopy(x0, 0, x, 0, batch);
            System.arraycopy(x1, 0, x, batch, batch);
            System.arraycopy(context(batch / 2, 0), 0, c, 0, batch / 2);
            System.arraycopy(context(batch / 2, 1), 0, c, batch / 2, batch / 2);
            f.zeroGrad();
            double loss = Nll.INSTANCE.forwardBackward(f, be.fromHost(ConditionalFlows.join(x, 2, c, 1, batch), batch, 3), MemoryMode.STORE);
            assertTrue(Double.isFinite(loss), "step " + step + " loss " + loss);
            opt.step(step < 350 ? 5e-3 : 1e-3);
        }
        SplittableRandom t = new SplittableRandom(77);
        int n = 3000;
        for (int cls = 0; cls < 2; cls++) {
            float[] x = draw(n, cls, t);
            float[] lq = ConditionalFlows.logProb(f, x, context(n, cls), n), lqOther = ConditionalFlows.logProb(f, x, context(n, 1 - cls), n);
            double kl = 0, absErr = 0, margin = 0;
            for (int i = 0; i < n; i++) {
                double lp = trueLogProb(x[2 * i], x[2 * i + 1], cls);
                kl += lp - lq[i];
                absErr += Math.abs(lp - lq[i]);
                margin += lq[i] - lqOther[i];
            }
            kl /= n; absErr /= n; margin /= n;
            double trueMargin = 0;
            for (int i = 0; i < n; i++) trueMargin += trueLogProb(x[2 * i], x[2 * i + 1], cls) - trueLogProb(x[2 * i], x[2 * i + 1], 1 - cls);
            trueMargin /= n;
            System.out.printf("[ConditionalFlowTest] %s class %d: KL(p||q) ≈ %.4f nats, mean |log p − log q| %.4f, margin %.3f (truth %.3f)%n",
                    preset, cls, kl, absErr, margin, trueMargin);
            // spline-ar measured 0.043 on class 1 (its splines' box is [−3, 3] with identity tails, and this unstandardised data
            // reaches 3.7): a wider bound for it, so that another machine's float rounding of the same run cannot tip it over
            assertTrue(Math.abs(kl) < (preset.equals("spline-ar") ? 0.08 : 0.05), preset + " class " + cls + ": KL estimate " + kl);
            assertTrue(absErr < 0.15, preset + " class " + cls + ": mean |log p − log q| " + absErr);
            // the context is used: x of this class is far likelier under its own c (the other class's density far from its
            // own data is a tail the model never saw, so only the sign and a clear size are asserted there)
            assertTrue(margin > 3, preset + " class " + cls + ": log q(x|c) − log q(x|other c) = " + margin + " (truth " + trueMargin + ")");
            // samples given c follow the class: their mean and std match the class's
            float[] s = ConditionalFlows.sample(f, context(n, cls), n, 1f, 9 + cls);
            for (int d = 0; d < 2; d++) {
                double m = 0, v = 0;
                for (int i = 0; i < n; i++) m += s[2 * i + d];
                m /= n;
                for (int i = 0; i < n; i++) v += (s[2 * i + d] - m) * (s[2 * i + d] - m);
                double sd = Math.sqrt(v / n);
                assertEquals(MU[cls][d], m, 0.08, preset + " class " + cls + " dim " + d + " sample mean");
                assertEquals(SD[cls][d], sd, 0.08, preset + " class " + cls + " dim " + d + " sample std");
            }
        }
        // the tensor API gives the same numbers
        float[] x = draw(5, 1, t), c = context(5, 1);
        assertArrayEquals(ConditionalFlows.logProb(f, x, c, 5), be.toHost(ConditionalFlows.logProb(f, be.fromHost(x, 5, 2), be.fromHost(c, 5, 1))));
    }

    @Test void checkpointRoundTripAndTypedErrors() {
        CpuBackend be = new CpuBackend(1);
        Flow f = ConditionalFlows.splineCoupling(be, 1, 2, 2, new int[] {8}, Activation.TANH, 5, 3, 4, new float[] {0.5f}, new float[] {2f});
        SplittableRandom r = new SplittableRandom(3);
        for (Param p : f.params()) {
            if (!p.trainable()) continue;
            float[] v = be.toHost(p.value());
            for (int i = 0; i < v.length; i++) v[i] += (float) (0.3 * (r.nextDouble() * 2 - 1));
            be.upload(v, p.value());
        }
        Path p = dir.resolve("cond.safetensors");
        Checkpoint.save(p, f, new ObjectMapper().createObjectNode().put("step", 1), Map.of());
        Flow g = Checkpoint.load(p, new CpuBackend(1)).flow();
        float[] x = {0.1f, -2f, 7f}, c = {1f, 0f, 0f, 1f, -3f, 2f};
        assertArrayEquals(ConditionalFlows.logProb(f, x, c, 3), ConditionalFlows.logProb(g, x, c, 3));
        assertArrayEquals(ConditionalFlows.sample(f, c, 3, 1f, 5), ConditionalFlows.sample(g, c, 3, 1f, 5));
        assertThrows(ShapeException.class, () -> ConditionalFlows.logProb(f, x, new float[] {1f}, 3));
        Flow plain = Presets.build("spline", be, 2, PresetOptions.defaults(), null, null);
        assertThrows(ShapeException.class, () -> ConditionalFlows.sample(plain, new float[] {1f}, 1, 1f, 1));
    }
}
