package dev.fluvia.backend.cuda;

import dev.fluvia.backend.check.FamilyBench;
import dev.fluvia.backend.check.KernelCase;
import dev.fluvia.backend.check.KernelCheck;
import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Per-kernel timings in llm.c style, built from every op family's validate-and-benchmark entries ({@link KernelCheck#FAMILIES}:
 * each entry is first validated against the CPU reference, its worst error/tolerance printed): for each op at a
 * representative size, mean time (CUDA events, after a warm-up),
 * effective bandwidth (bytes the op must move / time) as GB/s and as % of the device-to-device copy bandwidth measured
 * in the same run, or GFLOP/s and % of the cuBLAS SGEMM rate measured in the same run for ops with a matrix product.
 * Run: {@code java --enable-native-access=ALL-UNNAMED -cp <jars> dev.fluvia.backend.cuda.KernelBenchmark [batch]}.
 */
public final class KernelBenchmark {
    /** {@code errTol}: the entry's worst error/tolerance against the CPU reference. */
    private record Row(String op, String size, double ms, double gbs, double gflops, double errTol) {}

    public static void main(String[] args) {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 4096;
        try (CudaBackend be = CudaBackend.create()) {
            new KernelBenchmark(be, n).run();
        }
    }

    private final CudaBackend be;
    private final int n;
    private final SplittableRandom rng = new SplittableRandom(7);
    private final List<Row> rows = new ArrayList<>();

    private KernelBenchmark(CudaBackend be, int n) { this.be = be; this.n = n; }

    private Tensor rand(double scale, int... shape) {
        long c = 1;
        for (int s : shape) c *= s;
        float[] a = new float[(int) c];
        for (int i = 0; i < a.length; i++) a[i] = (float) ((rng.nextDouble() * 2 - 1) * scale);
        return be.fromHost(a, shape);
    }

    private void time(String op, String size, double bytes, double flops, Runnable body, double errTol) {
        int iters = 20;
        double ms = be.timeMs(body, iters);
        rows.add(new Row(op, size, ms, bytes / (ms * 1e-3) / 1e9, flops / (ms * 1e-3) / 1e9, errTol));
    }

    private void run() {
        System.out.println("device: " + be.deviceName() + ", batch " + n);
        double copyGBs = be.copyBandwidthGBs(256L << 20, 20);
        Tensor ga = rand(1, 4096, 4096), gb = rand(1, 4096, 4096), gc = be.alloc(4096, 4096);
        double gemmMs = be.timeMs(() -> be.dense().gemm(false, false, 1f, ga, gb, 0f, gc), 10);
        double gemmGflops = 2.0 * 4096 * 4096 * 4096 / (gemmMs * 1e-3) / 1e9;
        System.out.printf("reference: device copy %.1f GB/s, cuBLAS SGEMM 4096³ %.1f GFLOP/s (TF32 off)%n", copyGBs, gemmGflops);

        // every op family's bench entries: validated against the CPU reference, then timed
        try (CpuBackend cpu = new CpuBackend()) {
            for (FamilyBench fam : KernelCheck.FAMILIES)
                for (KernelCase c : fam.bench(n, new SplittableRandom(7))) {
                    var errs = KernelCheck.validate(c, cpu, be);
                    double worst = errs.values().stream().mapToDouble(KernelCheck.Error::maxRatio).max().orElse(0);
                    time(fam.family() + ": " + c.op(), c.size(), c.bytes(), c.flops(), KernelCheck.bind(c, be), worst);
                }
        }

        System.out.printf("%-44s %-20s %10s %10s %8s %10s %8s %8s%n", "op", "size", "ms", "GB/s", "%copy", "GFLOP/s", "%gemm", "err/tol");
        for (Row r : rows)
            System.out.printf("%-44s %-20s %10.4f %10.1f %7.1f%% %10s %8s %8s%n", r.op(), r.size(), r.ms(), r.gbs(), 100 * r.gbs() / copyGBs,
                    r.gflops() > 0 ? String.format("%.1f", r.gflops()) : "-", r.gflops() > 0 ? String.format("%.1f%%", 100 * r.gflops() / gemmGflops) : "-",
                    Double.isNaN(r.errTol()) ? "-" : String.format("%.3f", r.errTol()));
    }
}
