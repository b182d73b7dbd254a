package dev.fluvia.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.serve.FlowModel;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Scoring a trained flow inside a JVM service: Fluvia's {@link FlowModel} against the same model exported from PyTorch to
 * ONNX and run by ONNX Runtime Java (what a Java team would pick instead), in the same JMH harness. The models and the
 * ONNX files come from {@link ServeModels} and {@code scripts/bench/serve_peer.py --export} (directory: system property
 * {@code fluvia.serve.dir}, default {@code target/bench/serve}); setup checks that the side's log p of the 1024 check
 * rows matches Fluvia's reference (relative 1e-4) and fails otherwise.
 * <ul>
 *   <li>{@link #singleRow}: one row's log p (sample time: p50, p99), the row in a reused input ({@code float[]} for Fluvia,
 *       a tensor over a direct buffer for ONNX Runtime, both the cheapest form each API offers);</li>
 *   <li>{@link #batch}: {@code batch} rows per call (throughput; rows/s = ops/s × batch), zero-copy on both sides (a
 *       shared-arena segment for {@link FlowModel#logProb(MemorySegment, int, MemorySegment)}, a direct-buffer tensor for ORT).</li>
 * </ul>
 * {@code threads}: Fluvia's CPU backend workers, ONNX Runtime's intra-op threads (inter-op 1, sequential execution, all
 * graph optimisations). One JMH thread calls.
 */
@State(Scope.Benchmark)
public class ServeBench {
    @Param({"realnvp", "maf"}) public String model;
    @Param({"fluvia", "onnx"}) public String side;
    @Param({"1"}) public int threads;
    @Param({"4096"}) public int batch;

    private CpuBackend be;
    private FlowModel flow;
    private OrtEnvironment env;
    private OrtSession session;
    private OnnxTensor ortRow, ortBatch;
    private int dim;
    private float[] row;
    private Arena arena;
    private MemorySegment in, out;

    @Setup public void setup() throws IOException, OrtException {
        Path dir = Path.of(System.getProperty("fluvia.serve.dir", "target/bench/serve"));
        float[] checkX = ServeModels.readF32(dir.resolve(model + ".points.f32"));
        float[] checkLp = ServeModels.readF32(dir.resolve(model + ".logp.f32"));
        dim = checkX.length / checkLp.length;
        row = java.util.Arrays.copyOf(checkX, dim);
        float[] xs = new float[batch * dim];
        SplittableRandom r = new SplittableRandom(5);
        for (int i = 0; i < xs.length; i++) xs[i] = (float) (1.2 * CpuBackend.gaussian(r));
        arena = Arena.ofShared();
        in = arena.allocate((long) xs.length * 4, 64);
        MemorySegment.copy(xs, 0, in, ValueLayout.JAVA_FLOAT, 0, xs.length);
        out = arena.allocate((long) batch * 4, 64);
        float[] got;
        if (side.equals("fluvia")) {
            be = new CpuBackend(threads);
            flow = FlowModel.load(dir.resolve(model + ".safetensors"), be);
            got = flow.logProb(checkX, checkLp.length);
        } else if (side.equals("onnx")) {
            env = OrtEnvironment.getEnvironment();
            OrtSession.SessionOptions o = new OrtSession.SessionOptions();
            o.setIntraOpNumThreads(threads);
            o.setInterOpNumThreads(1);
            o.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            session = env.createSession(dir.resolve(model + ".onnx").toString(), o);
            FloatBuffer rb = ByteBuffer.allocateDirect(dim * 4).order(ByteOrder.nativeOrder()).asFloatBuffer().put(row);
            ortRow = OnnxTensor.createTensor(env, rb.rewind(), new long[] {1, dim});
            ortBatch = OnnxTensor.createTensor(env, in.asByteBuffer().order(ByteOrder.nativeOrder()).asFloatBuffer(), new long[] {batch, dim});
            try (OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(checkX), new long[] {checkLp.length, dim});
                 OrtSession.Result res = session.run(Map.of("x", t))) {
                got = (float[]) res.get(0).getValue();
            }
        } else {
            throw new IllegalArgumentException("side must be fluvia or onnx, got " + side);
        }
        for (int i = 0; i < checkLp.length; i++) {
            double err = Math.abs(got[i] - checkLp[i]) / Math.max(1, Math.abs(checkLp[i]));
            if (!(err <= 1e-4)) throw new IllegalStateException(side + " " + model + ": row " + i + " log p " + got[i] + " vs Fluvia's " + checkLp[i]);
        }
    }

    @TearDown public void tearDown() throws OrtException {
        if (flow != null) flow.close();
        if (be != null) be.close();
        if (ortRow != null) ortRow.close();
        if (ortBatch != null) ortBatch.close();
        if (session != null) session.close();
        arena.close();
    }

    /** One row's log p. */
    @Benchmark @BenchmarkMode(Mode.SampleTime) @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public float singleRow() throws OrtException {
        if (flow != null) return flow.logProb(row);
        try (OrtSession.Result res = session.run(Map.of("x", ortRow))) {
            return ((float[]) res.get(0).getValue())[0];
        }
    }

    /** {@code batch} rows' log p, zero-copy in and out. */
    @Benchmark @BenchmarkMode(Mode.Throughput) @OutputTimeUnit(TimeUnit.SECONDS)
    public float batch() throws OrtException {
        if (flow != null) {
            flow.logProb(in, batch, out);
            return out.getAtIndex(ValueLayout.JAVA_FLOAT, 0);
        }
        try (OrtSession.Result res = session.run(Map.of("x", ortBatch))) {
            FloatBuffer lp = ((OnnxTensor) res.get(0)).getFloatBuffer();
            return lp.get(0);
        }
    }
}
