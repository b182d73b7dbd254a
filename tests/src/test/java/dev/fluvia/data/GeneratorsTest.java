package dev.fluvia.data;

import static org.junit.jupiter.api.Assertions.*;

import dev.fluvia.FluviaException.UnknownNameException;
import org.junit.jupiter.api.Test;

class GeneratorsTest {

    @Test void deterministicAndRightShapeForEveryName() {
        for (String name : Generators.NAMES) {
            Dataset a = Generators.generate(name, 1001, 42), b = Generators.generate(name, 1001, 42), c = Generators.generate(name, 1001, 43);
            assertEquals(1001, a.n(), name);
            assertEquals(2, a.dim(), name);
            assertArrayEquals(a.data(), b.data(), name);
            assertFalse(java.util.Arrays.equals(a.data(), c.data()), name);
        }
    }

    @Test void unknownNameListsKnownOnes() {
        String m = assertThrows(UnknownNameException.class, () -> Generators.generate("swirl", 10, 0)).getMessage();
        assertTrue(m.contains("swirl") && m.contains("8gaussians") && m.contains("2spirals") && m.contains("checkerboard"), m);
    }

    @Test void eightGaussiansHasEightBalancedTightClusters() {
        int n = 8000;
        Dataset d = Generators.generate("8gaussians", n, 1);
        double r = 4 / Math.sqrt(2), sd = 0.5 / Math.sqrt(2);
        int[] count = new int[8];
        double[] sq = new double[8];
        for (int i = 0; i < n; i++) {
            double x = d.get(i, 0), y = d.get(i, 1);
            int best = -1;
            double bd = Double.MAX_VALUE;
            for (int k = 0; k < 8; k++) {
                double cx = r * Math.cos(k * Math.PI / 4), cy = r * Math.sin(k * Math.PI / 4);
                double dd = (x - cx) * (x - cx) + (y - cy) * (y - cy);
                if (dd < bd) { bd = dd; best = k; }
            }
            count[best]++;
            sq[best] += bd;
        }
        for (int k = 0; k < 8; k++) {
            assertEquals(n / 8.0, count[k], 5 * Math.sqrt(n / 8.0), "cluster " + k);
            // E‖p − c‖² = 2σ² per cluster
            assertEquals(2 * sd * sd, sq[k] / count[k], 0.03, "cluster " + k + " spread");
        }
    }

    @Test void moonsInExpectedBoxAndBothHalves() {
        Dataset d = Generators.generate("moons", 4000, 2);
        int upper = 0;
        double mx = 0, my = 0;
        for (int i = 0; i < d.n(); i++) {
            float x = d.get(i, 0), y = d.get(i, 1);
            assertTrue(x > -1 - 0.6 && x < 2 + 0.6 && y > -0.5 - 0.6 && y < 1 + 0.6, "point " + x + "," + y);
            mx += x; my += y;
            // noiseless upper moon: (cos t, sin t), unit distance from (0, 0); lower: (1 − cos t, 0.5 − sin t), unit distance from (1, 0.5)
            double du = Math.hypot(x, y), dl = Math.hypot(x - 1, y - 0.5);
            if (Math.abs(du - 1) < Math.abs(dl - 1)) upper++;
        }
        assertEquals(2000, upper, 60);
        assertEquals(0.5, mx / d.n(), 0.05); // x: the halves average cos t → 0 and 1 − cos t → 1
        assertEquals(0.25, my / d.n(), 0.05); // y: the halves average sin t and 0.5 − sin t, i.e. 0.25
    }

    @Test void circlesHaveRadiiThreeAndOneAndAHalf() {
        Dataset d = Generators.generate("circles", 4000, 3);
        int outer = 0;
        double so = 0, si = 0;
        for (int i = 0; i < d.n(); i++) {
            double r = Math.hypot(d.get(i, 0), d.get(i, 1));
            if (r > 2.25) { outer++; so += r; } else si += r;
        }
        assertEquals(2000, outer);
        assertEquals(3.0, so / outer, 0.05);
        assertEquals(1.5, si / (d.n() - outer), 0.05);
    }

    @Test void checkerboardOnlyOnSameParityCells() {
        Dataset d = Generators.generate("checkerboard", 4000, 4);
        int[] cells = new int[16];
        for (int i = 0; i < d.n(); i++) {
            float x = d.get(i, 0), y = d.get(i, 1);
            assertTrue(Math.abs(x) <= 4 && Math.abs(y) <= 4);
            int cx = (int) Math.floor(x / 2), cy = (int) Math.floor(y / 2);
            assertEquals(Math.floorMod(cx, 2), Math.floorMod(cy, 2), "point " + x + "," + y);
            cells[(cx + 2) * 4 + (cy + 2)]++;
        }
        int used = 0;
        for (int c : cells) if (c > 0) { used++; assertEquals(500, c, 90); }
        assertEquals(8, used);
    }

    @Test void pinwheelHasFiveArmsAndSpiralsAreSymmetric() {
        Dataset p = Generators.generate("pinwheel", 5000, 5);
        double mr = 0;
        for (int i = 0; i < p.n(); i++) mr += Math.hypot(p.get(i, 0), p.get(i, 1));
        assertEquals(2.0, mr / p.n(), 0.15); // radius ≈ 2·(1 + 0.3·N) (tangential part is small)
        Dataset s = Generators.generate("2spirals", 5000, 6);
        double sx = 0, sy = 0, maxR = 0;
        for (int i = 0; i < s.n(); i++) {
            sx += s.get(i, 0); sy += s.get(i, 1);
            maxR = Math.max(maxR, Math.hypot(s.get(i, 0), s.get(i, 1)));
        }
        assertEquals(0, sx / s.n(), 0.15); // point reflection through the origin (plus the small uniform offsets)
        assertEquals(0, sy / s.n(), 0.15);
        assertTrue(maxR < 3 * Math.PI / 3 + 0.7 && maxR > 2.8, "max radius " + maxR);
    }
}
