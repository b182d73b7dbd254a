package dev.fluvia.data;

import dev.fluvia.FluviaException.DataFormatException;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Reads a comma-separated file of numbers into a {@link Dataset}.
 * <ul>
 *   <li>Cells are separated by commas; spaces and tabs around a cell are ignored.</li>
 *   <li>Blank lines and lines whose first non-blank character is {@code #} are skipped.</li>
 *   <li>Header: {@link Header#AUTO} treats the first row as a header when any of its non-empty cells is not a number;
 *       {@link Header#PRESENT} always and {@link Header#ABSENT} never treats it as one.</li>
 *   <li>Every row must have as many cells as the header (or the first data row); every cell must be a finite
 *       decimal number that fits a float.</li>
 * </ul>
 * All bad rows (up to {@value #MAX_REPORTED}) are reported together in one {@link DataFormatException}, each as
 * {@code file:line:column: problem}.
 */
public final class CsvReader {
    /** How the first row is treated. */
    public enum Header {
        /** A header when any non-empty cell of the first row is not a number. */
        AUTO,
        /** The first row is always a header. */
        PRESENT,
        /** There is no header: the first row is data. */
        ABSENT
    }

    /**
     * The column names (empty without a header) and the data.
     *
     * @param columns the header's names, one per column, or empty
     * @param data    the rows
     */
    public record Table(List<String> columns, Dataset data) {}

    static final int MAX_REPORTED = 20;
    private static final Pattern NUMBER = Pattern.compile("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?");
    private static final Pattern NON_FINITE = Pattern.compile("[+-]?(nan|inf|infinity)", Pattern.CASE_INSENSITIVE);

    private CsvReader() {}

    /**
     * Reads with header auto-detection.
     *
     * @param file a UTF-8 CSV file
     * @return the rows, named after the file
     * @throws DataFormatException listing the bad rows ({@code file:line:column: problem}), or when the file cannot be read
     */
    public static Dataset read(Path file) { return read(file, Header.AUTO); }

    /**
     * Reads with the given header rule.
     *
     * @param file   a UTF-8 CSV file
     * @param header how the first row is treated
     * @return the rows, named after the file
     * @throws DataFormatException listing the bad rows, or when the file cannot be read
     */
    public static Dataset read(Path file, Header header) { return readTable(file, header).data(); }

    /**
     * Reads the file and returns column names along with the data.
     *
     * @param file   a UTF-8 CSV file
     * @param header how the first row is treated
     * @return the column names (empty without a header) and the rows
     * @throws DataFormatException listing the bad rows, or when the file cannot be read or is not UTF-8
     */
    public static Table readTable(Path file, Header header) {
        List<String> lines;
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            lines = r.lines().toList();
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new DataFormatException(file + ": is not UTF-8 text (an invalid byte sequence); CSV files are read as UTF-8, "
                    + "so convert it first (e.g. iconv -f latin1 -t utf-8)", e);
        } catch (java.io.UncheckedIOException e) {
            if (e.getCause() instanceof java.nio.charset.CharacterCodingException)
                throw new DataFormatException(file + ": is not UTF-8 text (an invalid byte sequence); CSV files are read as UTF-8, "
                        + "so convert it first (e.g. iconv -f latin1 -t utf-8)", e);
            throw new DataFormatException(file + ": cannot read: " + (e.getCause() != null ? dev.fluvia.io.AtomicFiles.reason(e.getCause()) : e.getMessage()), e);
        } catch (IOException e) {
            throw new DataFormatException(file + ": cannot read: " + dev.fluvia.io.AtomicFiles.reason(e), e);
        }
        String name = file.getFileName() == null ? file.toString() : file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        String label = dot > 0 ? name.substring(0, dot) : name;

        List<String> errors = new ArrayList<>();
        int errorCount = 0;
        List<String> columns = List.of();
        int width = -1;
        float[] buf = new float[64];
        int rows = 0;
        boolean first = true;
        for (int ln = 0; ln < lines.size(); ln++) {
            String line = lines.get(ln);
            if (ln == 0 && line.startsWith("\uFEFF")) line = line.substring(1);
            String t = line.strip();
            if (t.isEmpty() || t.startsWith("#")) continue;
            String[] cells = line.split(",", -1);
            for (int c = 0; c < cells.length; c++) cells[c] = cells[c].strip();
            if (first) {
                first = false;
                boolean isHeader = switch (header) {
                    case PRESENT -> true;
                    case ABSENT -> false;
                    case AUTO -> looksLikeHeader(cells);
                };
                if (isHeader) {
                    columns = List.of(cells);
                    width = cells.length;
                    continue;
                }
            }
            if (width < 0) width = cells.length;
            String where = file + ":" + (ln + 1);
            if (cells.length != width) {
                errorCount++;
                if (errors.size() < MAX_REPORTED)
                    errors.add(where + ": expected " + width + " columns but found " + cells.length);
                continue;
            }
            if (buf.length < (rows + 1) * width) buf = java.util.Arrays.copyOf(buf, Math.max(buf.length * 2, (rows + 1) * width));
            boolean ok = true;
            for (int c = 0; c < width; c++) {
                String problem = null;
                String cell = cells[c];
                if (cell.isEmpty()) problem = "empty cell";
                else if (NON_FINITE.matcher(cell).matches()) problem = "non-finite value '" + cell + "' (NaN and infinity are not allowed)";
                else if (!NUMBER.matcher(cell).matches()) problem = "not a number: '" + abbreviate(cell) + "'";
                else {
                    float v = Float.parseFloat(cell);
                    if (!Float.isFinite(v)) problem = "value '" + cell + "' overflows float (non-finite)";
                    else buf[rows * width + c] = v;
                }
                if (problem != null) {
                    ok = false;
                    errorCount++;
                    if (errors.size() < MAX_REPORTED) errors.add(where + ":" + (c + 1) + ": " + problem);
                }
            }
            if (ok) rows++;
        }
        if (!errors.isEmpty()) {
            StringBuilder sb = new StringBuilder(file + ": " + errorCount + " bad cell(s)/row(s):");
            for (String e : errors) sb.append("\n  ").append(e);
            if (errorCount > errors.size()) sb.append("\n  ... and ").append(errorCount - errors.size()).append(" more");
            throw new DataFormatException(sb.toString());
        }
        if (rows == 0)
            throw new DataFormatException(file + ":" + Math.max(1, lines.size()) + ": empty file: no data rows"
                    + (columns.isEmpty() ? "" : " after the header"));
        return new Table(columns, new Dataset(label, java.util.Arrays.copyOf(buf, rows * width), rows, width));
    }

    private static boolean looksLikeHeader(String[] cells) {
        for (String c : cells)
            if (!c.isEmpty() && !NUMBER.matcher(c).matches() && !NON_FINITE.matcher(c).matches()) return true;
        return false;
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 37) + "...";
    }
}
