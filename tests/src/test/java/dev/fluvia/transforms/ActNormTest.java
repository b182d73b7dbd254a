package dev.fluvia.transforms;

import dev.fluvia.io.Registry;
import dev.fluvia.param.Stash;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.distributions.StandardNormal;
import dev.fluvia.flow.Flow;
import dev.fluvia.param.Param;
import dev.fluvia.tensor.Tensor;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** ActNorm's data-dependent initialisation and its saved "initialized" flag. */
class ActNormTest {
    private final CpuBackend be = new CpuBackend(2);

    /** A batch whose channel c has mean 3c − 2 and std 0.5 + c (channel-major within each sample). */
    private static float[] skewed(int n, int channels, int spatial, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n * channels * spatial];
        for (int i = 0; i < x.length; i++) {
            int c = (i / spatial) % channels;
            x[i] = (float) (CpuBackend.gaussian(r) * (0.5 + c) + 3 * c - 2);
        }
        return x;
    }

    /** Per channel mean and population std of a host batch. */
    private static double[][] stats(float[] y, int n, int channels, int spatial) {
        double[] mean = new double[channels], var = new double[channels];
        int cnt = n * spatial;
        for (int i = 0; i < y.length; i++) mean[(i / spatial) % channels] += y[i] / (double) cnt;
        for (int i = 0; i < y.length; i++) { int c = (i / spatial) % channels; var[c] += Math.pow(y[i] - mean[c], 2) / cnt; }
        for (int c = 0; c < channels; c++) var[c] = Math.sqrt(var[c]);
        return new double[][] {mean, var};
    }

    private void checkFirstBatchNormalised(ActNorm a, int n, int channels, int spatial, int... shape) {
        float[] x = skewed(n, channels, spatial, 3);
        Tensor xt = be.fromHost(x, shape);
        assertFalse(a.isInitialized());
        a.initialize(xt);
        assertTrue(a.isInitialized());
        float[] y = be.toHost(a.forward(xt, be.alloc(n), Stash.none()));
        double[][] s = stats(y, n, channels, spatial);
        for (int c = 0; c < channels; c++) {
            assertEquals(0, s[0][c], 1e-5, "mean of channel " + c);
            assertEquals(1, s[1][c], 1e-5, "std of channel " + c);
        }
    }

    @Test void firstBatchLeavesWithMeanZeroStdOneVectors() {
        checkFirstBatchNormalised(new ActNorm(be, 4), 200, 4, 1, 200, 4);
    }

    @Test void firstBatchLeavesWithMeanZeroStdOneImages() {
        checkFirstBatchNormalised(new ActNorm(be, 2, 3, 3), 30, 2, 9, 30, 2, 3, 3);
    }

    @Test void initializeIsANoOpOnceInitialized() {
        ActNorm a = new ActNorm(be, 3);
        a.initialize(be.fromHost(skewed(50, 3, 1, 1), 50, 3));
        float[] logs = be.toHost(a.params().get(0).value()), bias = be.toHost(a.params().get(1).value());
        a.initialize(be.fromHost(skewed(50, 3, 1, 2), 50, 3));
        a.initialize(be.fromHost(new float[] {5, 6, 7, 8, 9, 10}, 2, 3));
        assertArrayEquals(logs, be.toHost(a.params().get(0).value()));
        assertArrayEquals(bias, be.toHost(a.params().get(1).value()));
    }

    @Test void uninitialisedForwardIsTheIdentity() {
        ActNorm a = new ActNorm(be, 3);
        float[] x = skewed(4, 3, 1, 9);
        Tensor ld = be.alloc(4);
        assertArrayEquals(x, be.toHost(a.forward(be.fromHost(x, 4, 3), ld, Stash.none())));
        assertArrayEquals(new float[4], be.toHost(ld));
        assertFalse(a.isInitialized());
    }

    @Test void flagIsANonTrainableSavedParameterAndSurvivesRebuild() throws Exception {
        ActNorm a = new ActNorm(be, 2, 3, 3);
        a.initialize(be.fromHost(skewed(6, 2, 9, 4), 6, 2, 3, 3));
        Param flag = a.params().stream().filter(p -> p.name().equals("initialized")).findFirst().orElseThrow();
        assertFalse(flag.trainable());
        assertArrayEquals(new float[] {1f}, be.toHost(flag.value()));
        // rebuild from the serialised config, load parameters by name: still initialised, initialize() does nothing
        ObjectNode cfg = (ObjectNode) new ObjectMapper().readTree(Registry.config(a).toString());
        ActNorm b = (ActNorm) Registry.transform(be, ActNorm.KIND, cfg);
        assertArrayEquals(new int[] {2, 3, 3}, b.eventShape());
        assertFalse(b.isInitialized());
        for (int i = 0; i < a.params().size(); i++) be.copy(a.params().get(i).value(), b.params().get(i).value());
        assertTrue(b.isInitialized());
        float[] before = be.toHost(b.params().get(0).value());
        b.initialize(be.fromHost(skewed(6, 2, 9, 5), 6, 2, 3, 3));
        assertArrayEquals(before, be.toHost(b.params().get(0).value()));
    }

    @Test void flowInitializeDrivesTheInitialisationInOrder() {
        ActNorm first = new ActNorm(be, 3), second = new ActNorm(be, 3);
        Flow f = new Flow(be, new StandardNormal(be, 3), List.of(first, Permutation.reverse(be, 3), second));
        float[] x = skewed(100, 3, 1, 6);
        f.initialize(be.fromHost(x, 100, 3));
        assertTrue(first.isInitialized());
        assertTrue(second.isInitialized());
        // the second layer saw an already normalised batch: its parameters are ≈ identity
        for (float v : be.toHost(second.params().get(0).value())) assertEquals(0, v, 1e-4);
        for (float v : be.toHost(second.params().get(1).value())) assertEquals(0, v, 1e-4);
    }
}
