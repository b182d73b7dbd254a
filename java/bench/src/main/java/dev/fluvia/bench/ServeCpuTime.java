package dev.fluvia.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;

/**
 * The serving benchmarks ({@link ServeBench}: Fluvia and ONNX Runtime Java, 1 thread) timed in <b>CPU time of the calling
 * thread</b> instead of wall time, so that they hold on a machine shared with other work. With one thread both libraries
 * compute on the caller's thread (Fluvia's CPU backend with 1 worker runs inline; ONNX Runtime with 1 intra-op thread runs
 * the graph on the caller), so the thread's CPU time is the cost of the call, whatever else the machine runs. The PyTorch
 * peer measures the same way ({@code serve_peer.py --cpu}: {@code time.thread_time_ns}).
 *
 * <p>Per model and side: warm-up of 3 s of CPU time on single rows and 3 s on batches (C2 compiles the Vector API code),
 * then single-row calls until {@code calls} or 3 s of CPU time (p50, p99 of the per-call CPU time), then {@code batchCalls}
 * batches of {@code batch} rows (median and best rows per CPU-second).
 *
 * <pre>java $FLUVIA_JVM_FLAGS -cp java/bench/target/fluvia-bench.jar dev.fluvia.bench.ServeCpuTime DIR [ROUNDS [SIDES]]</pre>
 * SIDES: a comma list of {@code fluvia}, {@code onnx} (default both); the GEMM is the default ({@code -Dfluvia.blas=java}
 * for the Java kernel).
 */
public final class ServeCpuTime {
    private ServeCpuTime() {}

    private static final ThreadMXBean MX = ManagementFactory.getThreadMXBean();

    public static void main(String[] args) throws Exception {
        String dir = args.length > 0 ? args[0] : "target/bench/serve";
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 1;
        String[] sides = args.length > 2 ? args[2].split(",") : new String[] {"fluvia", "onnx"};
        System.setProperty("fluvia.serve.dir", dir);
        if (!MX.isCurrentThreadCpuTimeSupported()) throw new IllegalStateException("no thread CPU time in this JVM");
        for (int r = 1; r <= rounds; r++)
            for (String model : new String[] {"realnvp", "maf"})
                for (String side : sides) run(model, side, r);
    }

    static void run(String model, String side, int round) throws Exception {
        ServeBench b = new ServeBench();
        b.model = model;
        b.side = side;
        b.threads = 1;
        b.batch = 4096;
        b.setup();
        try {
            float sink = 0;
            long end = cpu() + 3_000_000_000L;
            while (cpu() < end) sink += b.singleRow();
            end = cpu() + 3_000_000_000L;
            while (cpu() < end) sink += b.batch();
            long[] single = new long[20_000];
            int n = 0;
            long budget = cpu() + 3_000_000_000L;
            while (n < single.length && cpu() < budget) {
                long t0 = cpu();
                sink += b.singleRow();
                single[n++] = cpu() - t0;
            }
            long[] s = Arrays.copyOf(single, n);
            Arrays.sort(s);
            long[] batch = new long[15];
            for (int i = 0; i < batch.length; i++) {
                long t0 = cpu();
                sink += b.batch();
                batch[i] = cpu() - t0;
            }
            Arrays.sort(batch);
            System.out.printf("cpu round=%d model=%s side=%s threads=1 single_calls=%d single_p50_us=%.2f single_p99_us=%.2f batch=%d "
                            + "rows_per_cpu_s=%.0f best_rows_per_cpu_s=%.0f sink=%s%n", round, model, side, n, s[n / 2] / 1e3,
                    s[(int) (n * 0.99)] / 1e3, b.batch, b.batch / (batch[batch.length / 2] / 1e9), b.batch / (batch[0] / 1e9),
                    Float.isNaN(sink) ? "nan" : "ok");
        } finally {
            b.tearDown();
        }
    }

    private static long cpu() { return MX.getCurrentThreadCpuTime(); }
}
