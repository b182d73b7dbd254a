package dev.fluvia.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;

/**
 * A batch-scoring loop of {@link ServeBench#batch} (4096 rows, 1 thread; side {@code fluvia} — the GEMM the JVM's properties
 * choose — or {@code onnx}) for a budget of CPU seconds, to profile (e.g. with JFR) what bounds the batch rows; prints rows per CPU-second per pass.
 *
 * <pre>java $FLUVIA_JVM_FLAGS -XX:StartFlightRecording=filename=b.jfr,settings=profile \
 *     -cp java/bench/target/fluvia-bench.jar dev.fluvia.bench.ServeBatchLoop target/bench/serve realnvp 20 [fluvia|onnx]</pre>
 */
public final class ServeBatchLoop {
    private ServeBatchLoop() {}

    public static void main(String[] args) throws Exception {
        System.setProperty("fluvia.serve.dir", args.length > 0 ? args[0] : "target/bench/serve");
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        ServeBench b = new ServeBench();
        b.model = args.length > 1 ? args[1] : "realnvp";
        b.side = args.length > 3 ? args[3] : "fluvia";
        b.threads = 1;
        b.batch = 4096;
        double seconds = args.length > 2 ? Double.parseDouble(args[2]) : 20;
        b.setup();
        try {
            float sink = 0;
            long end = mx.getCurrentThreadCpuTime() + (long) (seconds * 1e9);
            while (mx.getCurrentThreadCpuTime() < end) {
                long t0 = mx.getCurrentThreadCpuTime();
                int calls = 0;
                while (mx.getCurrentThreadCpuTime() - t0 < 2_000_000_000L) { sink += b.batch(); calls++; }
                System.out.printf("%s %s: %.0f rows/CPU-s%n", b.model, b.side, calls * (double) b.batch / ((mx.getCurrentThreadCpuTime() - t0) / 1e9));
            }
            if (Float.isNaN(sink)) System.out.println("NaN");
        } finally {
            b.tearDown();
        }
    }
}
