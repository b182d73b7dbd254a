package dev.fluvia.bench;

import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.flow.Flow;
import dev.fluvia.flow.PresetOptions;
import dev.fluvia.flow.Presets;
import dev.fluvia.io.Checkpoint;
import dev.fluvia.param.Param;
import dev.fluvia.serve.FlowModel;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * Writes the two models of the serving benchmarks ({@link ServeBench}) and their check data into a directory:
 * <ul>
 *   <li>{@code realnvp.safetensors}: RealNVP, 2-D, 8 affine couplings, conditioners 1 → 64 → 64 → 2 (ReLU);</li>
 *   <li>{@code maf.safetensors}: MAF, D = 8, 5 layers (orders alternating), MADE 8 → 512 → 512 → 16 (ReLU);</li>
 *   <li>{@code <model>.points.f32}: 1024 rows (little-endian float32) and {@code <model>.logp.f32}: their log p from
 *       {@link FlowModel} — the reference the PyTorch and ONNX peers are checked against.</li>
 * </ul>
 * Every trainable weight is moved off its initialisation by a seeded uniform perturbation scaled by 1/√fan-in, so that
 * every layer (including the zero-initialised output layers) does real work.
 *
 * <pre>java -cp java/bench/target/fluvia-bench.jar dev.fluvia.bench.ServeModels DIR</pre>
 */
public final class ServeModels {
    private ServeModels() {}

    /** Rows in the check data. */
    public static final int CHECK_ROWS = 1024;

    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args.length > 0 ? args[0] : "target/bench/serve");
        Files.createDirectories(dir);
        write(dir, "realnvp", 2, new PresetOptions(8, 64, 2, null, null, 0f, null, 21L));
        write(dir, "maf", 8, new PresetOptions(5, 512, 2, null, null, 0f, null, 22L));
    }

    static void write(Path dir, String name, int dim, PresetOptions o) throws IOException {
        Path file = dir.resolve(name + ".safetensors");
        try (CpuBackend be = new CpuBackend(1)) {
            Flow f = Presets.build(name, be, dim, o, null, null);
            SplittableRandom r = new SplittableRandom(o.seed());
            for (Param p : f.params()) {
                if (!p.trainable()) continue;
                int[] shape = p.value().shape();
                double scale = 0.5 / Math.sqrt(shape.length == 2 ? shape[1] : 64);
                float[] v = be.toHost(p.value());
                for (int i = 0; i < v.length; i++) v[i] += (float) ((r.nextDouble() * 2 - 1) * scale);
                be.upload(v, p.value());
            }
            Checkpoint.save(file, f, null, null);
        }
        SplittableRandom r = new SplittableRandom(99);
        float[] x = new float[CHECK_ROWS * dim];
        for (int i = 0; i < x.length; i++) x[i] = (float) (1.2 * CpuBackend.gaussian(r));
        float[] lp;
        try (FlowModel m = FlowModel.load(file)) {
            lp = m.logProb(x, CHECK_ROWS);
        }
        writeF32(dir.resolve(name + ".points.f32"), x);
        writeF32(dir.resolve(name + ".logp.f32"), lp);
        double mean = 0;
        for (float v : lp) mean += v / lp.length;
        System.out.printf("%s: %s, mean log p of the check rows %.4f%n", name, file, mean);
    }

    static void writeF32(Path p, float[] v) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(v);
        Files.write(p, b.array());
    }

    static float[] readF32(Path p) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(p)).order(ByteOrder.LITTLE_ENDIAN);
        float[] v = new float[b.remaining() / 4];
        b.asFloatBuffer().get(v);
        return v;
    }
}
