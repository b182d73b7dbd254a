package dev.fluvia.transforms;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.distributions.StandardNormal;
import dev.fluvia.flow.Flow;
import dev.fluvia.io.Checkpoint;
import dev.fluvia.oracle.GenerativeCheck;
import dev.fluvia.oracle.TransformCheck;
import dev.fluvia.oracle.TransformOracle;
import dev.fluvia.oracle.ZooElementwiseOracles;
import dev.fluvia.param.Stash;
import dev.fluvia.tensor.Tensor;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The element-wise flows: forward, log-det (against a brute-force Jacobian), inverse, round trip and gradients against
 * float64 oracles (TransformCheck); the generative backward against the oracle's inverse (GenerativeCheck); domain errors;
 * Registry and checkpoint round trips.
 */
class ElementwiseFlowsTest {
    private final CpuBackend be = new CpuBackend(1);
    @TempDir Path dir;

    record Case(BiFunction<CpuBackend, Integer, Transform> make, TransformOracle oracle, boolean unitIn, boolean unitOut) {}

    static Case of(String kind) {
        return switch (kind) {
            case "sigmoid" -> new Case((b, d) -> new Sigmoid(b, d), ZooElementwiseOracles.sigmoid(), false, true);
            case "logit_map" -> new Case((b, d) -> new LogitMap(b, d), ZooElementwiseOracles.logit(), true, false);
            case "tanh" -> new Case((b, d) -> new Tanh(b, d), ZooElementwiseOracles.tanh(), false, true);
            case "leaky_relu" -> new Case((b, d) -> new LeakyRelu(b, d, 0.3), ZooElementwiseOracles.leakyRelu(), false, false);
            case "scalar_affine" -> new Case((b, d) -> new ScalarAffine(b, d), ZooElementwiseOracles.scalarAffine(), false, false);
            default -> throw new IllegalArgumentException(kind);
        };
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"sigmoid", "logit_map", "tanh", "leaky_relu", "scalar_affine"})
    void againstOracle(String kind) {
        Case c = of(kind);
        for (int d : new int[] {1, 4}) {
            Transform t = c.make().apply(be, d);
            assertEquals(kind, t.kind());
            TransformCheck chk = TransformCheck.of(be, t, c.oracle()).seed(d * 7L + kind.length()).jitter(0.5);
            if (c.unitIn()) chk.unitInput();
            TransformCheck.Report r = chk.run();
            assertTrue(r.roundTripMaxAbs() < 1e-4, "round trip " + r.roundTripMaxAbs());
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"sigmoid", "logit_map", "tanh", "leaky_relu", "scalar_affine"})
    void generativeBackwardAgainstOracle(String kind) {
        Case c = of(kind);
        GenerativeCheck g = GenerativeCheck.of(be, c.make().apply(be, 3), c.oracle()).seed(kind.hashCode()).jitter(0.5);
        if (c.unitOut()) g.unitInput();
        g.run();
    }

    @Test void outOfDomainInputsAreTypedErrors() {
        Tensor two = be.fromHost(new float[] {0.5f, 1f}, 1, 2), neg = be.fromHost(new float[] {0.5f, -0.1f}, 1, 2);
        assertThrows(DomainException.class, () -> new LogitMap(be, 2).forward(two, be.alloc(1), Stash.none()));
        assertThrows(DomainException.class, () -> new LogitMap(be, 2).forward(neg, be.alloc(1), Stash.none()));
        assertThrows(DomainException.class, () -> new Sigmoid(be, 2).inverse(two, be.alloc(1)));
        assertThrows(DomainException.class, () -> new Tanh(be, 2).inverse(be.fromHost(new float[] {0f, -1f}, 1, 2), be.alloc(1)));
        DomainException e = assertThrows(DomainException.class, () -> new Sigmoid(be, 2).inverse(be.fromHost(new float[] {0.5f, 0.2f, 0.3f, 1.5f}, 2, 2), be.alloc(2)));
        assertTrue(e.getMessage().startsWith("sigmoid.inverse: ") && e.getMessage().contains("got 1.5 (row 1, column 1)"), e.getMessage());
        // the op reports the first flat index outside the domain (NaN included), −1 when there is none
        float[] v = {0.5f, 0.2f, Float.NaN, 0.3f, -2f, 0.7f};
        assertEquals(2, be.pointwise().sigmoidInverse(be.fromHost(v, 3, 2), be.alloc(3, 2), be.alloc(3)));
        assertEquals(2, be.pointwise().logitMapForward(be.fromHost(v, 3, 2), be.alloc(3, 2), be.alloc(3)));
        assertEquals(4, be.pointwise().tanhInverse(be.fromHost(new float[] {0.5f, 0.2f, 0.9f, 0.3f, -2f, 1f}, 3, 2), be.alloc(3, 2), be.alloc(3)));
        assertEquals(-1, be.pointwise().tanhInverse(be.fromHost(new float[] {0.5f, -0.99f}, 1, 2), be.alloc(1, 2), be.alloc(1)));
        Tensor big = be.fromHost(new float[] {40f, -40f}, 1, 2), ld = be.alloc(1);
        new Tanh(be, 2).forward(big, ld, Stash.none());
        assertTrue(Float.isFinite(be.toHost(ld)[0]), "stable tanh log-det at ±40: " + be.toHost(ld)[0]);
        Tensor ld2 = be.alloc(1);
        new Sigmoid(be, 2).forward(big, ld2, Stash.none());
        assertEquals(-80, be.toHost(ld2)[0], 1e-3, "stable sigmoid log-det at ±40");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"sigmoid", "logit_map", "tanh", "leaky_relu", "scalar_affine"})
    void registryRoundTrip(String kind) throws Exception {
        Transform t = of(kind).make().apply(be, 3);
        ZooFlowChecks.jitter(be, t.params(), 0.4, 3);
        if (kind.equals("logit_map")) {
            // ZooFlowChecks feeds Gaussian inputs: check logit on (0, 1) directly
            ObjectMapper json = new ObjectMapper();
            Transform u = dev.fluvia.io.Registry.transform(be, kind, (com.fasterxml.jackson.databind.node.ObjectNode) json.readTree(json.writeValueAsString(dev.fluvia.io.Registry.config(t))));
            Tensor x = be.fromHost(new float[] {0.1f, 0.5f, 0.9f}, 1, 3), la = be.alloc(1), lb = be.alloc(1);
            assertArrayEquals(be.toHost(t.forward(x, la, Stash.none())), be.toHost(u.forward(x, lb, Stash.none())));
            assertArrayEquals(be.toHost(la), be.toHost(lb));
            return;
        }
        ZooFlowChecks.registryRoundTrip(be, t);
    }

    @Test void checkpointSaveLoadGivesTheSameLogProbAndSamples() {
        SplittableRandom r = new SplittableRandom(4);
        List<Transform> ts = List.of(new ScalarAffine(be, 2), new LeakyRelu(be, 2, 0.4), new Sigmoid(be, 2), new LogitMap(be, 2),
                new Planar(be, 2, r), new ScalarAffine(be, 2));
        Flow f = new Flow(be, new StandardNormal(be, 2), ts);
        ZooFlowChecks.jitter(be, f.params(), 0.3, 5);
        Path p = dir.resolve("elementwise.safetensors");
        Checkpoint.save(p, f, new ObjectMapper().createObjectNode().put("step", 1), Map.of());
        Flow g = Checkpoint.load(p, new CpuBackend(1)).flow();
        float[] x = new float[40];
        for (int i = 0; i < x.length; i++) x[i] = (float) (2 * CpuBackend.gaussian(r));
        float[] a = f.logProb(x, 20), b = g.logProb(x, 20);
        for (int i = 0; i < a.length; i++) {
            assertTrue(Float.isFinite(a[i]));
            assertEquals(Float.floatToRawIntBits(a[i]), Float.floatToRawIntBits(b[i]), "sample " + i);
        }
        assertArrayEquals(f.sampleHost(10, 1f, 3), g.sampleHost(10, 1f, 3));
        // a tanh-topped stack scores data too
        Flow h = new Flow(be, new StandardNormal(be, 2), List.of(new ScalarAffine(be, 2), new Tanh(be, 2)));
        for (float v : h.logProb(x, 20)) assertTrue(Float.isFinite(v));
    }
}
