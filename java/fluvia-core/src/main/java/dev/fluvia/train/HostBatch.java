package dev.fluvia.train;

/**
 * One training batch in host memory, as the {@link Loader} produced it.
 *
 * @param rows        {@code n × dim} floats, row-major
 * @param n           rows in this batch
 * @param dim         floats per row
 * @param epoch       the epoch it belongs to (0-based)
 * @param index       its position within the epoch (0-based batch number)
 * @param lastInEpoch whether it is the epoch's final batch
 * @param staged      whatever {@link BatchUploader#stage} attached (a pinned buffer, a copy event), or null
 */
public record HostBatch(float[] rows, int n, int dim, int epoch, int index, boolean lastInEpoch, Object staged) {
    /**
     * The same batch with {@code staged} attached.
     *
     * @param s the staging object (a pinned buffer, a copy event), or null
     * @return a new record, rows shared
     */
    public HostBatch withStaged(Object s) { return new HostBatch(rows, n, dim, epoch, index, lastInEpoch, s); }
}
