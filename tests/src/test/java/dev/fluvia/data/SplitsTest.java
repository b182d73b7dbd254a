package dev.fluvia.data;

import static org.junit.jupiter.api.Assertions.*;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SplitsTest {
    static Dataset indexed(int n) {
        float[] v = new float[2 * n];
        for (int i = 0; i < n; i++) { v[2 * i] = i; v[2 * i + 1] = -i; }
        return new Dataset("idx", v, n, 2);
    }

    @Test void disjointCompleteDeterministic() {
        Dataset d = indexed(101);
        Splits.Split s = Splits.split(d, 0.7, 0.15, 9);
        assertEquals(71, s.train().n());
        assertEquals(15, s.validation().n());
        assertEquals(15, s.test().n());
        Set<Integer> seen = new HashSet<>();
        for (Dataset part : new Dataset[] {s.train(), s.validation(), s.test()})
            for (int i = 0; i < part.n(); i++) {
                int id = (int) part.get(i, 0);
                assertEquals(-id, part.get(i, 1), 0f, "rows stay whole");
                assertTrue(seen.add(id), "row " + id + " appears twice");
            }
        assertEquals(101, seen.size());
        Splits.Split again = Splits.split(d, 0.7, 0.15, 9);
        assertArrayEquals(s.train().data(), again.train().data());
        assertArrayEquals(s.testRows(), again.testRows());
        assertFalse(java.util.Arrays.equals(s.trainRows(), Splits.split(d, 0.7, 0.15, 10).trainRows()));
    }

    @Test void edgeFractions() {
        Dataset d = indexed(10);
        assertEquals(10, Splits.split(d, 1.0, 0, 1).train().n());
        assertEquals(0, Splits.split(d, 1.0, 0, 1).test().n());
        assertEquals(10, Splits.split(d, 0, 0, 1).test().n());
        assertThrows(IllegalArgumentException.class, () -> Splits.split(d, 0.8, 0.3, 1));
        assertThrows(IllegalArgumentException.class, () -> Splits.split(d, -0.1, 0.3, 1));
    }
}
