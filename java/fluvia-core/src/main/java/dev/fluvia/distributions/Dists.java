package dev.fluvia.distributions;

final class Dists {
    private Dists() {}
    /** The seeds of a sampler's draw streams (normals, uniforms, ...): the first longs of SplittableRandom(seed). */
    static long[] seeds(long seed, int count) {
        java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
        long[] s = new long[count];
        for (int i = 0; i < count; i++) s[i] = r.nextLong();
        return s;
    }

    static int[] batchShape(int n, int[] event) {
        int[] s = new int[event.length + 1];
        s[0] = n;
        System.arraycopy(event, 0, s, 1, event.length);
        return s;
    }
}
