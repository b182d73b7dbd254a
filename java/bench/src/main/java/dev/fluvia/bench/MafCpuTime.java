package dev.fluvia.bench;

import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.flow.Flow;
import dev.fluvia.flow.MemoryMode;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;

/**
 * The MAF rows of §4/§8 ({@link MafSampleBench}: {@code sampleHost(512)}; {@link MafStepBench}: one STORE training step,
 * batch 512) timed in CPU time of the calling thread on a 1-thread backend, as {@link ServeCpuTime} does for scoring: on a
 * machine shared with other work, wall time measures the queue for the CPU, CPU time the call's own cost. Warm-up calls
 * first (the JIT: the first sampling call costs seconds), then the median and best of the timed calls.
 *
 * <p>With a third argument {@code steps}: training steps only, the mean CPU time of {@code calls} steps after {@code warmup}.
 *
 * <pre>java $FLUVIA_JVM_FLAGS [-Dfluvia.blas=java] -cp java/bench/target/fluvia-bench.jar dev.fluvia.bench.MafCpuTime [calls] [warmup] [steps]</pre>
 */
public final class MafCpuTime {
    private MafCpuTime() {}

    public static void main(String[] args) {
        int calls = args.length > 0 ? Integer.parseInt(args[0]) : 15, warm = args.length > 1 ? Integer.parseInt(args[1]) : 8;
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        try (CpuBackend be = new CpuBackend(1, true)) {
            Flow flow = TrainSetup.maf8(be, 1);
            TrainSetup.Trainer trainer = new TrainSetup.Trainer(be, flow, TrainSetup.batch(be, 512, 8, 2), MemoryMode.STORE);
            if (args.length > 2 && args[2].equals("steps")) {
                for (int i = 0; i < warm; i++) trainer.step();
                long c0 = mx.getCurrentThreadCpuTime();
                double sink = 0;
                for (int i = 0; i < calls; i++) sink += trainer.step();
                System.out.printf("cpu gemm=%s train step STORE b512: mean %.1f ms over %d steps (%s)%n", be.gemm().startsWith("Java") ? "java" : "openblas",
                        (mx.getCurrentThreadCpuTime() - c0) / 1e6 / calls, calls, Double.isFinite(sink) ? "sink ok" : "sink NaN");
                return;
            }
            for (int i = 0; i < 2; i++) trainer.step(); // move the output layers off zero (the sampling then uses them)
            double[] sample = new double[calls], step = new double[calls];
            float sink = 0;
            for (int i = -warm; i < calls; i++) {
                long c0 = mx.getCurrentThreadCpuTime();
                sink += flow.sampleHost(512, 1f, 100 + i)[0];
                long c1 = mx.getCurrentThreadCpuTime();
                sink += (float) trainer.step();
                long c2 = mx.getCurrentThreadCpuTime();
                if (i >= 0) { sample[i] = (c1 - c0) / 1e6; step[i] = (c2 - c1) / 1e6; }
            }
            System.out.printf("cpu gemm=%s maf sample b512: median %.1f ms best %.1f; train step STORE b512: median %.1f ms best %.1f (%s)%n",
                    be.gemm().startsWith("Java") ? "java" : "openblas", median(sample), Arrays.stream(sample).min().orElse(0),
                    median(step), Arrays.stream(step).min().orElse(0), Float.isFinite(sink) ? "sink ok" : "sink NaN");
        }
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
