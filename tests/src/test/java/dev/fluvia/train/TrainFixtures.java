package dev.fluvia.train;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fluvia.backend.Activation;
import dev.fluvia.backend.Backend;
import dev.fluvia.backend.CouplingScale;
import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.distributions.StandardNormal;
import dev.fluvia.flow.Flow;
import dev.fluvia.param.Param;
import dev.fluvia.tensor.Tensor;
import dev.fluvia.transforms.AffineCoupling;
import dev.fluvia.transforms.Masks;
import dev.fluvia.param.Stash;
import dev.fluvia.transforms.Transform;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

/** Shared test material: a correlated 2-D Gaussian data set with its exact density, and small coupling flows. */
final class TrainFixtures {
    private TrainFixtures() {}

    /** x0 = 1 + 2·a, x1 = −0.5 + 0.5·(0.8·a + 0.6·b), a, b ~ N(0, 1): mean (1, −0.5), std (2, 0.5), correlation 0.8. */
    static final double[] MU = {1.0, -0.5};
    static final double[][] COV = {{4.0, 0.8}, {0.8, 0.25}};

    static float[] gaussian2d(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[2 * n];
        for (int i = 0; i < n; i++) {
            double a = CpuBackend.gaussian(r), b = CpuBackend.gaussian(r);
            x[2 * i] = (float) (MU[0] + 2 * a);
            x[2 * i + 1] = (float) (MU[1] + 0.5 * (0.8 * a + 0.6 * b));
        }
        return x;
    }

    /** Exact mean −log N(x; μ, Σ) over the rows, in float64 (the best any model can do on this sample, up to noise). */
    static double trueNll(float[] x) {
        double det = COV[0][0] * COV[1][1] - COV[0][1] * COV[1][0];
        double i00 = COV[1][1] / det, i11 = COV[0][0] / det, i01 = -COV[0][1] / det;
        int n = x.length / 2;
        double s = 0;
        for (int k = 0; k < n; k++) {
            double d0 = x[2 * k] - MU[0], d1 = x[2 * k + 1] - MU[1];
            double q = d0 * d0 * i00 + 2 * d0 * d1 * i01 + d1 * d1 * i11;
            s += 0.5 * q + Math.log(2 * Math.PI) + 0.5 * Math.log(det);
        }
        return s / n;
    }

    /** The differential entropy of the 2-D Gaussian: log(2πe) + ½ log det Σ ≈ 2.327 nats. */
    static double entropy() {
        double det = COV[0][0] * COV[1][1] - COV[0][1] * COV[1][0];
        return Math.log(2 * Math.PI * Math.E) + 0.5 * Math.log(det);
    }

    /** {@code layers} affine couplings on 2-D data, alternating masks, a standard normal base; identity at initialisation. */
    static Flow flow(Backend be, int layers, int hidden, long seed) {
        return new Flow(be, new StandardNormal(be, 2), couplings(be, layers, hidden, seed));
    }

    static List<Transform> couplings(Backend be, int layers, int hidden, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        List<Transform> ts = new ArrayList<>();
        for (int l = 0; l < layers; l++) {
            int[][] m = Masks.alternating(2, l);
            ts.add(new AffineCoupling(be, 2, m[0], m[1], new int[] {hidden}, Activation.TANH, CouplingScale.SOFTCLAMP, 2f, rng));
        }
        return ts;
    }

    /**
     * A test-only wrapper that poisons a step: on the chosen 1-based training steps it either fills the wrapped layer's first
     * gradient with NaN (after its backward) or adds +∞ to the log-det of its storing forward (so the loss is not finite).
     * Training steps are counted by backward calls (validation and initialisation never call backward).
     */
    static final class Faulty implements Transform {
        private final Backend be;
        private final Transform inner;
        private final Set<Integer> badGrad;
        private final int badFrom;
        private final Set<Integer> badLoss;
        private int backwards, storingForwards;

        /** badFrom: every step from this one on has a NaN gradient (Integer.MAX_VALUE = never). */
        Faulty(Backend be, Transform inner, Set<Integer> badGrad, int badFrom, Set<Integer> badLoss) {
            this.be = be; this.inner = inner; this.badGrad = badGrad; this.badFrom = badFrom; this.badLoss = badLoss;
        }

        @Override public String kind() { return "faulty"; }
        @Override public int[] eventShape() { return inner.eventShape(); }
        @Override public List<Param> params() { return inner.params(); }
        @Override public Tensor inverse(Tensor y, Tensor ld) { return inner.inverse(y, ld); }

        @Override public Tensor forward(Tensor x, Tensor ld, Stash stash) {
            Tensor y = inner.forward(x, ld, stash);
            if (stash.storing() && badLoss.contains(++storingForwards)) {
                Tensor inf = be.alloc(1);
                be.fill(inf, Float.POSITIVE_INFINITY);
                be.addScaledSum(ld, inf, 1f);
            }
            return y;
        }

        @Override public Tensor backward(Tensor x, Tensor gy, Tensor gLd, Stash stash) {
            Tensor gx = inner.backward(x, gy, gLd, stash);
            int step = ++backwards;
            if (badGrad.contains(step) || step >= badFrom) be.fill(inner.params().get(0).grad(), Float.NaN);
            return gx;
        }
    }
}
