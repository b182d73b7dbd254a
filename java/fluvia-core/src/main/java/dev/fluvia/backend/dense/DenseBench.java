package dev.fluvia.backend.dense;

import static dev.fluvia.backend.check.KernelCase.BATCHES;
import static dev.fluvia.backend.check.KernelCase.DIMS;
import static dev.fluvia.backend.check.KernelCase.bits;
import static dev.fluvia.backend.check.KernelCase.rand;

import dev.fluvia.backend.Activation;
import dev.fluvia.backend.check.FamilyBench;
import dev.fluvia.backend.check.KernelCase;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** The dense family's validate-and-benchmark entries (cuBLAS + kernels/dense.cu against {@link CpuDense}). */
public final class DenseBench implements FamilyBench {
    @Override public String family() { return "dense"; }

    private static List<KernelCase> gemms(SplittableRandom rng, int m, int n, int k, boolean ta, boolean tb, boolean traffic) {
        int[] as = ta ? new int[] {k, m} : new int[] {m, k}, bs = tb ? new int[] {n, k} : new int[] {k, n};
        String size = m + "x" + n + "x" + k + (ta ? " Aᵀ" : "") + (tb ? " Bᵀ" : "");
        double flops = traffic ? 2.0 * m * n * k : 0, bytes = traffic ? 4.0 * ((double) m * k + (double) k * n + 2.0 * m * n) : 0;
        return List.of(
                KernelCase.of("gemm", size).matmul().in("a", rand(rng, m * k, -1, 1), as).in("b", rand(rng, k * n, -1, 1), bs)
                        .acc("c", rand(rng, m * n, -1, 1), m, n).traffic(bytes, flops)
                        .run((be, x) -> be.dense().gemm(ta, tb, 0.7f, x.t("a"), x.t("b"), 0.3f, x.t("c"))),
                KernelCase.of("gemm (beta=0)", size).matmul().in("a", rand(rng, m * k, -1, 1), as).in("b", rand(rng, k * n, -1, 1), bs)
                        .out("c", m, n).traffic(bytes, flops)  // beta = 0 must not read the NaN poison
                        .run((be, x) -> be.dense().gemm(ta, tb, 1f, x.t("a"), x.t("b"), 0f, x.t("c"))));
    }

    private static List<KernelCase> linear(SplittableRandom rng, int n, int in, int out, Activation[] acts, double f) {
        List<KernelCase> cs = new ArrayList<>();
        String size = n + "x" + in + "->" + out;
        float[] x = rand(rng, n * in, -2, 2), w = rand(rng, out * in, -0.5, 0.5), b = rand(rng, out, -1, 1);
        for (Activation act : acts) {
            cs.add(KernelCase.of("linearForward " + act, size).matmul().in("x", x, n, in).in("w", w, out, in).in("bias", b, out).out("pre", n, out).out("y", n, out)
                    .traffic(f * (n * in + (double) out * in + 3.0 * n * out), f > 0 ? 2.0 * n * in * out : 0)
                    .run((be, a) -> be.dense().linearForward(a.t("x"), a.t("w"), a.t("bias"), act, a.t("pre"), a.t("y"))));
            if (f == 0) cs.add(KernelCase.of("linearForward " + act + " (no bias)", size).matmul().in("x", x, n, in).in("w", w, out, in).out("y", n, out)
                    .run((be, a) -> be.dense().linearForward(a.t("x"), a.t("w"), null, act, null, a.t("y"))));
            cs.add(KernelCase.of("activationBackward " + act, n + "x" + out).matmul().in("pre", rand(rng, n * out, -2, 2), n, out)
                    .in("y", rand(rng, n * out, -2, 2), n, out).in("gy", rand(rng, n * out, -1, 1), n, out).out("gpre", n, out)
                    .traffic(f * 4.0 * n * out, 0)
                    .run((be, a) -> {
                        // y = act(pre) as the layer has it, then the backward from both
                        be.dense().activate(act, a.t("pre"), a.t("y"));
                        be.dense().activationBackward(act, a.t("pre"), a.t("y"), a.t("gy"), a.t("gpre"));
                    }));
            cs.add(KernelCase.of("activate " + act, n + "x" + out).in("x", rand(rng, n * out, -3, 3), n, out).out("y", n, out).traffic(f * 2.0 * n * out, 0)
                    .run((be, a) -> be.dense().activate(act, a.t("x"), a.t("y"))));
        }
        cs.add(KernelCase.of("linearBackward", size).matmul().in("x", x, n, in).in("w", w, out, in).in("gpre", rand(rng, n * out, -1, 1), n, out)
                .out("gx", n, in).acc("gw", rand(rng, out * in, -1, 1), out, in).acc("gb", rand(rng, out, -1, 1), out)
                .traffic(f * (2.0 * n * in + 2.0 * n * out + 2.0 * out * in), f > 0 ? 4.0 * n * in * out : 0)
                .run((be, a) -> be.dense().linearBackward(a.t("x"), a.t("w"), a.t("gpre"), a.t("gx"), a.t("gw"), a.t("gb"))));
        cs.add(KernelCase.of("applyMask", out + "x" + in).in("w", w, out, in).in("mask", bits(rng, out * in), out, in).out("out", out, in)
                .traffic(f * 3.0 * out * in, 0)
                .run((be, a) -> be.dense().applyMask(a.t("w"), a.t("mask"), a.t("out"))));
        return cs;
    }

    /**
     * prefixLinearForward on a weight zeroed past each row's extent (random extents, some 0 and some full, as a MADE layer
     * with its units sorted by degree would have them), every activation.
     */
    private static List<KernelCase> prefix(SplittableRandom rng, int n, int in, int out, Activation[] acts, double f) {
        List<KernelCase> cs = new ArrayList<>();
        int[] ext = new int[out];
        for (int o = 0; o < out; o++) ext[o] = o == 0 ? 0 : o == out - 1 ? in : rng.nextInt(in + 1);
        java.util.Arrays.sort(ext);
        float[] x = rand(rng, n * in, -2, 2), w = rand(rng, out * in, -0.5, 0.5), b = rand(rng, out, -1, 1);
        long nz = 0;
        for (int o = 0; o < out; o++) { nz += ext[o]; for (int k = ext[o]; k < in; k++) w[o * in + k] = 0f; }
        String size = n + "x" + in + "->" + out;
        for (Activation act : acts)
            cs.add(KernelCase.of("prefixLinearForward " + act, size).matmul().index("extent", ext).in("x", x, n, in).in("w", w, out, in).in("bias", b, out)
                    .out("pre", n, out).out("y", n, out)
                    .traffic(f * (n * in + (double) nz + 3.0 * n * out), f > 0 ? 2.0 * n * nz : 0)
                    .run((be, a) -> be.dense().prefixLinearForward(a.t("x"), a.t("w"), a.ix("extent"), a.t("bias"), act, a.t("pre"), a.t("y"))));
        // the backward: gw accumulated into (its entries past the extents must come back untouched), gx overwritten; w is
        // given nonzero past the extents here, which the op must not use
        float[] wj = w.clone();
        for (int o = 0; o < out; o++) for (int k = ext[o]; k < in; k++) wj[o * in + k] = (float) (rng.nextDouble() * 2 - 1);
        cs.add(KernelCase.of("prefixLinearBackward", size).matmul().index("extent", ext).in("x", x, n, in).in("w", f > 0 ? w : wj, out, in)
                .in("gpre", rand(rng, n * out, -1, 1), n, out).out("gx", n, in).acc("gw", rand(rng, out * in, -1, 1), out, in)
                .acc("gb", rand(rng, out, -1, 1), out)
                .traffic(f * (n * in + (double) nz + 2.0 * n * out + n * in + 2.0 * nz), f > 0 ? 4.0 * n * nz : 0)
                .run((be, a) -> be.dense().prefixLinearBackward(a.t("x"), a.t("w"), a.ix("extent"), a.t("gpre"), a.t("gx"), a.t("gw"), a.t("gb"))));
        return cs;
    }

    /**
     * mlpForward of an MLP {@code dims[0] → … → dims[last]} (hidden activation {@code act}, biases on all layers but the
     * first when {@code partialBias}). The CPU runs its row-block path from 32 rows up (16 lanes), the chain below.
     */
    private static KernelCase mlp(SplittableRandom rng, int n, int[] dims, Activation act, boolean partialBias, double f) {
        return mlp(rng, n, dims, act, partialBias, false, f);
    }

    /**
     * {@link #mlp} with, when {@code prefix}, random sorted extents on the hidden x hidden layers (a MADE's, units sorted by
     * degree), the weights zero past them (prefixLinearForward's contract).
     */
    private static KernelCase mlp(SplittableRandom rng, int n, int[] dims, Activation act, boolean partialBias, boolean prefix, double f) {
        int layers = dims.length - 1;
        StringBuilder size = new StringBuilder(n + "x" + dims[0]);
        for (int i = 1; i < dims.length; i++) size.append("->").append(dims[i]);
        KernelCase.Builder c = KernelCase.of("mlpForward " + act + (partialBias ? " (no first bias)" : "") + (prefix ? " (prefix)" : ""),
                size.toString()).matmul().in("x", rand(rng, n * dims[0], -2, 2), n, dims[0]);
        boolean[] hasExt = new boolean[layers];
        double flops = 0, bytes = 4.0 * n * (dims[0] + dims[layers]);
        for (int i = 0; i < layers; i++) {
            double bound = 1 / Math.sqrt(dims[i]);
            float[] w = rand(rng, dims[i + 1] * dims[i], -bound, bound);
            if (prefix && i > 0 && i + 1 < layers) {
                int[] ext = new int[dims[i + 1]];
                for (int o = 0; o < ext.length; o++) ext[o] = o == 0 ? 0 : o == ext.length - 1 ? dims[i] : rng.nextInt(dims[i] + 1);
                java.util.Arrays.sort(ext);
                for (int o = 0; o < ext.length; o++) java.util.Arrays.fill(w, o * dims[i] + ext[o], (o + 1) * dims[i], 0f);
                c.index("e" + i, ext);
                hasExt[i] = true;
            }
            c.in("w" + i, w, dims[i + 1], dims[i]);
            if (!(partialBias && i == 0)) c.in("b" + i, rand(rng, dims[i + 1], -bound, bound), dims[i + 1]);
            flops += 2.0 * n * dims[i] * dims[i + 1];
            bytes += 4.0 * dims[i + 1] * (dims[i] + 1);
        }
        return c.out("y", n, dims[layers]).traffic(f * bytes, f > 0 ? flops : 0).run((be, a) -> {
            List<dev.fluvia.tensor.Tensor> ws = new ArrayList<>(), bs = new ArrayList<>();
            List<dev.fluvia.tensor.Index> es = prefix ? new ArrayList<>() : null;
            for (int i = 0; i < layers; i++) {
                ws.add(a.t("w" + i));
                bs.add(partialBias && i == 0 ? null : a.t("b" + i));
                if (prefix) es.add(hasExt[i] ? a.ix("e" + i) : null);
            }
            be.dense().mlpForward(a.t("x"), ws, bs, es, act, a.t("y"));
        });
    }

    @Override public List<KernelCase> parity(SplittableRandom rng) {
        List<KernelCase> cs = new ArrayList<>();
        for (int[] s : new int[][] {{1, 1, 1}, {37, 63, 3}, {333, 2, 784}, {65, 129, 33}})
            for (boolean ta : new boolean[] {false, true}) for (boolean tb : new boolean[] {false, true}) cs.addAll(gemms(rng, s[0], s[1], s[2], ta, tb, false));
        for (int in : DIMS) for (int n : BATCHES) cs.addAll(linear(rng, n, in, in == 784 ? 65 : 2 * in + 1, Activation.values(), 0));
        for (int[] s : new int[][] {{1, 64, 70}, {5, 33, 17}, {37, 300, 40}})
            cs.addAll(prefix(rng, s[0], s[1], s[2], s[0] == 37 ? Activation.values() : new Activation[] {Activation.RELU, Activation.IDENTITY}, 0));
        for (int n : new int[] {5, 37, 333}) {
            cs.add(mlp(rng, n, new int[] {1, 64, 64, 2}, Activation.RELU, false, 0));   // a RealNVP 2-D conditioner
            cs.add(mlp(rng, n, new int[] {3, 17, 5}, Activation.TANH, true, 0));
        }
        cs.add(mlp(rng, 70, new int[] {5, 300, 9}, Activation.IDENTITY, false, 0));        // two K slices in the second layer
        cs.add(mlp(rng, 64, new int[] {4, 8, 8, 8}, Activation.ELU, false, 0));            // no lane-wise ELU: the chain
        for (int n : new int[] {7, 100})                                                    // a MADE: prefix hidden layers
            cs.add(mlp(rng, n, new int[] {8, 40, 40, 40, 16}, Activation.RELU, false, true, 0));
        return cs;
    }

    @Override public List<KernelCase> bench(int n, SplittableRandom rng) {
        List<KernelCase> cs = new ArrayList<>(gemms(rng, 1024, 1024, 1024, false, false, true).subList(0, 1));
        cs.addAll(linear(rng, n, 784, 1024, new Activation[] {Activation.SILU}, 4.0));
        cs.addAll(prefix(rng, n, 512, 512, new Activation[] {Activation.RELU}, 4.0)); // a MADE hidden layer's shape
        cs.add(mlp(rng, n, new int[] {1, 64, 64, 2}, Activation.RELU, false, 4.0));   // a RealNVP coupling's conditioner
        return cs;
    }
}
