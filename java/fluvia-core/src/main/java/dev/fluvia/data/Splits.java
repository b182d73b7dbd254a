package dev.fluvia.data;

import java.util.SplittableRandom;

/**
 * Deterministic train / validation / test splits: the row indices are shuffled (Fisher–Yates with
 * {@link SplittableRandom}{@code (seed)}) and cut in that order. With {@code n} rows the train part gets
 * {@code round(n·trainFraction)} rows, validation {@code round(n·validationFraction)} (capped at what is left), and
 * test the rest. The three parts are disjoint and together hold every row exactly once.
 */
public final class Splits {
    private Splits() {}

    /**
     * The three parts, and the original row indices each was taken from.
     *
     * @param train          the training rows (named {@code <name>/train})
     * @param validation     the validation rows ({@code <name>/validation})
     * @param test           the remaining rows ({@code <name>/test})
     * @param trainRows      the original index of each training row
     * @param validationRows the original index of each validation row
     * @param testRows       the original index of each test row
     */
    public record Split(Dataset train, Dataset validation, Dataset test, int[] trainRows, int[] validationRows, int[] testRows) {}

    /**
     * Splits {@code d} as described above.
     *
     * @param d                  the dataset
     * @param trainFraction      the share of rows for training, ≥ 0
     * @param validationFraction the share of rows for validation, ≥ 0 (with training: at most 1)
     * @param seed               the shuffle's seed
     * @return the three disjoint parts and their row indices
     * @throws IllegalArgumentException when a fraction is negative or they sum to more than 1
     */
    public static Split split(Dataset d, double trainFraction, double validationFraction, long seed) {
        if (!(trainFraction >= 0 && validationFraction >= 0 && trainFraction + validationFraction <= 1 + 1e-9))
            throw new IllegalArgumentException("Splits: fractions must be ≥ 0 and sum to at most 1, got train=" + trainFraction
                    + ", validation=" + validationFraction);
        int n = d.n();
        int[] perm = permutation(n, seed);
        int nTrain = (int) Math.min(n, Math.round(n * trainFraction));
        int nVal = (int) Math.min(n - nTrain, Math.round(n * validationFraction));
        int[] tr = java.util.Arrays.copyOfRange(perm, 0, nTrain);
        int[] va = java.util.Arrays.copyOfRange(perm, nTrain, nTrain + nVal);
        int[] te = java.util.Arrays.copyOfRange(perm, nTrain + nVal, n);
        return new Split(d.subset(tr).withName(d.name() + "/train"), d.subset(va).withName(d.name() + "/validation"),
                d.subset(te).withName(d.name() + "/test"), tr, va, te);
    }

    /**
     * A uniformly random permutation of {@code 0..n−1}, reproducible for a seed.
     *
     * @param n    the length
     * @param seed the seed of the Fisher–Yates shuffle
     * @return the permutation
     */
    public static int[] permutation(int n, long seed) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1), t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }
}
