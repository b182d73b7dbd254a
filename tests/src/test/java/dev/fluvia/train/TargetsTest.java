package dev.fluvia.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fluvia.FluviaException.UnknownNameException;
import dev.fluvia.train.targets.Target;
import dev.fluvia.train.targets.Targets;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** The built-in reverse-KL targets: gradients against central differences, exact log Z against grid integration. */
class TargetsTest {

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"u1", "u2", "u3", "u4", "banana", "mixture", "gauss:1", "gauss:2", "gauss:5"})
    void gradientMatchesCentralDifferences(String name) {
        Target t = Targets.byName(name);
        int d = t.dim(), n = 40;
        SplittableRandom r = new SplittableRandom(name.hashCode());
        double[] x = new double[n * d], lp = new double[n], g = new double[n * d];
        for (int i = 0; i < x.length; i++) x[i] = (r.nextDouble() * 2 - 1) * 4.6;   // inside and (U2–U4) beyond the |z₁| ≤ 4 wall
        t.logDensity(x, n, lp, g);
        double[] one = new double[1], p = new double[d], m = new double[d];
        for (int s = 0; s < n; s++) {
            assertTrue(Double.isFinite(lp[s]), name + " log p̃ = " + lp[s]);
            for (int i = 0; i < d; i++) {
                for (int j = 0; j < d; j++) { p[j] = x[s * d + j]; m[j] = x[s * d + j]; }
                double h = 1e-6;
                p[i] += h; m[i] -= h;
                t.logDensity(p, 1, one, null);
                double up = one[0];
                t.logDensity(m, 1, one, null);
                double fd = (up - one[0]) / (2 * h);
                assertEquals(fd, g[s * d + i], 1e-5 + 1e-5 * Math.abs(fd), name + " ∂/∂x" + i + " at sample " + s);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"banana", "mixture", "gauss:2"})
    void exactLogZMatchesTheGrid(String name) {
        Target t = Targets.byName(name);
        assertEquals(t.exactLogZ(), Targets.gridLogZ(t, 800), 2e-4, name);
    }

    @Test void energyTargetsAreNormalisableOnTheirView() {
        for (String u : new String[] {"u1", "u2", "u3", "u4"}) {
            Target t = Targets.byName(u);
            double a = Targets.gridLogZ(t, 400), b = Targets.gridLogZ(t, 800);
            assertTrue(Double.isFinite(a) && Math.abs(a - b) < 1e-3, u + ": " + a + " vs " + b);
            assertTrue(Double.isNaN(t.exactLogZ()));
        }
    }

    @Test void badNamesAreTypedErrors() {
        assertThrows(UnknownNameException.class, () -> Targets.byName("u5"));
        assertThrows(UnknownNameException.class, () -> Targets.byName("gauss:x"));
        assertThrows(UnknownNameException.class, () -> Targets.byName("gauss:0"));
    }
}
