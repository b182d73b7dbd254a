package dev.fluvia.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.fluvia.backend.Activation;
import dev.fluvia.backend.Backend;
import dev.fluvia.backend.CouplingScale;
import dev.fluvia.backend.check.FamilyBench;
import dev.fluvia.backend.check.KernelCase;
import dev.fluvia.backend.check.KernelCheck;
import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.backend.cuda.CudaBackend;
import dev.fluvia.tensor.Index;
import dev.fluvia.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.function.BiConsumer;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Every op of the CUDA backend against the CPU reference (FLOWS.md tolerances): element-wise/reduction ops
 * |gpu − ref| ≤ 1e-5 + 1e-4·|ref|, ops with a matrix product ≤ 1e-4 + 1e-3·|ref| (TF32 off). Fresh random inputs (never
 * zeros), GPU outputs poisoned with NaN first, odd sizes (D = 2, 3, 63, 784; batches not multiples of 32). Prints the max
 * error per op. Skips with one line when there is no usable GPU.
 */
@Tag("gpu")
@ExtendWith(GpuSupport.class)
class CudaParityTest {
    static final int[] DIMS = {2, 3, 63, 784};
    static final int[] BATCHES = {1, 37, 333};
    static CpuBackend cpu;
    static CudaBackend gpu;
    static final Map<String, double[]> errors = new TreeMap<>();  // op → {max abs error, max error/tolerance}
    static final SplittableRandom rng = new SplittableRandom(20240611);

    @BeforeAll static void setUp() {
        if (!GpuSupport.requireCuda("CudaParityTest")) return;  // no GPU in a CPU run: each test is reported skipped
        cpu = new CpuBackend(2);
        gpu = CudaBackend.create();
        System.out.println("CudaParityTest on " + gpu.deviceName());
    }

    @AfterAll static void report() {
        if (gpu == null) return;
        System.out.printf("%-34s %12s %10s%n", "op", "max |err|", "err/tol");
        errors.forEach((op, e) -> System.out.printf("%-34s %12.3e %10.4f%n", op, e[0], e[1]));
        gpu.close();
        cpu.close();
    }

    // ------------------------------------------------------------------ harness

    static float[] rand(int n, double lo, double hi) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            double v = lo + (hi - lo) * rng.nextDouble();
            if (v == 0) v = 1e-3;
            a[i] = (float) v;
        }
        return a;
    }

    static float[] randn(int n, double std) { float[] a = new float[n]; for (int i = 0; i < n; i++) { double v = CpuBackend.gaussian(rng) * std; a[i] = (float) (v == 0 ? 1e-3 : v); } return a; }

    /** A host array uploaded to both backends. */
    record Pair(Tensor c, Tensor g, float[] host) {}

    static Pair both(float[] data, int... shape) { return new Pair(cpu.fromHost(data, shape), gpu.fromHost(data, shape), data); }

    /** An output: CPU zero-filled, GPU poisoned with NaN (every element must be written). */
    static Pair out(int... shape) {
        Tensor g = gpu.alloc(shape);
        gpu.fill(g, Float.NaN);
        return new Pair(cpu.alloc(shape), g, null);
    }

    static Index[] idx(int[] v) { return new Index[] {cpu.index(v), gpu.index(v)}; }

    static void compare(String op, Pair p, boolean matmul) { compare(op, cpu.toHost(p.c()), gpu.toHost(p.g()), matmul); }

    static void compare(String op, float[] ref, float[] got, boolean matmul) {
        assertEquals(ref.length, got.length, op + ": lengths");
        double abs = matmul ? 1e-4 : 1e-5, rel = matmul ? 1e-3 : 1e-4, maxErr = 0, maxRatio = 0;
        for (int i = 0; i < ref.length; i++) {
            if (Float.isNaN(got[i])) fail(op + ": NaN at " + i + " (ref " + ref[i] + "): element not written or invalid");
            double e = Math.abs((double) got[i] - ref[i]), tol = abs + rel * Math.abs(ref[i]);
            maxErr = Math.max(maxErr, e);
            maxRatio = Math.max(maxRatio, e / tol);
            if (e > tol) fail(op + ": element " + i + " gpu " + got[i] + " ref " + ref[i] + " |err| " + e + " > tol " + tol);
        }
        errors.merge(op, new double[] {maxErr, maxRatio}, (a, b) -> new double[] {Math.max(a[0], b[0]), Math.max(a[1], b[1])});
    }

    static int[] perm(int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        for (int i = n - 1; i > 0; i--) { int j = rng.nextInt(i + 1); int t = p[i]; p[i] = p[j]; p[j] = t; }
        return p;
    }

    static void forSizes(BiConsumer<Integer, Integer> body) { for (int d : DIMS) for (int n : BATCHES) body.accept(n, d); }

    // ------------------------------------------------------------------ the op families' validate-and-benchmark entries

    /**
     * Every entry of every op family ({@link KernelCheck#FAMILIES}: each family's {@code parity} list, fresh random inputs,
     * GPU outputs poisoned with NaN, {@code atol + rtol·|ref|}), one dynamic test per entry.
     */
    @TestFactory Stream<DynamicTest> familyEntries() {
        List<DynamicTest> tests = new ArrayList<>();
        String only = System.getProperty("fluvia.parity.families", System.getProperty("fluvia.parity.family", "")); // e.g. "dist,residual": those families' entries only
        for (FamilyBench fam : KernelCheck.FAMILIES)
            for (KernelCase c : fam.parity(new SplittableRandom(rng.nextLong())))
                if (only.isBlank() || List.of(only.split(",")).contains(fam.family())) tests.add(DynamicTest.dynamicTest(fam.family() + ": " + c.op() + " " + c.size(), () -> {
                    try {
                        KernelCheck.validate(c, cpu, gpu).forEach((label, e) -> errors.merge(label, new double[] {e.maxAbs(), e.maxRatio()},
                                (a, b) -> new double[] {Math.max(a[0], b[0]), Math.max(a[1], b[1])}));
                    } catch (KernelCheck.Mismatch m) {
                        fail(m.getMessage());
                    }
                }));
        return tests.stream();
    }

    /** The fused ops equal their compositions of the generic primitives on CUDA too. */
    @Test void fusedOpsEqualTheirCompositions() {
        try {
            dev.fluvia.backend.FusedOpCompositionTest.check(gpu);
        } catch (KernelCheck.Mismatch m) {
            fail(m.getMessage());
        }
    }

    @Test void fillScaleAxpyCopy() {
        forSizes((n, d) -> {
            Pair f = out(n, d);
            cpu.fill(f.c(), 0.37f); gpu.fill(f.g(), 0.37f);
            compare("fill", f, false);
            Pair s = both(rand(n * d, -3, 3), n, d);
            cpu.elementwise().scale(s.c(), -1.7f); gpu.elementwise().scale(s.g(), -1.7f);
            compare("scale", s, false);
            Pair x = both(rand(n * d, -3, 3), n, d), y = both(rand(n * d, -3, 3), n, d);
            cpu.elementwise().axpy(0.3f, x.c(), y.c()); gpu.elementwise().axpy(0.3f, x.g(), y.g());
            compare("axpy", y, false);
            Pair c = out(n, d);
            cpu.copy(x.c(), c.c()); gpu.copy(x.g(), c.g());
            compare("copy", c, false);
        });
    }

    // ------------------------------------------------------------------ distributions and reductions

    @Test void reductions() {
        for (int size : new int[] {1, 37, 4097, 1_000_003}) {
            Pair t = both(rand(size, -2, 2), size);
            double s = cpu.reduce().sum(t.c()), sq = cpu.reduce().sumSquares(t.c());
            double gs = gpu.reduce().sum(t.g()), gsq = gpu.reduce().sumSquares(t.g());
            compare("sum", new float[] {(float) s}, new float[] {(float) gs}, false);
            compare("sumSquares", new float[] {(float) sq}, new float[] {(float) gsq}, false);
            assertEquals(gs, gpu.reduce().sum(t.g()), 0.0, "sum must be bit-identical between runs");
            assertTrue(gpu.reduce().allFinite(t.g()));
            float[] bad = t.host().clone();
            bad[size / 2] = Float.POSITIVE_INFINITY;
            assertFalse(gpu.reduce().allFinite(gpu.fromHost(bad, size)));
            bad[size / 2] = Float.NaN;
            assertFalse(gpu.reduce().allFinite(gpu.fromHost(bad, size)));
        }
    }

    /** The fused step check: every tensor's finiteness and Σx² over all of them in one read, as the per-tensor calls say. */
    @Test void gradStatus() {
        int[] sizes = {1, 37, 4097, 300_001};
        List<Tensor> cs = new ArrayList<>(), gs = new ArrayList<>();
        List<float[]> hosts = new ArrayList<>();
        for (int size : sizes) {
            Pair t = both(rand(size, -2, 2), size);
            cs.add(t.c());
            gs.add(t.g());
            hosts.add(t.host());
        }
        cs.add(null);
        gs.add(null);  // a parameter without a gradient is skipped
        double[] c = cpu.reduce().gradStatus(cs), g = gpu.reduce().gradStatus(gs);
        assertEquals(0.0, c[0]);
        assertEquals(0.0, g[0]);
        compare("gradStatus Σx²", new float[] {(float) c[1]}, new float[] {(float) g[1]}, false);
        double perTensor = 0;
        for (Tensor t : gs) if (t != null) perTensor += gpu.reduce().sumSquares(t);
        assertEquals(perTensor, g[1], 1e-9 * perTensor, "fused Σx² equals the per-tensor sums");
        float[] bad = hosts.get(2).clone();
        bad[100] = Float.NaN;
        gs.set(2, gpu.fromHost(bad, bad.length));
        assertTrue(gpu.reduce().gradStatus(gs)[0] > 0, "a NaN in one tensor is reported");
        bad[100] = Float.NEGATIVE_INFINITY;
        gs.set(2, gpu.fromHost(bad, bad.length));
        assertTrue(gpu.reduce().gradStatus(gs)[0] > 0, "an infinity in one tensor is reported");
    }

    @Test void randomNormalIsReproducibleAndNormal() {
        for (int size : new int[] {1, 3, 100_001}) {
            Tensor a = gpu.alloc(size), b = gpu.alloc(size);
            gpu.fill(a, Float.NaN);
            gpu.randomNormal(a, 42, 1.5f);
            gpu.randomNormal(b, 42, 1.5f);
            float[] ha = gpu.toHost(a), hb = gpu.toHost(b);
            assertTrue(java.util.Arrays.equals(ha, hb), "same seed, same numbers");
            for (float v : ha) assertTrue(Float.isFinite(v));
            if (size > 1000) {
                double m = 0, v2 = 0;
                for (float v : ha) { m += v; v2 += (double) v * v; }
                m /= size; v2 = v2 / size - m * m;
                assertEquals(0, m, 0.03, "mean");
                assertEquals(1.5, Math.sqrt(v2), 0.03, "std");
                gpu.randomNormal(b, 43, 1.5f);
                assertFalse(java.util.Arrays.equals(ha, gpu.toHost(b)), "another seed, other numbers");
            }
        }
    }

    // ------------------------------------------------------------------ memory and graphs

    @Test void scopesReuseBlocksAndAllocZeroFills() {
        long before;
        try (var s = gpu.scope()) { Tensor t = gpu.alloc(1000, 3); gpu.fill(t, 5f); }
        before = gpu.deviceBytesHeld();
        try (var s = gpu.scope()) {
            Tensor t = gpu.alloc(1000, 3);
            for (float v : gpu.toHost(t)) assertEquals(0f, v);
        }
        assertEquals(before, gpu.deviceBytesHeld(), "a second scope with the same shapes allocates nothing new");
    }

    @Test void capturedGraphReplaysTheSameWork() {
        int n = 37, d = 63;
        Pair x = both(rand(n * d, -1, 1), n, d);
        Tensor y = gpu.alloc(n, d);
        Function<Void, Void> step = v -> { gpu.copy(x.g(), y); gpu.elementwise().scale(y, 2f); gpu.elementwise().axpy(1f, x.g(), y); return null; };
        try (CudaBackend.CudaGraph graph = gpu.captureGraph(() -> step.apply(null))) {
            gpu.fill(y, Float.NaN);
            graph.replay();
            float[] got = gpu.toHost(y);
            float[] ref = new float[n * d];
            for (int i = 0; i < ref.length; i++) ref[i] = 3f * x.host()[i];
            compare("captureGraph replay", ref, got, false);
        }
    }
}
