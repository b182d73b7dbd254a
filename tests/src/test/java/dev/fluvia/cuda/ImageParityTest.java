package dev.fluvia.cuda;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fluvia.backend.Activation;
import dev.fluvia.backend.Backend;
import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.backend.cuda.CudaBackend;
import dev.fluvia.tensor.Tensor;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The image ops of the CUDA backend against the CPU reference (FLOWS.md tolerances: element-wise 1e-5 + 1e-4·|ref|,
 * convolution 1e-4 + 1e-3·|ref|, TF32 off), fresh random inputs, GPU outputs poisoned with NaN first. Skips without a GPU.
 */
@Tag("gpu")
@ExtendWith(GpuSupport.class)
class ImageParityTest {
    static CpuBackend cpu;
    static CudaBackend gpu;
    static final SplittableRandom rng = new SplittableRandom(99);

    @BeforeAll static void setUp() {
        if (!GpuSupport.requireCuda("ImageParityTest")) return;  // no GPU in a CPU run: each test is reported skipped
        cpu = new CpuBackend(2);
        gpu = CudaBackend.create();
    }

    static final java.util.Map<String, double[]> errors = new java.util.TreeMap<>();  // op → {max |err|, max err/tol}

    @AfterAll static void tearDown() {
        if (gpu == null) return;
        System.out.printf("%-34s %12s %10s%n", "image op", "max |err|", "err/tol");
        errors.forEach((op, e) -> System.out.printf("%-34s %12.3e %10.4f%n", op, e[0], e[1]));
        gpu.close();
        cpu.close();
    }

    static float[] randn(int n, double std) { float[] a = new float[n]; for (int i = 0; i < n; i++) a[i] = (float) (CpuBackend.gaussian(rng) * std + 1e-3); return a; }
    static float[] unit(int n) { float[] a = new float[n]; for (int i = 0; i < n; i++) a[i] = (float) (0.02 + 0.96 * rng.nextDouble()); return a; }

    /** Runs op on both backends (outputs made by {@code out}, poisoned on the GPU) and compares every output. */
    static void parity(String name, double atol, double rtol, Function<Backend, Tensor[]> op) {
        Tensor[] c = op.apply(cpu), g = op.apply(gpu);
        for (int k = 0; k < c.length; k++) {
            float[] a = cpu.toHost(c[k]), b = gpu.toHost(g[k]);
            double[] e = errors.computeIfAbsent(name + (c.length > 1 ? " out" + k : ""), x -> new double[2]);
            for (int i = 0; i < a.length; i++) {
                double err = Math.abs(a[i] - b[i]);
                e[0] = Math.max(e[0], err);
                double tol = atol + rtol * Math.abs(a[i]);
                e[1] = Math.max(e[1], tol > 0 ? err / tol : err == 0 ? 0 : Double.POSITIVE_INFINITY);
            }
            for (int i = 0; i < a.length; i++)
                assertTrue(Math.abs(a[i] - b[i]) <= atol + rtol * Math.abs(a[i]) && !Float.isNaN(b[i]),
                        name + " output " + k + "[" + i + "]: gpu " + b[i] + " cpu " + a[i]);
        }
    }

    static Tensor poisoned(Backend be, int... shape) { Tensor t = be.alloc(shape); be.fill(t, Float.NaN); return t; }

    @Test void convolution() {
        for (int k : new int[] {1, 3})
            for (int[] s : new int[][] {{1, 3, 5, 4, 7}, {37, 8, 16, 6, 6}, {5, 12, 3, 16, 16}}) {
                int n = s[0], ci = s[1], co = s[2], h = s[3], w = s[4];
                float[] x = randn(n * ci * h * w, 1), wt = randn(co * ci * k * k, 0.3), b = randn(co, 1), gy = randn(n * co * h * w, 1);
                float[] gw0 = randn(wt.length, 1), gb0 = randn(co, 1);
                parity("conv2d k=" + k, 1e-4, 1e-3, be -> {
                    Tensor xt = be.fromHost(x, n, ci, h, w), wtt = be.fromHost(wt, co, ci, k, k), y = poisoned(be, n, co, h, w);
                    be.conv2dForward(xt, wtt, be.fromHost(b, co), y);
                    Tensor gx = poisoned(be, n, ci, h, w), gw = be.fromHost(gw0, co, ci, k, k), gb = be.fromHost(gb0, co);
                    be.conv2dBackward(xt, wtt, be.fromHost(gy, n, co, h, w), gx, gw, gb);
                    return new Tensor[] {y, gx, gw, gb};
                });
            }
    }

    @Test void layoutOps() {
        int n = 33, c = 5, h = 6, w = 10;
        float[] x = randn(n * c * h * w, 1);
        parity("squeeze/unsqueeze/slice/place/activate", 0, 0, be -> {
            Tensor xt = be.fromHost(x, n, c, h, w), y = poisoned(be, n, 4 * c, h / 2, w / 2), back = poisoned(be, n, c, h, w);
            be.squeeze(xt, y);
            be.unsqueeze(y, back);
            Tensor part = poisoned(be, n, 2, h, w), dst = be.fromHost(new float[n * c * h * w], n, c, h, w), r = poisoned(be, n, c, h, w);
            be.sliceChannels(xt, 2, part);
            be.placeChannels(part, 1, dst);
            be.activate(Activation.RELU, xt, r);
            return new Tensor[] {y, back, part, dst, r};
        });
    }

    @Test void logit() {
        int n = 37, c = 3, h = 5, w = 7, d = c * h * w;
        float[] z = randn(n * d, 1), mu = randn(n * d, 1), ls = randn(n * d, 0.3), g = randn(n, 1), eps = randn(n * d, 1), u = unit(n * d);
        parity("logit", 1e-5, 1e-4, be -> {
            Tensor xt = be.fromHost(u, n, c, h, w), y = poisoned(be, n, c, h, w), ld = be.fromHost(g, n), x2 = poisoned(be, n, c, h, w), ld2 = be.alloc(n);
            be.logitForward(xt, 0.05f, y, ld);
            be.logitInverse(y, 0.05f, x2, ld2);
            Tensor gx = poisoned(be, n, c, h, w);
            be.logitBackward(xt, 0.05f, be.fromHost(z, n, c, h, w), be.fromHost(g, n), gx);
            return new Tensor[] {y, ld, x2, ld2, gx};
        });
    }
}
