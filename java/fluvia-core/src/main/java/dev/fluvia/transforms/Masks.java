package dev.fluvia.transforms;


/** Coupling masks for vectors and small JSON helpers for layer configs. */
public final class Masks {
    private Masks() {}

    /** FLOWS.md: the first ⌈D/2⌉ dims condition on even layers; the roles flip on odd layers. Returns {a, b}. */
    public static int[][] alternating(int dim, int layer) {
        int h = (dim + 1) / 2;
        int[] first = new int[h], second = new int[dim - h];
        for (int i = 0; i < dim; i++) { if (i < h) first[i] = i; else second[i - h] = i; }
        return layer % 2 == 0 ? new int[][] {first, second} : new int[][] {second, first};
    }

    static void checkPartition(int dim, int[] a, int[] b, String kind) {
        if (dim < 2) throw new IllegalArgumentException(kind + ": needs at least 2 dimensions, got " + dim);
        if (a.length == 0 || b.length == 0 || a.length + b.length != dim)
            throw new IllegalArgumentException(kind + ": masks must split " + dim + " dims into two non-empty parts");
        boolean[] seen = new boolean[dim];
        for (int[] part : new int[][] {a, b})
            for (int v : part) {
                if (v < 0 || v >= dim || seen[v]) throw new IllegalArgumentException(kind + ": mask index " + v + " out of range or repeated");
                seen[v] = true;
            }
    }
}
