package dev.fluvia.train;

import dev.fluvia.FluviaException.NonFiniteException;
import dev.fluvia.FluviaException.ShapeException;

/**
 * The rows a training run sees: {@code nTrain} training rows and {@code nVal} validation rows of {@code dim} floats each,
 * row-major. The validation part may be empty ({@code nVal == 0}). Kept minimal so a richer dataset type can hand its arrays over.
 *
 * <p>The constructor checks the lengths and that every value is finite (a NaN in the data would otherwise surface
 * much later as a "non-finite gradient").
 *
 * @param train      {@code nTrain × dim} training values, row-major
 * @param nTrain     training rows (≥ 1)
 * @param validation {@code nVal × dim} validation values, row-major; null is read as empty
 * @param nVal       validation rows (≥ 0)
 * @param dim        values per row (≥ 1)
 */
public record TrainData(float[] train, int nTrain, float[] validation, int nVal, int dim) {
    /**
     * Checks the lengths and values.
     *
     * @param train      training values
     * @param nTrain     training rows
     * @param validation validation values, or null
     * @param nVal       validation rows
     * @param dim        values per row
     * @throws ShapeException when a count is out of range or an array's length is not rows × dim
     * @throws NonFiniteException naming the row and column of the first NaN or infinite value
     */
    public TrainData {
        if (dim < 1) throw new ShapeException("TrainData: dim must be >= 1, got " + dim);
        if (nTrain < 1) throw new ShapeException("TrainData: needs at least one training row, got " + nTrain);
        if (validation == null) validation = new float[0];
        if (nVal < 0) throw new ShapeException("TrainData: negative validation row count " + nVal);
        if ((long) nTrain * dim != train.length)
            throw new ShapeException("TrainData: " + nTrain + " training rows of " + dim + " need " + (long) nTrain * dim + " floats, got " + train.length);
        if ((long) nVal * dim != validation.length)
            throw new ShapeException("TrainData: " + nVal + " validation rows of " + dim + " need " + (long) nVal * dim + " floats, got " + validation.length);
        checkFinite(train, dim, "training");
        checkFinite(validation, dim, "validation");
    }

    /**
     * Training rows only.
     *
     * @param train {@code n × dim} values, row-major
     * @param dim   values per row
     * @return the data, without validation rows
     * @throws ShapeException when {@code train.length} is not a positive multiple of {@code dim}
     * @throws NonFiniteException when a value is NaN or infinite
     */
    public static TrainData of(float[] train, int dim) { return new TrainData(train, train.length / Math.max(1, dim), new float[0], 0, dim); }

    /**
     * Training and validation rows.
     *
     * @param train      training values, row-major
     * @param validation validation values, row-major
     * @param dim        values per row
     * @return the data
     * @throws ShapeException when a length is not a multiple of {@code dim} (or there is no training row)
     * @throws NonFiniteException when a value is NaN or infinite
     */
    public static TrainData of(float[] train, float[] validation, int dim) {
        return new TrainData(train, train.length / Math.max(1, dim), validation, validation.length / Math.max(1, dim), dim);
    }

    private static void checkFinite(float[] x, int dim, String what) {
        for (int i = 0; i < x.length; i++)
            if (!Float.isFinite(x[i]))
                throw new NonFiniteException("TrainData: " + what + " row " + i / dim + ", column " + i % dim + " is " + x[i]);
    }
}
