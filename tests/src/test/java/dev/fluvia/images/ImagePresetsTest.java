package dev.fluvia.images;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fluvia.FluviaException.ShapeException;
import dev.fluvia.FluviaException.UnknownNameException;
import dev.fluvia.backend.Scope;
import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.flow.Flow;
import dev.fluvia.flow.ImagePresets;
import dev.fluvia.io.Checkpoint;
import dev.fluvia.param.Param;
import dev.fluvia.tensor.Tensor;
import dev.fluvia.transforms.Transform;
import dev.fluvia.transforms.image.Split;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Whole image presets: round trips (forward/inverse, encode/decode), the preset's log-det against a float64 determinant
 * of the central-difference Jacobian, the level rules for odd sizes, and a bit-identical checkpoint round trip.
 * Every preset is data-initialised (ActNorm) and its parameters jittered, so no coupling is the identity.
 */
class ImagePresetsTest {
    static final CpuBackend be = new CpuBackend(1);
    @TempDir Path dir;

    @AfterAll static void close() { be.close(); }

    /** A preset with ActNorm initialised on x and every trainable parameter moved by N(0, scale²) noise. */
    static Flow jittered(String name, int[] chw, ImagePresets.Options o, float[] x, int n, double scale, long seed) {
        Flow f = ImagePresets.build(name, be, chw, o.withSeed(seed));
        f.initialize(be.fromHost(x, f.batchShape(n)));
        SplittableRandom r = new SplittableRandom(seed + 7);
        for (Param p : f.params()) {
            if (!p.trainable()) continue;
            float[] v = be.toHost(p.value());
            for (int i = 0; i < v.length; i++) v[i] += (float) (scale * CpuBackend.gaussian(r));
            be.upload(v, p.value());
        }
        return f;
    }

    /** Images with values in (lo, hi), as dequantised data would be. */
    static float[] images(int n, int[] chw, long seed, double lo, double hi) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n * chw[0] * chw[1] * chw[2]];
        for (int i = 0; i < x.length; i++) x[i] = (float) (lo + (hi - lo) * r.nextDouble());
        return x;
    }

    static ImagePresets.Options small(int levels) {
        return ImagePresets.Options.defaults().withLevels(levels).withStepsPerLevel(2).withWidth(8);
    }

    @Test void roundTripsOnRandomImages() {
        int n = 3;
        for (String name : ImagePresets.NAMES)
            for (int[] chw : new int[][] {{1, 8, 8}, {1, 4, 4}})
                for (int levels = 1; levels <= ImagePresets.maxLevels(chw[1], chw[2]); levels++) {
                    String what = name + " " + Arrays.toString(chw) + " L=" + levels;
                    float[] x = images(n, chw, 5, 0.02, 0.98);
                    Flow f = jittered(name, chw, small(levels), x, n, 0.05, 11);
                    try (Scope s = be.scope()) {
                        Tensor xt = be.fromHost(x, f.batchShape(n));
                        // forward / inverse (the split latents the forward factored out feed the inverse)
                        Flow.Result fw = f.forward(xt);
                        assertEquals(levels - 1, fw.factored().size(), what + " factored-out latents");
                        Flow.Result inv = f.inverse(fw.out(), fw.factored());
                        float[] back = be.toHost(inv.out()), ldF = be.toHost(fw.logdet()), ldI = be.toHost(inv.logdet());
                        for (int i = 0; i < x.length; i++) assertEquals(x[i], back[i], 2e-4, what + " forward/inverse, value " + i);
                        for (int r = 0; r < n; r++) assertEquals(-ldF[r], ldI[r], 1e-3 + 1e-4 * Math.abs(ldF[r]), what + " inverse log-det");
                        // encode / decode
                        List<Tensor> z = f.encode(xt);
                        assertEquals(levels, z.size(), what + " latent count");
                        float[] dec = be.toHost(f.decode(z));
                        for (int i = 0; i < x.length; i++) assertEquals(x[i], dec[i], 2e-4, what + " encode/decode, value " + i);
                        // the latents hold every dimension exactly once
                        int total = 0;
                        for (Tensor t : z) total += (int) (t.numel() / n);
                        assertEquals(chw[0] * chw[1] * chw[2], total, what + " latent sizes");
                    }
                }
    }

    /** log|det J| in float64 of the map x → (all latents concatenated), J by central differences of float32 evaluations. */
    static double[] jacobianLogDet(Flow f, float[] x, int n, double eps) {
        int d = f.eventSize();
        double[][][] jac = new double[n][d][d];
        for (int j = 0; j < d; j++) {
            float[] xp = x.clone(), xm = x.clone();
            for (int r = 0; r < n; r++) { xp[r * d + j] += (float) eps; xm[r * d + j] -= (float) eps; }
            float[] yp = latentsFlat(f, xp, n), ym = latentsFlat(f, xm, n);
            for (int r = 0; r < n; r++)
                for (int i = 0; i < d; i++)
                    jac[r][i][j] = ((double) yp[r * d + i] - ym[r * d + i]) / ((double) xp[r * d + j] - xm[r * d + j]);
        }
        double[] out = new double[n];
        for (int r = 0; r < n; r++) out[r] = logAbsDet(jac[r]);
        return out;
    }

    /** Every latent of every sample, per sample concatenated in encode order: [n, D]. */
    static float[] latentsFlat(Flow f, float[] x, int n) {
        try (Scope s = be.scope()) {
            List<Tensor> z = f.encode(be.fromHost(x, f.batchShape(n)));
            int d = f.eventSize();
            float[] out = new float[n * d];
            int off = 0;
            for (Tensor t : z) {
                int e = (int) (t.numel() / n);
                float[] h = be.toHost(t);
                for (int r = 0; r < n; r++) System.arraycopy(h, r * e, out, r * d + off, e);
                off += e;
            }
            return out;
        }
    }

    static double logAbsDet(double[][] a0) {
        int d = a0.length;
        double[][] a = new double[d][];
        for (int i = 0; i < d; i++) a[i] = a0[i].clone();
        double s = 0;
        for (int k = 0; k < d; k++) {
            int p = k;
            for (int i = k + 1; i < d; i++) if (Math.abs(a[i][k]) > Math.abs(a[p][k])) p = i;
            double[] t = a[k]; a[k] = a[p]; a[p] = t;
            s += Math.log(Math.abs(a[k][k]));
            for (int i = k + 1; i < d; i++) {
                double m = a[i][k] / a[k][k];
                for (int j = k; j < d; j++) a[i][j] -= m * a[k][j];
            }
        }
        return s;
    }

    @Test void oneLevelLogDetMatchesTheJacobian() {
        int n = 2;
        for (String name : ImagePresets.NAMES)
            for (int[] chw : new int[][] {{1, 4, 4}, {3, 4, 4}}) {
                String what = name + " " + Arrays.toString(chw);
                float[] x = images(n, chw, 3, 0.2, 0.8);
                Flow f = jittered(name, chw, small(1), x, n, 0.05, 17);
                float[] ld;
                try (Scope s = be.scope()) { ld = be.toHost(f.forward(be.fromHost(x, f.batchShape(n))).logdet()); }
                double[] ref = jacobianLogDet(f, x, n, 1e-2);
                for (int r = 0; r < n; r++) assertEquals(ref[r], ld[r], 2e-2 + 2e-3 * Math.abs(ref[r]), what + " log-det, sample " + r);
            }
    }

    /** RealNVP's splits score their half under N(0, I), so log p(x) − Σ log N(latents) is the whole map's log|det J|. */
    @Test void twoLevelRealNvpDensityMatchesTheJacobian() {
        int n = 2;
        int[] chw = {1, 4, 4};
        float[] x = images(n, chw, 9, 0.2, 0.8);
        Flow f = jittered("realnvp", chw, small(2), x, n, 0.05, 23);
        float[] lp = f.logProb(x, n), z = latentsFlat(f, x, n);
        double[] ref = jacobianLogDet(f, x, n, 1e-2);
        int d = f.eventSize();
        for (int r = 0; r < n; r++) {
            double logN = 0;
            for (int i = 0; i < d; i++) logN += -0.5 * z[r * d + i] * z[r * d + i] - 0.5 * Math.log(2 * Math.PI);
            assertEquals(ref[r], lp[r] - logN, 2e-2 + 2e-3 * Math.abs(ref[r]), "realnvp 2 levels, sample " + r);
        }
    }

    @Test void structureAndLevelRules() {
        assertEquals(3, ImagePresets.maxLevels(8, 8));
        assertEquals(2, ImagePresets.maxLevels(28, 28));
        assertEquals(0, ImagePresets.maxLevels(7, 7));
        // MNIST: 28 → 14 → 7, so two levels; the default picks them, three are refused with the reason
        Flow m = ImagePresets.build("glow", be, new int[] {1, 28, 28}, small(0));
        assertArrayEquals(new int[] {8, 7, 7}, m.latentShape());   // 1×28×28 → 4×14×14 → split 2×14×14 → 8×7×7
        ShapeException e = assertThrows(ShapeException.class, () -> ImagePresets.build("glow", be, new int[] {1, 28, 28}, small(3)));
        assertTrue(e.getMessage().contains("at most 2 levels"), e.getMessage());
        // digits: 1×8×8 → 4×4×4 → split 2×4×4 → 8×2×2 → split 4×2×2 → 16×1×1
        Flow g = ImagePresets.build("glow", be, new int[] {1, 8, 8}, small(3));
        assertArrayEquals(new int[] {16, 1, 1}, g.latentShape());
        long splits = g.transforms().stream().filter(t -> t instanceof Split).count();
        assertEquals(2, splits);
        List<String> kinds = new ArrayList<>();
        for (Transform t : g.transforms()) kinds.add(t.kind());
        assertEquals(List.of("logit", "squeeze", "actnorm", "lu_conv1x1", "image_affine_coupling"), kinds.subList(0, 5));
        Flow r = ImagePresets.build("realnvp", be, new int[] {1, 8, 8}, small(2));
        assertArrayEquals(new int[] {8, 2, 2}, r.latentShape());   // 1×8×8 → cb → 4×4×4 → split 2×4×4 → cb → 8×2×2
        assertEquals("std_normal", r.base().kind());
        assertEquals("diag_normal", g.base().kind());
        assertThrows(UnknownNameException.class, () -> ImagePresets.build("nice", be, new int[] {1, 8, 8}, small(1)));
        assertThrows(ShapeException.class, () -> ImagePresets.build("glow", be, new int[] {1, 7, 8}, small(1)));
    }

    @Test void checkpointRoundTripIsBitIdentical() {
        int n = 4;
        for (String name : ImagePresets.NAMES) {
            int[] chw = {1, 8, 8};
            float[] x = images(n, chw, 13, 0.02, 0.98);
            Flow f = jittered(name, chw, small(2), x, n, 0.05, 29);
            Path file = dir.resolve(name + ".safetensors");
            Checkpoint.save(file, f, null, null);
            Flow g = Checkpoint.load(file, be).flow();
            assertArrayEquals(f.logProb(x, n), g.logProb(x, n), name + " logProb after load");
            assertArrayEquals(f.sampleHost(3, 0.7f, 5), g.sampleHost(3, 0.7f, 5), name + " samples after load");
        }
    }
}
