package dev.fluvia.cli;

import dev.fluvia.backend.Backend;
import dev.fluvia.backend.CouplingScale;
import dev.fluvia.backend.Scope;
import dev.fluvia.distributions.StandardNormal;
import dev.fluvia.flow.Flow;
import dev.fluvia.flow.MemoryMode;
import dev.fluvia.transforms.ActNorm;
import dev.fluvia.transforms.Transform;
import dev.fluvia.transforms.image.ImageAffineCoupling;
import dev.fluvia.transforms.image.InvertibleConv1x1;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Times one Glow step (ActNorm → LU 1×1 convolution → affine coupling with the Glow conv net) on random images: the
 * maximum-likelihood forward + backward pass and the sampling (inverse) pass; scripts/bench/torch_glow.py is the PyTorch peer.
 */
@Command(name = "bench-glow", mixinStandardHelpOptions = true,
        description = "Time one Glow step (actnorm, LU 1x1 conv, affine coupling) forward+backward and sampling on random images.")
final class BenchGlowCommand implements Callable<Integer> {
    @Option(names = "--channels", defaultValue = "12") int channels;
    @Option(names = "--size", defaultValue = "16", description = "Height and width.") int size;
    @Option(names = "--width", defaultValue = "512", description = "Coupling network width.") int width;
    @Option(names = "--batch", defaultValue = "64") int batch;
    @Option(names = "--warmup", defaultValue = "2") int warmup;
    @Option(names = "--iters", defaultValue = "5") int iters;
    @Mixin Common common = new Common();

    @Override public Integer call() {
        if (iters < 1 || warmup < 0 || batch < 1) throw new IllegalArgumentException("--iters and --batch must be >= 1, --warmup >= 0");
        int[] shape = {channels, size, size};
        try (Backend be = common.open()) {
            SplittableRandom rng = new SplittableRandom(1);
            List<Transform> ts = List.of(new ActNorm(be, shape), new InvertibleConv1x1(be, shape, 7),
                    new ImageAffineCoupling(be, shape, ImageAffineCoupling.CHANNEL, 0, CouplingScale.SIGMOID, 2f, "glow", width, 0, rng));
            Flow flow = new Flow(be, new StandardNormal(be, shape), ts);
            float[] x = new float[batch * channels * size * size];
            for (int i = 0; i < x.length; i++) x[i] = (float) rng.nextDouble(-1, 1);
            double[] train = new double[iters], sample = new double[iters];
            try (Scope s = be.scope()) { flow.initialize(be.fromHost(x, flow.batchShape(batch))); }
            for (int it = -warmup; it < iters; it++) {
                long t0 = System.nanoTime();
                try (Scope s = be.scope()) {
                    flow.zeroGrad();
                    dev.fluvia.train.Nll.INSTANCE.forwardBackward(flow, be.fromHost(x, flow.batchShape(batch)), MemoryMode.STORE);
                    be.synchronize();
                }
                long t1 = System.nanoTime();
                try (Scope s = be.scope()) {
                    flow.sample(batch, 1f, it + 100L);
                    be.synchronize();
                }
                long t2 = System.nanoTime();
                if (it >= 0) { train[it] = (t1 - t0) * 1e-6; sample[it] = (t2 - t1) * 1e-6; }
            }
            Arrays.sort(train);
            Arrays.sort(sample);
            System.out.printf(Locale.ROOT, "fluvia glow step [%d, %d, %d, %d] width %d, %s %d threads: forward+backward median %.1f ms (min %.1f, %.1f images/s); "
                            + "sampling median %.1f ms (min %.1f, %.1f images/s)%n",
                    batch, channels, size, size, width, be.name(), be.threads(), train[iters / 2], train[0], batch / (train[iters / 2] * 1e-3),
                    sample[iters / 2], sample[0], batch / (sample[iters / 2] * 1e-3));
        }
        return 0;
    }
}
