package dev.fluvia.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Backend.gradStatus on the CPU: exactly the per-tensor allFinite / sumSquares it replaces in the training step. */
class GradStatusTest {
    @Test void equalsThePerTensorCallsBitForBit() {
        try (CpuBackend be = new CpuBackend(2)) {
            SplittableRandom r = new SplittableRandom(5);
            List<Tensor> ts = new ArrayList<>();
            double sq = 0;
            for (int n : new int[] {1, 63, 64, 65, 10_000}) {
                float[] v = new float[n];
                for (int i = 0; i < n; i++) v[i] = (float) (r.nextDouble() * 4 - 2);
                Tensor t = be.fromHost(v, n);
                ts.add(t);
                sq += be.reduce().sumSquares(t);
            }
            ts.add(null);
            double[] st = be.reduce().gradStatus(ts);
            assertEquals(0.0, st[0]);
            assertEquals(Double.doubleToLongBits(sq), Double.doubleToLongBits(st[1]), "the same float64 sum as the per-tensor calls");
            assertEquals(0.0, be.reduce().gradStatus(List.of())[1]);
            float[] bad = be.toHost(ts.get(3));
            bad[7] = Float.NaN;
            ts.set(3, be.fromHost(bad, bad.length));
            assertTrue(be.reduce().gradStatus(ts)[0] > 0);
        }
    }
}
