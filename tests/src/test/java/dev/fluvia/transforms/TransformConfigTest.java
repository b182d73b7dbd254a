package dev.fluvia.transforms;

import dev.fluvia.io.Registry;
import dev.fluvia.param.Stash;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fluvia.backend.Activation;
import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.param.Param;
import dev.fluvia.tensor.Tensor;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Every kind rebuilds from its serialised config through the Registry; with its parameters loaded by name it computes the same map. */
class TransformConfigTest {
    private final CpuBackend be = new CpuBackend(2);

    @Test void everyKindRoundTripsThroughRegistry() throws Exception {
        int d = 5;
        int[][] m = Masks.alternating(d, 1);
        List<Transform> layers = List.of(
                new AdditiveCoupling(be, d, m[0], m[1], new int[] {6, 4}, Activation.ELU, new SplittableRandom(2)),
                new DiagScale(be, d), new ActNorm(be, d), new ActNorm(be, d, 1, 1),
                new Standardize(be, new float[] {1, 2, 3, 4, 5}, new float[] {0.5f, 1, 2, 3, 4}),
                Permutation.random(be, d, 9), Permutation.reverse(be, d), new InvertibleLinear(be, d, 4), new PlainLinear(be, d, 4));
        ObjectMapper json = new ObjectMapper();
        SplittableRandom r = new SplittableRandom(1);
        float[] xh = new float[3 * d];
        for (int i = 0; i < xh.length; i++) xh[i] = (float) CpuBackend.gaussian(r);
        for (Transform t : layers) {
            for (Param p : t.params()) {
                if (!p.trainable()) continue;
                float[] v = be.toHost(p.value());
                for (int i = 0; i < v.length; i++) v[i] += (float) (r.nextDouble() - 0.5);
                be.upload(v, p.value());
            }
            ObjectNode cfg = (ObjectNode) json.readTree(json.writeValueAsString(Registry.config(t)));
            Transform u = Registry.transform(be, t.kind(), cfg);
            assertEquals(t.kind(), u.kind());
            assertArrayEquals(t.eventShape(), u.eventShape());
            List<Param> a = t.params(), b = u.params();
            assertEquals(a.size(), b.size(), t.kind());
            for (int i = 0; i < a.size(); i++) {
                assertEquals(a.get(i).name(), b.get(i).name());
                assertEquals(a.get(i).trainable(), b.get(i).trainable());
                be.copy(a.get(i).value(), b.get(i).value());
            }
            int[] shape = new int[t.eventShape().length + 1];
            shape[0] = 3;
            System.arraycopy(t.eventShape(), 0, shape, 1, t.eventShape().length);
            Tensor x = be.fromHost(xh, shape), la = be.alloc(3), lb = be.alloc(3);
            assertArrayEquals(be.toHost(t.forward(x, la, Stash.none())), be.toHost(u.forward(x, lb, Stash.none())), t.kind());
            assertArrayEquals(be.toHost(la), be.toHost(lb), t.kind());
        }
    }
}
