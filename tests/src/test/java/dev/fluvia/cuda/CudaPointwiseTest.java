package dev.fluvia.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fluvia.backend.Backend;
import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.backend.cuda.CudaBackend;
import dev.fluvia.param.Stash;
import dev.fluvia.tensor.Tensor;
import dev.fluvia.transforms.DomainException;
import dev.fluvia.transforms.LogitMap;
import dev.fluvia.transforms.MixCdf;
import dev.fluvia.transforms.Sigmoid;
import dev.fluvia.transforms.Tanh;
import java.util.function.BiFunction;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The pointwise family's domain report on CUDA (the parity of its values is {@code CudaParityTest}'s, from
 * {@code PointwiseBench}): over a launch of many blocks the op returns the first flat index outside the domain (NaN
 * included) exactly as the CPU reference does, −1 when there is none, and the layers raise their {@link DomainException}
 * from it. Skips without a GPU.
 */
@Tag("gpu")
@ExtendWith(GpuSupport.class)
class CudaPointwiseTest {
    static CpuBackend cpu;
    static CudaBackend gpu;

    @BeforeAll static void setUp() {
        if (!GpuSupport.requireCuda("CudaPointwiseTest")) return;
        cpu = new CpuBackend(2);
        gpu = CudaBackend.create();
    }

    @AfterAll static void tearDown() {
        if (gpu != null) { gpu.close(); cpu.close(); }
    }

    /** n × 3 values in (0.1, 0.9) with {@code bad[i]} placed at flat index {@code at[i]}. */
    static float[] values(int n, int[] at, float[] bad) {
        float[] v = new float[n * 3];
        for (int i = 0; i < v.length; i++) v[i] = 0.1f + 0.8f * ((i * 7919) % 1000) / 1000f;
        for (int i = 0; i < at.length; i++) v[at[i]] = bad[i];
        return v;
    }

    interface Op { long run(Backend be, Tensor in, Tensor out, Tensor ld); }

    static void sameFirstBad(String name, Op op, float outside) {
        int n = 1000;
        for (int[] at : new int[][] {{}, {2998}, {1717, 2500}, {5, 1717}}) {
            float[] bad = new float[at.length];
            for (int i = 0; i < at.length; i++) bad[i] = i % 2 == 0 ? outside : Float.NaN;
            float[] v = values(n, at, bad);
            long expected = at.length == 0 ? -1 : java.util.Arrays.stream(at).min().getAsInt();
            for (Backend be : new Backend[] {cpu, gpu}) {
                long got = op.run(be, be.fromHost(v, n, 3), be.alloc(n, 3), be.alloc(n));
                assertEquals(expected, got, name + " on " + be.name() + " with bad elements at " + java.util.Arrays.toString(at));
            }
        }
    }

    @Test void theFirstIndexOutsideTheDomainComesBack() {
        sameFirstBad("sigmoidInverse", (be, i, o, l) -> be.pointwise().sigmoidInverse(i, o, l), 1f);
        sameFirstBad("tanhInverse", (be, i, o, l) -> be.pointwise().tanhInverse(i, o, l), -1f);
        sameFirstBad("logitMapForward", (be, i, o, l) -> be.pointwise().logitMapForward(i, o, l), 0f);
        sameFirstBad("mixCdfInverse", (be, i, o, l) -> {
            Tensor a = be.alloc(3, 2), m = be.fromHost(new float[] {-1, 1, -1, 1, -1, 1}, 3, 2), s = be.alloc(3, 2);
            return be.pointwise().mixCdfInverse(i, a, m, s, false, o, l);
        }, 1.5f);
    }

    @Test void layersOnCudaRaiseTheirDomainErrors() {
        BiFunction<Backend, float[], Tensor> row = (be, v) -> be.fromHost(v, 1, v.length);
        DomainException e = assertThrows(DomainException.class, () -> new Sigmoid(gpu, 3).inverse(row.apply(gpu, new float[] {0.5f, 0.2f, 1.25f}), gpu.alloc(1)));
        assertTrue(e.getMessage().contains("got 1.25") && e.getMessage().contains("column 2"), e.getMessage());
        assertThrows(DomainException.class, () -> new Tanh(gpu, 2).inverse(row.apply(gpu, new float[] {-1f, 0f}), gpu.alloc(1)));
        assertThrows(DomainException.class, () -> new LogitMap(gpu, 2).forward(row.apply(gpu, new float[] {0.5f, Float.NaN}), gpu.alloc(1), Stash.none()));
        assertThrows(DomainException.class, () -> new MixCdf(gpu, 1, 2, false).inverse(gpu.fromHost(new float[] {0.5f, 0f}, 2, 1), gpu.alloc(2)));
        assertThrows(DomainException.class, () -> new MixCdf(gpu, 1, 2, true).inverse(gpu.fromHost(new float[] {Float.POSITIVE_INFINITY}, 1, 1), gpu.alloc(1)));
        // inside the domain: no error, and the same values as the CPU reference's
        float[] y = {0.3f, 0.7f, 0.999f};
        Tensor lc = cpu.alloc(1), lg = gpu.alloc(1);
        float[] xc = cpu.toHost(new Sigmoid(cpu, 3).inverse(row.apply(cpu, y), lc)), xg = gpu.toHost(new Sigmoid(gpu, 3).inverse(row.apply(gpu, y), lg));
        for (int i = 0; i < 3; i++) assertEquals(xc[i], xg[i], 1e-5 + 1e-4 * Math.abs(xc[i]));
        assertEquals(cpu.toHost(lc)[0], gpu.toHost(lg)[0], 1e-4);
    }
}
