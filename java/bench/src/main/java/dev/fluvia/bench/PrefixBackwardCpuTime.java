package dev.fluvia.bench;

import dev.fluvia.backend.Scope;
import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.backend.dense.PrefixLayout;
import dev.fluvia.nn.Made;
import dev.fluvia.tensor.Index;
import dev.fluvia.tensor.Tensor;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The backward of one MADE hidden x hidden layer of the MAF D = 8, 5 x 512 model (batch 512, the units sorted by degree):
 * the dense {@code linearBackward} against the prefix-sparse {@code prefixLinearBackward}, alternating call by call in one
 * JVM so that both see the same machine load; CPU time of the calling thread on a 1-thread backend, median and best of
 * {@code calls} calls each after {@code warmup}.
 *
 * <pre>java $FLUVIA_JVM_FLAGS [-Dfluvia.blas=java] -cp java/bench/target/fluvia-bench.jar dev.fluvia.bench.PrefixBackwardCpuTime [calls] [warmup]</pre>
 */
public final class PrefixBackwardCpuTime {
    private PrefixBackwardCpuTime() {}

    public static void main(String[] args) {
        int calls = args.length > 0 ? Integer.parseInt(args[0]) : 40, warm = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        int d = 8, h = 512, n = 512;
        int[][] deg = Made.cyclicDegrees(d, new int[] {h, h});
        List<float[]> masks = Made.buildMasks(Made.inputDegrees(new int[] {0, 1, 2, 3, 4, 5, 6, 7}), deg);
        PrefixLayout lay = PrefixLayout.derive(masks, new int[] {d, h, h, 2 * d}, null);
        int[] ext = lay.extent(1);
        SplittableRandom r = new SplittableRandom(1);
        float[] x = new float[n * h], w = new float[h * h], g = new float[n * h];
        for (int i = 0; i < x.length; i++) { x[i] = (float) r.nextDouble(); g[i] = (float) (r.nextDouble() - 0.5); }
        for (int o = 0; o < h; o++) for (int k = 0; k < ext[o]; k++) w[o * h + k] = (float) (r.nextDouble() - 0.5);
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        try (CpuBackend be = new CpuBackend(1, true); Scope s = be.scope()) {
            Tensor xt = be.fromHost(x, n, h), wt = be.fromHost(w, h, h), gt = be.fromHost(g, n, h);
            Tensor gx = be.alloc(n, h), gw = be.alloc(h, h), gb = be.alloc(h);
            Index e = be.index(ext);
            double[] dense = new double[calls], sparse = new double[calls];
            for (int i = -warm; i < calls; i++) {
                long c0 = mx.getCurrentThreadCpuTime();
                be.dense().linearBackward(xt, wt, gt, gx, gw, gb);
                long c1 = mx.getCurrentThreadCpuTime();
                be.dense().prefixLinearBackward(xt, wt, e, gt, gx, gw, gb);
                long c2 = mx.getCurrentThreadCpuTime();
                if (i >= 0) { dense[i] = (c1 - c0) / 1e6; sparse[i] = (c2 - c1) / 1e6; }
            }
            System.out.printf("cpu gemm=%s MADE hidden layer backward 512x512, batch 512 (%.0f %% of the weight structurally zero): "
                            + "linearBackward median %.2f ms best %.2f; prefixLinearBackward median %.2f ms best %.2f%n",
                    be.gemm().startsWith("Java") ? "java" : "openblas", 100 * lay.skipped(1), median(dense), Arrays.stream(dense).min().orElse(0),
                    median(sparse), Arrays.stream(sparse).min().orElse(0));
        }
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
