package dev.fluvia.data;

import static org.junit.jupiter.api.Assertions.*;

import dev.fluvia.FluviaException.NonFiniteException;
import dev.fluvia.FluviaException.ShapeException;
import org.junit.jupiter.api.Test;

class StandardizationTest {
    @Test void fitsMeanAndPopulationStd() {
        // column 0: 1,2,3,4 → mean 2.5, std sqrt(1.25); column 1 constant 7 → std floored
        Dataset d = new Dataset("t", new float[] {1, 7, 2, 7, 3, 7, 4, 7}, 4, 2);
        Standardization s = Standardization.fit(d);
        assertEquals(2.5f, s.mean()[0]);
        assertEquals((float) Math.sqrt(1.25), s.std()[0], 1e-7f);
        assertEquals(7f, s.mean()[1]);
        assertEquals((float) Standardization.DEFAULT_FLOOR, s.std()[1]);
        Dataset z = s.apply(d);
        double m = 0, v = 0;
        for (int i = 0; i < 4; i++) { m += z.get(i, 0); v += z.get(i, 0) * z.get(i, 0); }
        assertEquals(0, m / 4, 1e-6);
        assertEquals(1, v / 4, 1e-6);
        for (int i = 0; i < 4; i++) assertEquals(0f, z.get(i, 1));
        Dataset back = s.invert(z);
        for (int k = 0; k < 8; k++) assertEquals(d.data()[k], back.data()[k], 1e-6f);
        assertEquals(-Math.log(Math.sqrt(1.25)) - Math.log(1e-6), s.logDet(), 1e-5);
        assertThrows(ShapeException.class, () -> s.apply(new Dataset("x", new float[3], 1, 3)));
    }

    @Test void datasetValidates() {
        assertThrows(NonFiniteException.class, () -> new Dataset("bad", new float[] {1, Float.NaN}, 1, 2));
        assertThrows(ShapeException.class, () -> new Dataset("bad", new float[] {1, 2, 3}, 2, 2));
        Dataset d = new Dataset("d", new float[] {1, 2, 3, 4, 5, 6}, 3, 2);
        assertArrayEquals(new float[] {5, 6, 1, 2}, d.subset(new int[] {2, 0}).data());
        assertThrows(IndexOutOfBoundsException.class, () -> d.row(3));
    }
}
