package dev.fluvia.transforms;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fluvia.FluviaException;
import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.flow.Flow;
import dev.fluvia.flow.PresetOptions;
import dev.fluvia.flow.Presets;
import dev.fluvia.io.Checkpoint;
import dev.fluvia.io.Registry;
import dev.fluvia.oracle.GenerativeCheck;
import dev.fluvia.oracle.SylvesterOracle;
import dev.fluvia.param.Param;
import dev.fluvia.param.ParamSource;
import dev.fluvia.param.Stash;
import dev.fluvia.tensor.Tensor;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The orthogonal Sylvester flow: its generative direction against the float64 oracle (output, ld⁻¹, ld⁻¹ vs brute-force
 * Jacobian, gradients through {@link InverseBackward} vs central differences), the typed error of its missing normalizing
 * direction, Registry and checkpoint round trips. (Round trip: none, the layer has no tractable inverse.)
 */
class SylvesterTest {
    private final CpuBackend be = new CpuBackend(1);
    @TempDir Path dir;

    @ParameterizedTest(name = "sylvester D={0} K={1} seed {2}")
    @CsvSource({"1, 1, 1", "2, 2, 2", "3, 1, 3", "4, 4, 4", "5, 3, 5"})
    void generativeDirectionAgainstOracle(int dim, int k, long seed) {
        Sylvester t = new Sylvester(be, dim, k, new SplittableRandom(seed));
        // jitter 0.8 moves R, R̃ well away from the near-identity initialisation
        GenerativeCheck.of(be, t, new SylvesterOracle(dim, k)).seed(60 + seed).jitter(0.8).inputStd(1.5).run();
    }

    @Test void densityOfDataIsATypedError() {
        Sylvester t = new Sylvester(be, 2, new SplittableRandom(1));
        Tensor x = be.fromHost(new float[] {0.1f, 0.2f}, 1, 2);
        NotInvertibleException e = assertThrows(NotInvertibleException.class, () -> t.forward(x, be.alloc(1), Stash.none()));
        assertTrue(e.getMessage().contains("fit-target"), e.getMessage());
        assertThrows(NotInvertibleException.class, () -> t.backward(x, x, be.alloc(1), Stash.none()));
        Flow f = Presets.build("sylvester", be, 2, PresetOptions.defaults().withLayers(2), null, null);
        assertThrows(NotInvertibleException.class, () -> f.logProb(new float[] {0.1f, 0.2f}, 1));
        assertTrue(FluviaException.class.isAssignableFrom(NotInvertibleException.class));
    }

    /**
     * A stored zero Householder vector is refused when the layer is built; one set to zero afterwards gives non-finite
     * samples and log-dets, never finite wrong ones.
     */
    @Test void zeroHouseholderVectorIsATypedError() {
        ParamSource zeroV = ParamSource.stored(be, (name, trainable, shape) -> {
            float[] a = new float[shape.length == 1 ? shape[0] : shape[0] * shape[1]];
            if (name.equals("v")) for (int i = 0; i < 3; i++) a[i] = 1f + i;   // v_0 non-zero, v_1 = 0
            return a;
        }, true);
        InvalidParameterException e = assertThrows(InvalidParameterException.class, () -> new Sylvester(zeroV, be, 3, 2, null));
        assertTrue(e.getMessage().contains("Householder vector 1"), e.getMessage());
        Sylvester t = new Sylvester(be, 3, 2, new SplittableRandom(1));
        float[] v = be.toHost(t.params().get(0).value());
        for (int i = 3; i < 6; i++) v[i] = 0;
        be.upload(v, t.params().get(0).value());
        Tensor ld = be.alloc(1);
        for (float x : be.toHost(t.inverse(be.fromHost(new float[] {0.2f, -0.3f, 1f}, 1, 3), ld))) assertFalse(Float.isFinite(x));
        assertFalse(Float.isFinite(be.toHost(ld)[0]));
    }

    @Test void registryRoundTrip() throws Exception {
        Sylvester t = new Sylvester(be, 3, 2, new SplittableRandom(2));
        ZooFlowChecks.jitter(be, t.params(), 0.4, 3);
        ObjectMapper json = new ObjectMapper();
        Transform u = Registry.transform(be, t.kind(), (ObjectNode) json.readTree(json.writeValueAsString(dev.fluvia.io.Registry.config(t))));
        List<Param> a = t.params(), b = u.params();
        assertEquals(a.size(), b.size());
        for (int i = 0; i < a.size(); i++) {
            assertEquals(a.get(i).name(), b.get(i).name());
            assertArrayEquals(a.get(i).value().shape(), b.get(i).value().shape());
            be.copy(a.get(i).value(), b.get(i).value());
        }
        Tensor z = be.fromHost(new float[] {0.3f, -1.2f, 0.7f, 2f, 0.1f, -0.4f}, 2, 3), la = be.alloc(2), lb = be.alloc(2);
        assertArrayEquals(be.toHost(t.inverse(z, la)), be.toHost(u.inverse(z, lb)));
        assertArrayEquals(be.toHost(la), be.toHost(lb));
    }

    @Test void checkpointSaveLoadGivesTheSameSamplesAndLogQ() {
        Flow f = Presets.build("sylvester", be, 3, PresetOptions.defaults().withLayers(3).withSeed(7), null, null);
        ZooFlowChecks.jitter(be, f.params(), 0.3, 8);
        Path p = dir.resolve("sylvester.safetensors");
        Checkpoint.save(p, f, new ObjectMapper().createObjectNode().put("step", 1), Map.of());
        Flow g = Checkpoint.load(p, new CpuBackend(1)).flow();
        Flow.Result a = f.sampleWithLogProb(16, 1f, 5), b = g.sampleWithLogProb(16, 1f, 5);
        assertArrayEquals(be.toHost(a.out()), g.backend().toHost(b.out()));
        float[] la = be.toHost(a.logdet()), lb = g.backend().toHost(b.logdet());
        assertArrayEquals(la, lb);
        for (float v : la) assertTrue(Float.isFinite(v));
    }
}
