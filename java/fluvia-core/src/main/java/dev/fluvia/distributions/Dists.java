package dev.fluvia.distributions;

final class Dists {
    private Dists() {}
    static int[] batchShape(int n, int[] event) {
        int[] s = new int[event.length + 1];
        s[0] = n;
        System.arraycopy(event, 0, s, 1, event.length);
        return s;
    }
}
