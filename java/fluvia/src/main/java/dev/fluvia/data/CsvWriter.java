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

    /** Writes the dataset without a header. */
    public static void write(Path file, Dataset d) { write(file, d.data(), d.n(), d.dim(), null); }

    /**
     * @param header column names ({@code dim} of them, no commas or line breaks), or null for no header row
     */
    public static void write(Path file, float[] rows, int n, int dim, List<String> header) {
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
                if (!Float.isFinite(v)) throw new dev.fluvia.FluviaException.NonFiniteException("CsvWriter: row " + i + ", column " + j + " is " + v);
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
