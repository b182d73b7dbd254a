package dev.fluvia.data;

import dev.fluvia.FluviaException.ShapeException;

/**
 * Per-column affine standardisation {@code x' = (x − mean) / std}. {@link #fit} computes the column means and
 * population standard deviations (divisor n) in double precision; a std below {@code floor} is raised to
 * {@code floor}, so a constant column maps to 0 instead of dividing by zero.
 *
 * @param mean the column means (copied)
 * @param std  the column standard deviations, finite and &gt; 0 (copied)
 */
public record Standardization(float[] mean, float[] std) {
    /** The default std floor of {@link #fit(Dataset)}. */
    public static final double DEFAULT_FLOOR = 1e-6;

    /**
     * Checks and copies the columns.
     *
     * @param mean the column means
     * @param std  the column standard deviations
     * @throws ShapeException when the lengths differ
     * @throws IllegalArgumentException when a mean is not finite or a std is not finite and &gt; 0
     */
    public Standardization {
        if (mean.length != std.length) throw new ShapeException("Standardization: " + mean.length + " means but " + std.length + " stds");
        for (int j = 0; j < std.length; j++)
            if (!(std[j] > 0) || !Float.isFinite(std[j]) || !Float.isFinite(mean[j]))
                throw new IllegalArgumentException("Standardization: column " + j + " has mean " + mean[j] + ", std " + std[j]);
        mean = mean.clone();
        std = std.clone();
    }

    /**
     * Fits with the default floor {@link #DEFAULT_FLOOR}.
     *
     * @param d the data (at least one row)
     * @return the column means and population standard deviations
     * @throws ShapeException when {@code d} is empty
     */
    public static Standardization fit(Dataset d) { return fit(d, DEFAULT_FLOOR); }

    /**
     * Fits the column means and population standard deviations.
     *
     * @param d     the data (at least one row)
     * @param floor the smallest std kept (&gt; 0)
     * @return the standardisation
     * @throws ShapeException when {@code d} is empty
     * @throws IllegalArgumentException when {@code floor} is not &gt; 0
     */
    public static Standardization fit(Dataset d, double floor) {
        if (d.n() == 0) throw new ShapeException("Standardization: cannot fit on an empty dataset '" + d.name() + "'");
        if (!(floor > 0)) throw new IllegalArgumentException("Standardization: floor must be > 0, got " + floor);
        int n = d.n(), dim = d.dim();
        double[] s = new double[dim], ss = new double[dim];
        float[] x = d.data();
        for (int i = 0; i < n; i++) for (int j = 0; j < dim; j++) s[j] += x[i * dim + j];
        float[] mean = new float[dim], std = new float[dim];
        for (int j = 0; j < dim; j++) s[j] /= n;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < dim; j++) { double u = x[i * dim + j] - s[j]; ss[j] += u * u; }
        for (int j = 0; j < dim; j++) {
            mean[j] = (float) s[j];
            std[j] = (float) Math.max(Math.sqrt(ss[j] / n), floor);
        }
        return new Standardization(mean, std);
    }

    /** {@return the number of columns} */
    public int dim() { return mean.length; }

    /**
     * {@code (x − mean) / std}, column by column.
     *
     * @param d the data, with {@link #dim()} columns
     * @return a new dataset of standardised rows, same name
     * @throws ShapeException when the column count differs
     */
    public Dataset apply(Dataset d) {
        check(d);
        float[] x = d.data(), y = new float[x.length];
        int dim = d.dim();
        for (int k = 0; k < x.length; k++) y[k] = (float) (((double) x[k] - mean[k % dim]) / std[k % dim]);
        return new Dataset(d.name(), y, d.n(), dim);
    }

    /**
     * {@code x·std + mean}: the inverse of {@link #apply}.
     *
     * @param d standardised data, with {@link #dim()} columns
     * @return a new dataset in the original units, same name
     * @throws ShapeException when the column count differs
     */
    public Dataset invert(Dataset d) {
        check(d);
        float[] x = d.data(), y = new float[x.length];
        int dim = d.dim();
        for (int k = 0; k < x.length; k++) y[k] = (float) ((double) x[k] * std[k % dim] + mean[k % dim]);
        return new Dataset(d.name(), y, d.n(), dim);
    }

    /** {@return log|det| of {@link #apply} per sample: {@code −Σ_j log std_j}} Add it to a flow's log-likelihood of standardised data to get nats in the original units. */
    public double logDet() {
        double s = 0;
        for (float v : std) s -= Math.log(v);
        return s;
    }

    private void check(Dataset d) {
        if (d.dim() != mean.length)
            throw new ShapeException("Standardization: fitted on " + mean.length + " columns, dataset '" + d.name() + "' has " + d.dim());
    }

    /** {@return a copy of the column means} */
    @Override public float[] mean() { return mean.clone(); }
    /** {@return a copy of the column standard deviations} */
    @Override public float[] std() { return std.clone(); }
}
