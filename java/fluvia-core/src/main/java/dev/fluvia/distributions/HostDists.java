package dev.fluvia.distributions;

import java.util.SplittableRandom;

/** Host helpers of the base distributions: the seeded N(0, 1) draw of the mixture's initial means, the temperature rule, sizes (their math runs on the backend's dist ops). */
final class HostDists {
    private HostDists() {}

    static double gaussian(SplittableRandom r) {
        double u1 = Math.max(r.nextDouble(), 1e-300), u2 = r.nextDouble();
        return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }

    static void requireUnitTemperature(String kind, float t) {
        if (t != 1f)
            throw new IllegalArgumentException(kind + " base: temperature sampling scales a Gaussian's std; a bounded base samples at T = 1 only, got T = " + t);
    }

    static int size(int[] event) {
        int d = 1;
        for (int s : event) d *= s;
        return d;
    }
}
