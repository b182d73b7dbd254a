package dev.fluvia.transforms;

import dev.fluvia.io.Registry;
import dev.fluvia.param.Stash;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fluvia.FluviaException.CheckpointException;
import dev.fluvia.FluviaException.ShapeException;
import dev.fluvia.FluviaException.UnknownNameException;
import dev.fluvia.backend.Activation;
import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.tensor.Tensor;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Bad inputs give typed errors that name the problem. */
class TransformInputErrorsTest {
    private final CpuBackend be = new CpuBackend(2);

    private List<Transform> vectorLayers(int d) {
        int[][] m = Masks.alternating(d, 0);
        return List.of(new AdditiveCoupling(be, d, m[0], m[1], new int[] {4}, Activation.TANH, new SplittableRandom(1)),
                new DiagScale(be, d), new ActNorm(be, d), new Standardize(be, new float[d], ones(d)),
                Permutation.reverse(be, d), new InvertibleLinear(be, d, 1), new PlainLinear(be, d, 1));
    }

    private static float[] ones(int d) {
        float[] o = new float[d];
        java.util.Arrays.fill(o, 1f);
        return o;
    }

    @Test void wrongShapeIsAShapeExceptionNamingTheLayer() {
        for (Transform t : vectorLayers(4)) {
            for (int[] bad : new int[][] {{3, 5}, {3, 3}, {3, 4, 1, 1}, {12}}) {
                Tensor x = be.alloc(bad);
                ShapeException e = assertThrows(ShapeException.class, () -> t.forward(x, be.alloc(bad[0]), Stash.none()), t.kind());
                assertTrue(e.getMessage().contains(t.kind()) && e.getMessage().contains("[4]"), e.getMessage());
                assertThrows(ShapeException.class, () -> t.inverse(x, be.alloc(bad[0])), t.kind());
                assertThrows(ShapeException.class, () -> t.backward(x, x, be.alloc(bad[0]), Stash.none()), t.kind());
            }
        }
        ActNorm img = new ActNorm(be, 2, 3, 3);
        assertThrows(ShapeException.class, () -> img.forward(be.alloc(1, 2, 3, 4), be.alloc(1), Stash.none()));
        assertThrows(ShapeException.class, () -> img.initialize(be.alloc(1, 2, 9)));
    }

    @Test void badEventShapes() {
        assertThrows(ShapeException.class, () -> new ActNorm(be, 2, 3));
        assertThrows(ShapeException.class, () -> new ActNorm(be, 0));
        assertThrows(ShapeException.class, () -> new Standardize(be, new float[3], ones(2)));
    }

    @Test void standardizeRejectsNonPositiveOrNonFiniteStatistics() {
        for (float bad : new float[] {0f, -1f, Float.NaN, Float.POSITIVE_INFINITY}) {
            InvalidParameterException e = assertThrows(InvalidParameterException.class,
                    () -> new Standardize(be, new float[] {0, 0}, new float[] {1, bad}));
            assertTrue(e.getMessage().contains("std[1]"), e.getMessage());
        }
        assertThrows(InvalidParameterException.class, () -> new Standardize(be, new float[] {Float.NaN, 0}, ones(2)));
        // statistics loaded into the parameters later are validated on use
        Standardize s = new Standardize(be, new float[2], ones(2));
        be.upload(new float[] {1f, 0f}, s.params().get(1).value());
        assertThrows(InvalidParameterException.class, () -> s.forward(be.alloc(3, 2), be.alloc(3), Stash.none()));
        assertThrows(InvalidParameterException.class, () -> s.inverse(be.alloc(3, 2), be.alloc(3)));
    }

    @Test void singularPlainWeightIsRejected() {
        PlainLinear l = new PlainLinear(be, 2, 3);
        be.upload(new float[] {1, 2, 2, 4}, l.params().get(0).value());
        InvalidParameterException e = assertThrows(InvalidParameterException.class, () -> l.forward(be.alloc(1, 2), be.alloc(1), Stash.none()));
        assertTrue(e.getMessage().contains("singular"), e.getMessage());
        assertThrows(InvalidParameterException.class, () -> l.inverse(be.alloc(1, 2), be.alloc(1)));
    }

    @Test void unknownNamesAndCorruptConfigs() {
        assertThrows(UnknownNameException.class, () -> Permutation.of(be, "sorted", 3, 0));
        assertThrows(UnknownNameException.class, () -> Registry.transform(be, "no_such_layer", JsonNodeFactory.instance.objectNode()));
        ObjectNode c = Registry.config(Permutation.reverse(be, 3));
        c.putArray("perm").add(0).add(0).add(2);
        assertThrows(CheckpointException.class, () -> Registry.transform(be, Permutation.KIND, c));
        ObjectNode lu = Registry.config(new InvertibleLinear(be, 3, 1));
        lu.putArray("perm").add(0).add(5).add(1);
        assertThrows(CheckpointException.class, () -> Registry.transform(be, InvertibleLinear.KIND, lu));
    }
}
