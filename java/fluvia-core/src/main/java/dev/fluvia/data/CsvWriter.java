package dev.fluvia.data;

import dev.fluvia.FluviaException.ShapeException;
import dev.fluvia.io.AtomicFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/**
 * Writes float rows as CSV (comma-separated, one row per line, {@code \n} line ends), optionally under a header row.
 * Values are written with {@link Float#toString(float)}, which reads back to the identical float.
 * The file is replaced atomically ({@link AtomicFiles}): a failed write leaves any previous file intact.
 */
public final class CsvWriter {
    private CsvWriter() {}

    /** Produces rows {@code first .. first + count − 1} (row-major, {@code count · dim} values). */
    @FunctionalInterface
    public interface RowSource {
        /**
         * The next chunk of rows.
         *
         * @param first the index of the chunk's first row
         * @param count the rows in the chunk
         * @return {@code count · dim} values, row-major
         */
        float[] rows(long first, int count);
    }

    /**
     * Writes {@code n} rows produced {@code chunk} at a time, so memory is bounded by the chunk and not by {@code n}.
     * The file is still replaced atomically; a non-finite value aborts the write (naming its row) and leaves any
     * previous file intact.
     *
     * @param file   the target, replaced atomically
     * @param n      the total number of rows (≥ 0)
     * @param dim    values per row (≥ 1)
     * @param chunk  rows asked of {@code source} at a time (≥ 1)
     * @param header column names, or null for no header row
     * @param source produces the rows chunk by chunk
     * @throws IllegalArgumentException when {@code n}, {@code dim} or {@code chunk} is out of range
     * @throws ShapeException when a chunk has the wrong number of values
     * @throws dev.fluvia.FluviaException.NonFiniteException naming the row and column of a NaN or infinite value
     * @throws UncheckedIOException on an IO error
     */
    public static void writeStreaming(Path file, long n, int dim, int chunk, List<String> header, RowSource source) {
        if (dim < 1 || chunk < 1 || n < 0) throw new IllegalArgumentException("CsvWriter: bad streaming arguments");
        try {
            AtomicFiles.write(file, ch -> {
                if (header != null) {
                    ByteBuffer h = ByteBuffer.wrap((String.join(",", header) + "\n").getBytes(StandardCharsets.UTF_8));
                    while (h.hasRemaining()) ch.write(h);
                }
                StringBuilder sb = new StringBuilder();
                for (long first = 0; first < n; first += chunk) {
                    int count = (int) Math.min(chunk, n - first);
                    float[] rows = source.rows(first, count);
                    if (rows.length != (long) count * dim) throw new ShapeException("CsvWriter: chunk of " + rows.length + " values for " + count + " rows of " + dim);
                    sb.setLength(0);
                    for (int i = 0; i < count; i++) {
                        for (int j = 0; j < dim; j++) {
                            float v = rows[i * dim + j];
                            if (!Float.isFinite(v))
                                throw new dev.fluvia.FluviaException.NonFiniteException(file + ": row " + (first + i) + ", column " + j + " is " + v + "; nothing was written");
                            if (j > 0) sb.append(',');
                            sb.append(v);
                        }
                        sb.append('\n');
                    }
                    ByteBuffer b = ByteBuffer.wrap(sb.toString().getBytes(StandardCharsets.UTF_8));
                    while (b.hasRemaining()) ch.write(b);
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e.getMessage(), e);
        }
    }

    /**
     * Writes the dataset without a header.
     *
     * @param file the target, replaced atomically
     * @param d    the rows
     * @throws UncheckedIOException on an IO error
     */
    public static void write(Path file, Dataset d) { write(file, d.data(), d.n(), d.dim(), null); }

    /**
     * Writes {@code n} rows, refusing non-finite values.
     *
     * @param file   the target, replaced atomically
     * @param rows   {@code n · dim} values, row-major
     * @param n      the number of rows
     * @param dim    values per row (≥ 1)
     * @param header column names ({@code dim} of them, no commas or line breaks), or null for no header row
     * @throws ShapeException when the lengths do not fit
     * @throws IllegalArgumentException when a column name contains a comma or line break
     * @throws dev.fluvia.FluviaException.NonFiniteException naming the row and column of a NaN or infinite value
     * @throws UncheckedIOException on an IO error
     */
    public static void write(Path file, float[] rows, int n, int dim, List<String> header) { write(file, rows, n, dim, header, false); }

    /**
     * Writes {@code n} rows, optionally letting −∞ through.
     *
     * @param file                  the target, replaced atomically
     * @param rows                  {@code n · dim} values, row-major
     * @param n                     the number of rows
     * @param dim                   values per row (≥ 1)
     * @param header                column names ({@code dim} of them), or null for no header row
     * @param allowNegativeInfinity write −∞ as {@code -Infinity} (a log-density that underflows) instead of refusing it
     * @throws ShapeException when the lengths do not fit
     * @throws IllegalArgumentException when a column name contains a comma or line break
     * @throws dev.fluvia.FluviaException.NonFiniteException naming the row and column of a refused value
     * @throws UncheckedIOException on an IO error
     */
    public static void write(Path file, float[] rows, int n, int dim, List<String> header, boolean allowNegativeInfinity) {
        if ((long) n * dim != rows.length || dim < 1)
            throw new ShapeException("CsvWriter: " + rows.length + " values do not make " + n + " rows of " + dim);
        if (header != null) {
            if (header.size() != dim) throw new ShapeException("CsvWriter: header has " + header.size() + " names for " + dim + " columns");
            for (String h : header)
                if (h.contains(",") || h.contains("\n") || h.contains("\r"))
                    throw new IllegalArgumentException("CsvWriter: column name '" + h + "' contains a comma or line break");
        }
        StringBuilder sb = new StringBuilder(n * dim * 12 + 64);
        if (header != null) sb.append(String.join(",", header)).append('\n');
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < dim; j++) {
                float v = rows[i * dim + j];
                if (!Float.isFinite(v) && !(allowNegativeInfinity && v == Float.NEGATIVE_INFINITY)) throw new dev.fluvia.FluviaException.NonFiniteException("CsvWriter: row " + i + ", column " + j + " is " + v);
                if (j > 0) sb.append(',');
                sb.append(v);
            }
            sb.append('\n');
        }
        ByteBuffer bytes = ByteBuffer.wrap(sb.toString().getBytes(StandardCharsets.UTF_8));
        try {
            AtomicFiles.write(file, ch -> { while (bytes.hasRemaining()) ch.write(bytes); });
        } catch (IOException e) {
            throw new UncheckedIOException(e.getMessage(), e);
        }
    }
}
