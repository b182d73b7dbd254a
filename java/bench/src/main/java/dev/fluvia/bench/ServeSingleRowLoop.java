package dev.fluvia.bench;

import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.serve.FlowModel;
import java.nio.file.Path;

/**
 * A single-row {@link FlowModel#logProb(float[])} loop on a 1-thread CPU backend, to profile (e.g. with JFR) what bounds
 * single-row latency; prints µs per row (wall) for each of 5 passes.
 *
 * <pre>java $FLUVIA_JVM_FLAGS -XX:StartFlightRecording=filename=p.jfr,settings=profile \
 *     -cp java/bench/target/fluvia-bench.jar dev.fluvia.bench.ServeSingleRowLoop target/bench/serve/maf.safetensors 400</pre>
 */
public final class ServeSingleRowLoop {
    private ServeSingleRowLoop() {}

    public static void main(String[] args) {
        Path file = Path.of(args[0]);
        int calls = args.length > 1 ? Integer.parseInt(args[1]) : 10_000;
        try (CpuBackend be = new CpuBackend(1); FlowModel m = FlowModel.load(file, be)) {
            float[] row = new float[m.dimension()];
            for (int i = 0; i < row.length; i++) row[i] = 0.3f * i - 0.5f;
            float sink = 0;
            for (int pass = 0; pass < 5; pass++) {
                long t0 = System.nanoTime();
                for (int i = 0; i < calls; i++) sink += m.logProb(row);
                System.out.printf("%s: %.1f µs/row%n", file.getFileName(), (System.nanoTime() - t0) / 1e3 / calls);
            }
            if (Float.isNaN(sink)) System.out.println("NaN");
        }
    }
}
