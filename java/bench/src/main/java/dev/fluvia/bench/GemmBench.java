package dev.fluvia.bench;

import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.tensor.Tensor;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * SGEMM at the shapes a 256-wide conditioner layer sees in training with batch 4096: forward {@code x·wᵀ} (NT), input
 * gradient {@code gpre·w} (NN) and weight gradient {@code gpreᵀ·x} (TN, K = batch). GFLOP/s = 2·M·N·K / time.
 * {@code -p threads=1,2} sets the backend's worker count; {@code -p vector=false} times the scalar fallback;
 * {@code -p gemm=openblas,java} the GEMM provider.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class GemmBench {
    /** M×N×K and transposes: "NT" = C[M,N] = A[M,K]·B[N,K]ᵀ. */
    @Param({"4096x256x256:NT", "4096x256x256:NN", "256x256x4096:TN"}) public String shape;
    @Param({"1"}) public int threads;
    @Param({"true"}) public boolean vector;
    /** The backend's GEMM: "openblas" (the host BLAS through FFM) or "java" (Fluvia's kernel); see CpuGemm. */
    @Param({"openblas", "java"}) public String gemm;

    CpuBackend be;
    Tensor a, b, c;
    boolean ta, tb;

    @Setup(Level.Trial) public void setup() {
        String[] p = shape.split(":"), d = p[0].split("x");
        int m = Integer.parseInt(d[0]), n = Integer.parseInt(d[1]), k = Integer.parseInt(d[2]);
        ta = p[1].charAt(0) == 'T';
        tb = p[1].charAt(1) == 'T';
        be = new CpuBackend(threads, vector, gemm);
        SplittableRandom r = new SplittableRandom(1);
        a = ta ? rand(r, k, m) : rand(r, m, k);
        b = tb ? rand(r, n, k) : rand(r, k, n);
        c = be.alloc(m, n);
    }

    private Tensor rand(SplittableRandom r, int rows, int cols) {
        float[] v = new float[rows * cols];
        for (int i = 0; i < v.length; i++) v[i] = (float) (r.nextDouble() - 0.5);
        return be.fromHost(v, rows, cols);
    }

    @TearDown(Level.Trial) public void tearDown() { be.close(); }

    @Benchmark public Tensor gemm() {
        be.dense().gemm(ta, tb, 1f, a, b, 0f, c);
        return c;
    }
}
