package dev.fluvia.data;

import dev.fluvia.FluviaException.NonFiniteException;
import dev.fluvia.FluviaException.ShapeException;

/**
 * An in-memory table of {@code n} samples with {@code dim} float features each, stored row-major in {@code data}
 * ({@code data[i·dim + j]} = feature j of sample i). Every value is finite; the constructor checks it.
 *
 * @param name a label for messages and reports (file name, generator name)
 * @param data {@code n · dim} values, row-major (not copied)
 * @param n    the number of samples (≥ 0)
 * @param dim  features per sample (≥ 1)
 */
public record Dataset(String name, float[] data, int n, int dim) {

    /**
     * Checks the lengths and values; a null name becomes empty.
     *
     * @param name a label for messages
     * @param data the values, row-major
     * @param n    the number of samples
     * @param dim  features per sample
     * @throws ShapeException when {@code data} is null or its length is not {@code n · dim}, or a count is out of range
     * @throws NonFiniteException naming the row and column of a NaN or infinite value
     */
    public Dataset {
        if (name == null) name = "";
        if (data == null) throw new ShapeException("Dataset '" + name + "': data is null");
        if (n < 0 || dim < 1) throw new ShapeException("Dataset '" + name + "': need n ≥ 0 and dim ≥ 1, got n=" + n + ", dim=" + dim);
        if ((long) n * dim != data.length)
            throw new ShapeException("Dataset '" + name + "': " + data.length + " values do not make " + n + " rows of " + dim);
        for (int i = 0; i < data.length; i++)
            if (!Float.isFinite(data[i]))
                throw new NonFiniteException("Dataset '" + name + "': row " + (i / dim) + ", column " + (i % dim) + " is " + data[i]);
    }

    /**
     * A copy of sample {@code i}.
     *
     * @param i the row, in [0, n)
     * @return its {@code dim} values
     * @throws IndexOutOfBoundsException when {@code i} is out of range
     */
    public float[] row(int i) {
        if (i < 0 || i >= n) throw new IndexOutOfBoundsException("Dataset '" + name + "': row " + i + " of " + n);
        float[] r = new float[dim];
        System.arraycopy(data, i * dim, r, 0, dim);
        return r;
    }

    /**
     * Value of feature {@code j} of sample {@code i}.
     *
     * @param i the row, in [0, n)
     * @param j the column, in [0, dim)
     * @return {@code data[i·dim + j]}
     * @throws IndexOutOfBoundsException when an index is out of range
     */
    public float get(int i, int j) {
        if (i < 0 || i >= n || j < 0 || j >= dim)
            throw new IndexOutOfBoundsException("Dataset '" + name + "': element (" + i + ", " + j + ") of " + n + "×" + dim);
        return data[i * dim + j];
    }

    /**
     * A new dataset holding the given rows, in the given order (repeats allowed).
     *
     * @param rows row indices, each in [0, n)
     * @return the rows copied, under the same name
     * @throws IndexOutOfBoundsException when an index is out of range
     */
    public Dataset subset(int[] rows) {
        float[] out = new float[rows.length * dim];
        for (int k = 0; k < rows.length; k++) {
            int i = rows[k];
            if (i < 0 || i >= n) throw new IndexOutOfBoundsException("Dataset '" + name + "': subset row " + i + " of " + n);
            System.arraycopy(data, i * dim, out, k * dim, dim);
        }
        return new Dataset(name, out, rows.length, dim);
    }

    /**
     * The same values under another name.
     *
     * @param newName the new label
     * @return a dataset sharing this one's array
     */
    public Dataset withName(String newName) { return new Dataset(newName, data, n, dim); }

    @Override public String toString() { return "Dataset[" + name + ", " + n + "×" + dim + "]"; }
}
