package dev.fluvia.io;

import dev.fluvia.backend.Backend;
import dev.fluvia.backend.CouplingScale;
import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.distributions.DiagonalGaussian;
import dev.fluvia.flow.Flow;
import dev.fluvia.flow.PresetOptions;
import dev.fluvia.flow.Presets;
import dev.fluvia.param.Param;
import dev.fluvia.transforms.ActNorm;
import dev.fluvia.transforms.Transform;
import dev.fluvia.transforms.image.ImageAffineCoupling;
import dev.fluvia.transforms.image.InvertibleConv1x1;
import dev.fluvia.transforms.image.LogitPreprocess;
import dev.fluvia.transforms.image.Split;
import dev.fluvia.transforms.image.Squeeze;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** Small models of the three checkpoint kinds the hostile-input tests use: vector (glow preset), MAF, image with a split. */
final class CheckpointFixtures {
    private CheckpointFixtures() {}

    /** The glow preset on D = 3 with a standardize layer (mean/std) and a diagonal base: actnorm, lu_linear, affine coupling. */
    static Flow vector(Backend be) {
        PresetOptions o = new PresetOptions(2, 8, 1, null, null, 0f, "diag", 3L);
        return perturb(be, Presets.build("glow", be, 3, o, new float[] {0.5f, -1f, 2f}, new float[] {1.5f, 0.7f, 2f}), 1);
    }

    /** The maf preset on D = 3. */
    static Flow maf(Backend be) {
        return perturb(be, Presets.build("maf", be, 3, new PresetOptions(2, 8, 1, null, null, 0f, null, 4L), null, null), 2);
    }

    /** logit → squeeze → actnorm → lu_conv1x1 → affine coupling → conditional split, on [1, 4, 4] images. */
    static Flow image(Backend be) {
        SplittableRandom r = new SplittableRandom(9);
        int[] s0 = {1, 4, 4}, s1 = {4, 2, 2}, s2 = {2, 2, 2};
        List<Transform> ts = new ArrayList<>();
        ts.add(new LogitPreprocess(be, s0, 0.05f));
        ts.add(new Squeeze(be, s0));
        ts.add(new ActNorm(be, s1));
        ts.add(new InvertibleConv1x1(be, s1, 5));
        ts.add(new ImageAffineCoupling(be, s1, "channel", 0, CouplingScale.SOFTCLAMP, 2f, "glow", 4, 0, r));
        ts.add(new Split(be, s1, "conditional", r));
        return perturb(be, new Flow(be, new DiagonalGaussian(be, s2), ts), 3);
    }

    /** Moves every trainable parameter off its initialisation (so a swapped or edited tensor changes log p). */
    static Flow perturb(Backend be, Flow f, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        for (Param p : f.params()) {
            if (!p.trainable()) continue;
            float[] v = be.toHost(p.value());
            for (int i = 0; i < v.length; i++) v[i] += (float) ((r.nextDouble() * 2 - 1) * 0.3);
            be.upload(v, p.value());
        }
        return f;
    }

    /** Test points for a model: images in (0, 1), vectors ~ N(0, 2²). */
    static float[] points(Flow f, int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n * f.eventSize()];
        boolean image = f.eventShape().length == 3;
        for (int i = 0; i < x.length; i++) x[i] = image ? (float) (0.05 + 0.9 * r.nextDouble()) : (float) (2 * CpuBackend.gaussian(r));
        return x;
    }
}
