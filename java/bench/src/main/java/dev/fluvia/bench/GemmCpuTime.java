package dev.fluvia.bench;

import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.tensor.Tensor;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * {@link GemmBench}'s three products (NT {@code x·wᵀ}, NN {@code gpre·w}, TN {@code gpreᵀ·x} with K = 4096) call by call:
 * per call the wall time and, on a 1-thread backend, the CPU time of the calling thread (on a machine shared with other
 * work, wall time measures the queue for the CPU as well, CPU time the call's own cost). Warm-up calls first, then the
 * median and best of the timed calls, in ms and GFLOP/s (2·M·N·K / time), and as a percentage of a peak given in GFLOP/s.
 *
 * <pre>java $FLUVIA_JVM_FLAGS -cp java/bench/target/fluvia-bench.jar dev.fluvia.bench.GemmCpuTime [threads] [calls] [warmup] [peak] [gemm] [NT,NN,TN]</pre>
 */
public final class GemmCpuTime {
    private GemmCpuTime() {}

    public static void main(String[] args) {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 1;
        int calls = args.length > 1 ? Integer.parseInt(args[1]) : 200, warm = args.length > 2 ? Integer.parseInt(args[2]) : 200;
        double peak = args.length > 3 ? Double.parseDouble(args[3]) : 0;
        String gemm = args.length > 4 ? args[4] : "java";
        String only = args.length > 5 ? args[5] : "NT,NN,TN"; // the products to run, e.g. TN
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        String[][] shapes = {{"4096", "256", "256", "NT"}, {"4096", "256", "256", "NN"}, {"256", "256", "4096", "TN"}};
        try (CpuBackend be = new CpuBackend(threads, true, gemm)) {
            for (String[] s : shapes) {
                if (!java.util.Arrays.asList(only.split(",")).contains(s[3])) continue;
                int m = Integer.parseInt(s[0]), n = Integer.parseInt(s[1]), k = Integer.parseInt(s[2]);
                boolean ta = s[3].charAt(0) == 'T', tb = s[3].charAt(1) == 'T';
                SplittableRandom r = new SplittableRandom(1);
                Tensor a = ta ? rand(be, r, k, m) : rand(be, r, m, k), b = tb ? rand(be, r, n, k) : rand(be, r, k, n), c = be.alloc(m, n);
                double[] wall = new double[calls], cpu = new double[calls];
                for (int i = -warm; i < calls; i++) {
                    long w0 = System.nanoTime(), c0 = mx.getCurrentThreadCpuTime();
                    be.dense().gemm(ta, tb, 1f, a, b, 0f, c);
                    long c1 = mx.getCurrentThreadCpuTime(), w1 = System.nanoTime();
                    if (i >= 0) { wall[i] = (w1 - w0) / 1e6; cpu[i] = (c1 - c0) / 1e6; }
                }
                double flop = 2.0 * m * n * k;
                StringBuilder line = new StringBuilder(String.format("%s %dx%dx%d %s T=%d", gemm, m, n, k, s[3], threads));
                line.append(describe("wall", wall, flop, peak));
                if (threads == 1) line.append(describe("cpu", cpu, flop, peak));
                System.out.println(line);
            }
        }
    }

    private static String describe(String what, double[] ms, double flop, double peak) {
        double med = median(ms), best = Arrays.stream(ms).min().orElse(0);
        String s = String.format("  %s median %.3f ms (%.0f GFLOP/s) best %.3f ms (%.0f GFLOP/s)", what, med, flop / med / 1e6, best, flop / best / 1e6);
        if (peak > 0) s += String.format(" = %.0f / %.0f %% of %.0f", 100 * flop / med / 1e6 / peak, 100 * flop / best / 1e6 / peak, peak);
        return s;
    }

    private static Tensor rand(CpuBackend be, SplittableRandom r, int rows, int cols) {
        float[] v = new float[rows * cols];
        for (int i = 0; i < v.length; i++) v[i] = (float) (r.nextDouble() - 0.5);
        return be.fromHost(v, rows, cols);
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
