package dev.fluvia.bench;

import dev.fluvia.backend.Activation;
import dev.fluvia.backend.CouplingScale;
import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.distributions.StandardNormal;
import dev.fluvia.flow.Flow;
import dev.fluvia.flow.MemoryMode;
import dev.fluvia.param.Param;
import dev.fluvia.tensor.Tensor;
import dev.fluvia.transforms.AffineCoupling;
import dev.fluvia.transforms.Maf;
import dev.fluvia.transforms.Masks;
import dev.fluvia.transforms.Transform;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The models of the training benchmarks, built directly from the layer classes, and one full training step
 * (forward, backward, Adam) on them. Shared by the JMH benchmarks and {@link PeakMemory}; scripts/bench/torch_peer.py
 * builds the same models in PyTorch.
 */
final class TrainSetup {
    private TrainSetup() {}

    /** One affine coupling, D = 8 (a = dims 0..3, b = dims 4..7), conditioner 4 → 256 → 256 → 8, ReLU hidden. */
    static Flow coupling8(CpuBackend be, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        List<Transform> ts = List.of(new AffineCoupling(be, 8, new int[] {0, 1, 2, 3}, new int[] {4, 5, 6, 7},
                new int[] {256, 256}, Activation.RELU, CouplingScale.SOFTCLAMP, 2f, rng));
        return perturbed(be, new Flow(be, new StandardNormal(be, 8), ts), rng);
    }

    /** RealNVP on 2-D data: 8 affine couplings with alternating masks, conditioners 1 → 64 → 64 → 2, ReLU hidden. */
    static Flow realNvp2d(CpuBackend be, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        List<Transform> ts = new ArrayList<>();
        for (int l = 0; l < 8; l++) {
            int[][] m = Masks.alternating(2, l);
            ts.add(new AffineCoupling(be, 2, m[0], m[1], new int[] {64, 64}, Activation.RELU, CouplingScale.SOFTCLAMP, 2f, rng));
        }
        return perturbed(be, new Flow(be, new StandardNormal(be, 2), ts), rng);
    }

    /**
     * MAF on 8-D data: 5 {@link Maf} layers, the first in natural order 0..7, each next one in the previous order reversed;
     * MADE conditioners 8 → 512 → 512 → 16 (ReLU hidden, default cyclic hidden degrees, soft-clamp c = 2), standard-normal base.
     */
    static Flow maf8(CpuBackend be, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        List<Transform> ts = new ArrayList<>();
        int[] order = Maf.naturalOrder(8);
        for (int l = 0; l < 5; l++) {
            if (l > 0) order = Maf.reversedOrder(order);
            ts.add(new Maf(be, order, new int[] {512, 512}, Activation.RELU, rng));
        }
        return perturbed(be, new Flow(be, new StandardNormal(be, 8), ts), rng);
    }

    /** Moves the zero-initialised output layers off zero so every path carries work, as after a few steps of training. */
    private static Flow perturbed(CpuBackend be, Flow f, SplittableRandom rng) {
        for (Param p : f.params()) {
            float[] v = be.toHost(p.value());
            for (int i = 0; i < v.length; i++) v[i] += (float) (0.01 * (rng.nextDouble() - 0.5));
            be.upload(v, p.value());
        }
        return f;
    }

    /** A batch of standard-normal samples (the data only sets the values; the cost of a step does not depend on them). */
    static Tensor batch(CpuBackend be, int n, int d, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n * d];
        for (int i = 0; i < x.length; i++) x[i] = (float) CpuBackend.gaussian(r);
        return be.fromHost(x, n, d);
    }

    /** Model + Adam state; {@link #step()} is one training step: zero grads, forward + backward, Adam on every parameter. */
    static final class Trainer {
        final CpuBackend be;
        final Flow flow;
        final Tensor x;
        final MemoryMode mode;
        final List<Param> params = new ArrayList<>();
        final List<Tensor> m = new ArrayList<>(), v = new ArrayList<>();
        int t;

        Trainer(CpuBackend be, Flow flow, Tensor x, MemoryMode mode) {
            this.be = be;
            this.flow = flow;
            this.x = x;
            this.mode = mode;
            for (Param p : flow.params())
                if (p.trainable()) { params.add(p); m.add(be.alloc(p.value().shape())); v.add(be.alloc(p.value().shape())); }
        }

        double step() {
            flow.zeroGrad();
            double loss = dev.fluvia.train.Nll.INSTANCE.forwardBackward(flow, x, mode);
            t++;
            for (int i = 0; i < params.size(); i++)
                be.adamUpdate(params.get(i).value(), params.get(i).grad(), m.get(i), v.get(i), 1e-4f, 0.9f, 0.999f, 1e-8f, 0f, t);
            return loss;
        }
    }

    /** Multiply-add FLOPs of one conditioner forward per sample: Σ_layers in·out, ×2 (multiply and add). */
    static long mlpFlopsPerSample(int... dims) {
        long s = 0;
        for (int i = 0; i + 1 < dims.length; i++) s += (long) dims[i] * dims[i + 1];
        return 2 * s;
    }
}
