package dev.fluvia.transforms;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.oracle.Dense;
import dev.fluvia.oracle.LinearOracles;
import dev.fluvia.param.Param;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Initialisation of the invertible linear layers and the host helper behind it. */
class InvertibleLinearInitTest {
    private final CpuBackend be = new CpuBackend(2);

    private static void assertOrthogonal(double[] w, int c, double tol) {
        double[] wtw = Dense.matMul(Dense.transpose(w, c), w, c);
        for (int i = 0; i < c; i++)
            for (int j = 0; j < c; j++) assertEquals(i == j ? 1 : 0, wtw[i * c + j], tol, "WᵀW[" + i + "," + j + "]");
    }

    private static double[] d(float[] f) {
        double[] o = new double[f.length];
        for (int i = 0; i < f.length; i++) o[i] = f[i];
        return o;
    }

    @ParameterizedTest @ValueSource(ints = {1, 2, 3, 8, 16})
    void luInitReproducesAnOrthogonalMatrix(int c) {
        InvertibleLinear l = new InvertibleLinear(be, c, 1234 + c);
        double[] w = d(be.toHost(l.weight()));
        assertOrthogonal(w, c, 1e-5);
        double[] w0 = SmallLinalg.randomOrthogonal(c, 1234 + c);
        assertOrthogonal(w0, c, 1e-12);
        for (int i = 0; i < w.length; i++) assertEquals(w0[i], w[i], 1e-6, "luAssemble(PLU(W0)) vs W0 at " + i);
        // independent check of the factors: the oracle's P·L·U from the layer's parameters is W0 as well
        Map<String, double[]> p = new HashMap<>();
        for (Param q : l.params()) p.put(q.name(), d(be.toHost(q.value())));
        double[] wo = LinearOracles.luWeight(l.permutation(), p);
        for (int i = 0; i < w.length; i++) assertEquals(w0[i], wo[i], 1e-6);
        // orthogonal ⇒ |det| = 1 ⇒ Σ logs = 0, and the sign vector holds ±1
        assertEquals(0, Arrays.stream(p.get("logs")).sum(), 1e-5);
        for (double s : p.get("sign")) assertEquals(1, Math.abs(s), 0);
    }

    @ParameterizedTest @ValueSource(ints = {1, 4, 9})
    void plainInitIsTheSameOrthogonalMatrix(int c) {
        PlainLinear l = new PlainLinear(be, c, 77);
        double[] w = d(be.toHost(l.params().get(0).value()));
        assertOrthogonal(w, c, 1e-6);
        double[] w0 = SmallLinalg.randomOrthogonal(c, 77);
        for (int i = 0; i < w.length; i++) assertEquals(w0[i], w[i], 1e-7);
    }

    @Test void seedsGiveDifferentMatrices() {
        assertFalse(Arrays.equals(SmallLinalg.randomOrthogonal(5, 1), SmallLinalg.randomOrthogonal(5, 2)));
    }

    @Test void pluLogDetAndInverseTransposeAgainstDenseOracle() {
        int c = 6;
        SplittableRandom r = new SplittableRandom(8);
        double[] a = new double[c * c];
        for (int i = 0; i < a.length; i++) a[i] = r.nextDouble() * 2 - 1;
        SmallLinalg.Plu f = SmallLinalg.plu(a, c);
        // W[i, :] = (L·U)[perm[i], :]
        double[] lu = Dense.matMul(f.lower(), f.upper(), c);
        for (int i = 0; i < c; i++)
            for (int j = 0; j < c; j++) assertEquals(a[i * c + j], lu[f.perm()[i] * c + j], 1e-12);
        for (int i = 0; i < c; i++) {
            assertEquals(1, f.lower()[i * c + i], 0);
            for (int j = i + 1; j < c; j++) { assertEquals(0, f.lower()[i * c + j], 0); assertEquals(0, f.upper()[j * c + i], 0); }
            for (int j = 0; j < i; j++) assertTrue(Math.abs(f.lower()[i * c + j]) <= 1, "partial pivoting bounds |L| by 1");
        }
        assertEquals(Dense.logAbsDet(a, c), SmallLinalg.logAbsDet(f), 1e-12);
        double[] prod = Dense.matMul(Dense.transpose(a, c), SmallLinalg.inverseTranspose(f), c); // Wᵀ·W⁻ᵀ = I
        for (int i = 0; i < c; i++) for (int j = 0; j < c; j++) assertEquals(i == j ? 1 : 0, prod[i * c + j], 1e-12);
    }

    @Test void singularOrNonFiniteMatricesAreRejected() {
        assertThrows(InvalidParameterException.class, () -> SmallLinalg.plu(new double[] {1, 2, 2, 4}, 2));
        assertThrows(InvalidParameterException.class, () -> SmallLinalg.plu(new double[] {1, Double.NaN, 0, 1}, 2));
    }
}
