package dev.fluvia.backend;

import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.backend.cpu.CpuGemm;
import dev.fluvia.distributions.StandardNormal;
import dev.fluvia.flow.Flow;
import dev.fluvia.flow.MemoryMode;
import dev.fluvia.param.Param;
import dev.fluvia.tensor.Tensor;
import dev.fluvia.train.Nll;
import dev.fluvia.transforms.AffineCoupling;
import dev.fluvia.transforms.Maf;
import dev.fluvia.transforms.Transform;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The Java GEMM's packed-weight cache never serves a stale packing: training (Adam steps), sampling through
 * {@code mafInverse} (the cached weight shared by every chunk) and scoring between the steps, and parameter writes through
 * {@code upload} and {@code copy}, give the same bits with the cache on and off, at 1 and 2 threads.
 */
class PackedWeightsTest {

    @AfterEach void restore() { CpuGemm.setPackCache(true); }

    /** Trains a MAF + coupling flow for a few steps, sampling and scoring between them; returns every output and parameter. */
    private static List<float[]> train(boolean cache, int threads) {
        CpuGemm.setPackCache(cache);
        List<float[]> out = new ArrayList<>();
        try (CpuBackend be = new CpuBackend(threads, true, CpuGemm.JAVA)) {
            SplittableRandom rng = new SplittableRandom(4);
            int d = 4;
            List<Transform> ts = List.of(new Maf(be, Maf.naturalOrder(d), new int[] {40, 40}, Activation.RELU, rng),
                    new AffineCoupling(be, d, new int[] {0, 1}, new int[] {2, 3}, new int[] {33, 33}, Activation.TANH,
                            CouplingScale.SOFTCLAMP, 2f, rng));
            Flow flow = new Flow(be, new StandardNormal(be, d), ts);
            List<Param> ps = new ArrayList<>();
            List<Tensor> m = new ArrayList<>(), v = new ArrayList<>();
            for (Param p : flow.params())
                if (p.trainable()) { ps.add(p); m.add(be.alloc(p.value().shape())); v.add(be.alloc(p.value().shape())); }
            float[] xs = new float[300 * d];
            for (int i = 0; i < xs.length; i++) xs[i] = (float) (rng.nextDouble() * 2 - 1);
            Tensor x = be.fromHost(xs, 300, d);
            for (int step = 1; step <= 4; step++) {
                flow.zeroGrad();
                Nll.INSTANCE.forwardBackward(flow, x, MemoryMode.STORE);
                for (int i = 0; i < ps.size(); i++)
                    be.optim().adamUpdate(ps.get(i).value(), ps.get(i).grad(), m.get(i), v.get(i), 3e-2f, 0.9f, 0.999f, 1e-8f, 0f, step);
                out.add(flow.sampleHost(150, 1f, step));       // mafInverse: every 64-row chunk uses the cached weights
                out.add(flow.logProb(xs, 300));                 // scoring with the weights of this step
            }
            // writes that are not optimizer steps: upload one weight, copy another onto it, score after each
            Param w0 = ps.get(0), w1 = null;
            for (Param p : ps) if (p != w0 && java.util.Arrays.equals(p.value().shape(), w0.value().shape())) w1 = p;
            float[] h = be.toHost(w0.value());
            for (int i = 0; i < h.length; i++) h[i] *= -0.5f;
            be.upload(h, w0.value());
            out.add(flow.logProb(xs, 300));
            out.add(flow.sampleHost(70, 1f, 9));
            if (w1 != null) {
                be.copy(w1.value(), w0.value());
                out.add(flow.logProb(xs, 300));
            }
            for (Param p : ps) out.add(be.toHost(p.value()));
            long[] counts = CpuGemm.packCacheCounts(be);
            if (cache) org.junit.jupiter.api.Assertions.assertTrue(counts[0] > counts[1] && counts[1] > 0,
                    "the cache was exercised: hits " + counts[0] + ", packs " + counts[1]);
            else org.junit.jupiter.api.Assertions.assertArrayEquals(new long[] {0, 0}, counts);
        }
        return out;
    }

    @Test void trainingSamplingAndScoringBitIdenticalWithAndWithoutCache() {
        for (int threads : new int[] {2}) { // 2: mafInverse's chunks run in parallel and share one cached packing
            List<float[]> with = train(true, threads), without = train(false, threads);
            for (int i = 0; i < with.size(); i++)
                OpsFixture.assertBitIdentical("threads=" + threads + " output " + i, without.get(i), with.get(i));
        }
    }

    /** The same weight tensor overwritten between two products: the second product uses the new values. */
    @Test void overwrittenOperandIsRepacked() {
        try (CpuBackend be = new CpuBackend(1, true, CpuGemm.JAVA)) {
            OpsFixture f = new OpsFixture(be, 2);
            int m = 50, n = 70, k = 90;
            float[] a = f.rand(m * k), b1 = f.rand(n * k), b2 = b1.clone();
            b2[n * k / 2] += 0.25f; // one element differs
            Tensor at = f.t(a, m, k), bt = f.t(b1, n, k), c = be.alloc(m, n);
            be.dense().gemm(false, true, 1f, at, bt, 0f, c);
            float[] first = be.toHost(c);
            be.upload(b2, bt);
            be.dense().gemm(false, true, 1f, at, bt, 0f, c);
            float[] second = be.toHost(c);
            double[] ref = CpuOpsTest.gemmRef(false, true, m, n, k, 1f, a, b2, 0f, new float[m * n])[0];
            OpsFixture.assertClose("after upload", ref, second, OpsFixture.MM_ATOL, OpsFixture.MM_RTOL);
            int row = (n * k / 2) / k; // the column of C that the changed element of B feeds
            boolean changed = false;
            for (int i = 0; i < m; i++) changed |= first[i * n + row] != second[i * n + row];
            org.junit.jupiter.api.Assertions.assertTrue(changed, "the product after the upload still used the old weight");
        }
    }
}
