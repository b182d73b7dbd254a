package dev.fluvia.data;

import dev.fluvia.FluviaException.DataFormatException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a NumPy {@code .npy} file (format versions 1.0, 2.0 and 3.0) into a {@link Dataset}.
 *
 * <p>File layout: the magic {@code \x93NUMPY}, a major and a minor version byte, the header length (little-endian
 * uint16 in version 1, uint32 in versions 2 and 3), then the header — a Python dict literal with the keys
 * {@code descr}, {@code fortran_order} and {@code shape} — and then the raw array data.
 *
 * <p>Supported: little-endian {@code <f4}, {@code <f8}, {@code <i4}, {@code <i8} and {@code |u1} (all converted to
 * float); shapes {@code (n,)} (read as n rows of 1 column) and {@code (n, d)}; C order, or Fortran order (column-major,
 * transposed while reading). Everything else — bad magic, unknown version, other dtypes, big-endian data, other ranks,
 * a truncated file, trailing bytes, or a value that is not finite as a float — raises a {@link DataFormatException}
 * naming the file and the problem.
 */
public final class NpyReader {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    /** Largest header accepted (NumPy itself refuses headers over 10,000 bytes by default). */
    public static final int MAX_HEADER_BYTES = 65536;
    /** Deepest nesting of dicts and tuples accepted in the header (a real one nests 2 deep). */
    static final int MAX_DEPTH = 16;

    private NpyReader() {}

    private enum DType {
        F4(4), F8(8), I4(4), I8(8), U1(1);
        final int size;
        DType(int size) { this.size = size; }
    }

    /**
     * Reads a {@code .npy} file.
     *
     * @param file the file
     * @return its rows, named after the file without its extension
     * @throws DataFormatException naming the file and the problem, or when it cannot be read
     */
    public static Dataset read(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new DataFormatException(file + ": cannot read: " + dev.fluvia.io.AtomicFiles.reason(e), e);
        }
        String name = file.getFileName() == null ? file.toString() : file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return parse(bytes, file.toString(), dot > 0 ? name.substring(0, dot) : name);
    }

    /**
     * Parses the bytes of an .npy file; {@code where} names the source in messages.
     *
     * @param bytes the whole file
     * @param where the source's name in messages (a path)
     * @param label the dataset's name
     * @return the rows: {@code (n,)} as n rows of 1 column, {@code (n, d)} as n rows of d
     * @throws DataFormatException naming the problem
     */
    public static Dataset parse(byte[] bytes, String where, String label) {
        if (bytes.length < 10) throw bad(where, "truncated: " + bytes.length + " bytes is shorter than the .npy preamble");
        for (int i = 0; i < MAGIC.length; i++)
            if (bytes[i] != MAGIC[i]) throw bad(where, "bad magic: not a NumPy .npy file (expected \\x93NUMPY at the start)");
        int major = bytes[6] & 0xff, minor = bytes[7] & 0xff;
        ByteBuffer bb = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        long headerLen;
        int headerStart;
        switch (major) {
            case 1 -> { headerLen = bb.getShort(8) & 0xffff; headerStart = 10; }
            case 2, 3 -> {
                if (bytes.length < 12) throw bad(where, "truncated: no room for the version " + major + " header length");
                headerLen = bb.getInt(8) & 0xffffffffL;
                headerStart = 12;
            }
            default -> throw bad(where, "unsupported .npy format version " + major + "." + minor + " (known: 1.0, 2.0, 3.0)");
        }
        if (headerLen > MAX_HEADER_BYTES)
            throw bad(where, "header of " + headerLen + " bytes is larger than the " + MAX_HEADER_BYTES + " bytes accepted");
        if (headerStart + headerLen > bytes.length)
            throw bad(where, "truncated: header of " + headerLen + " bytes runs past the end of the file (" + bytes.length + " bytes)");
        String header = new String(bytes, headerStart, (int) headerLen, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        Map<String, Object> dict;
        try {
            dict = new HeaderParser(header).dict();
        } catch (IllegalArgumentException e) {
            throw bad(where, "malformed header: " + e.getMessage() + " in " + header.strip());
        }
        for (String key : List.of("descr", "fortran_order", "shape"))
            if (!dict.containsKey(key)) throw bad(where, "header has no '" + key + "' key: " + header.strip());
        if (!(dict.get("descr") instanceof String descr)) throw bad(where, "dtype descr is not a string: " + dict.get("descr"));
        DType dt = switch (descr) {
            case "<f4" -> DType.F4;
            case "<f8" -> DType.F8;
            case "<i4" -> DType.I4;
            case "<i8" -> DType.I8;
            case "|u1", "<u1" -> DType.U1;
            default -> throw bad(where, "unsupported dtype '" + descr + "'" + (descr.startsWith(">") ? " (big-endian)" : "")
                    + "; supported: <f4, <f8, <i4, <i8, |u1");
        };
        if (!(dict.get("fortran_order") instanceof Boolean fortran)) throw bad(where, "fortran_order is not True/False: " + dict.get("fortran_order"));
        if (!(dict.get("shape") instanceof List<?> shape)) throw bad(where, "shape is not a tuple: " + dict.get("shape"));
        for (Object e : shape)
            if (!(e instanceof Long)) throw bad(where, "shape " + shape + " holds a non-integer extent");
        long rowsL, colsL;
        if (shape.size() == 1) { rowsL = (Long) shape.get(0); colsL = 1; }
        else if (shape.size() == 2) { rowsL = (Long) shape.get(0); colsL = (Long) shape.get(1); }
        else throw bad(where, "unsupported shape " + shape + ": only 1-D (n,) and 2-D (n, d) arrays can be read as data");
        if (colsL < 1) throw bad(where, "shape " + shape + " has no columns");
        long count, need;
        try {
            count = Math.multiplyExact(rowsL, colsL);
            need = Math.multiplyExact(count, (long) dt.size);
        } catch (ArithmeticException e) {
            throw bad(where, "shape " + shape + ": the number of elements overflows 64 bits");
        }
        if (count > Integer.MAX_VALUE) throw bad(where, "array of " + count + " elements is too large");
        long dataStart = headerStart + headerLen, have = bytes.length - dataStart;
        if (have < need) throw bad(where, "truncated data: shape " + shape + " of " + descr + " needs " + need + " bytes but only " + have + " follow the header");
        if (have > need) throw bad(where, "unexpected " + (have - need) + " trailing bytes after the " + need + " data bytes");
        int n = (int) rowsL, d = (int) colsL;
        float[] out = new float[n * d];
        int base = (int) dataStart;
        for (int k = 0; k < n * d; k++) {
            double v = switch (dt) {
                case F4 -> bb.getFloat(base + 4 * k);
                case F8 -> bb.getDouble(base + 8 * k);
                case I4 -> bb.getInt(base + 4 * k);
                case I8 -> bb.getLong(base + 8 * k);
                case U1 -> bytes[base + k] & 0xff;
            };
            // file element k sits at (i, j) = (k / d, k % d) in C order, (k % n, k / n) in Fortran order
            int i = fortran ? k % n : k / d, j = fortran ? k / n : k % d;
            float f = (float) v;
            if (!Float.isFinite(f))
                throw bad(where, "element (" + i + ", " + j + ") is " + (Double.isFinite(v) ? v + ", which overflows float" : String.valueOf(v)));
            out[i * d + j] = f;
        }
        return new Dataset(label, out, n, d);
    }

    private static DataFormatException bad(String where, String msg) { return new DataFormatException(where + ": " + msg); }

    /** A recursive-descent parser for the small Python literal subset .npy headers use: dict, tuple, str, int, True/False. */
    private static final class HeaderParser {
        private final String s;
        private int p;

        HeaderParser(String s) { this.s = s; }

        Map<String, Object> dict() {
            skip();
            Object v = value();
            if (!(v instanceof Map<?, ?>)) throw new IllegalArgumentException("header is not a dict");
            skip();
            if (p != s.length()) throw new IllegalArgumentException("unexpected text at offset " + p);
            @SuppressWarnings("unchecked") Map<String, Object> m = (Map<String, Object>) v;
            return m;
        }

        private void skip() { while (p < s.length() && Character.isWhitespace(s.charAt(p))) p++; }

        private char peek() {
            if (p >= s.length()) throw new IllegalArgumentException("unexpected end of header");
            return s.charAt(p);
        }

        private void expect(char c) {
            skip();
            if (peek() != c) throw new IllegalArgumentException("expected '" + c + "' at offset " + p + " but found '" + peek() + "'");
            p++;
        }

        private int depth;

        private Object value() {
            skip();
            char c = peek();
            if ((c == '{' || c == '(') && ++depth > MAX_DEPTH)
                throw new IllegalArgumentException("nested more than " + MAX_DEPTH + " levels deep at offset " + p);
            if (c == '{') {
                p++;
                Map<String, Object> m = new HashMap<>();
                while (true) {
                    skip();
                    if (peek() == '}') { p++; depth--; return m; }
                    Object k = value();
                    if (!(k instanceof String key)) throw new IllegalArgumentException("dict key is not a string at offset " + p);
                    expect(':');
                    m.put(key, value());
                    skip();
                    if (peek() == ',') p++;
                    else if (peek() != '}') throw new IllegalArgumentException("expected ',' or '}' at offset " + p);
                }
            }
            if (c == '(') {
                p++;
                List<Object> l = new ArrayList<>();
                while (true) {
                    skip();
                    if (peek() == ')') { p++; depth--; return l; }
                    l.add(value());
                    skip();
                    if (peek() == ',') p++;
                    else if (peek() != ')') throw new IllegalArgumentException("expected ',' or ')' at offset " + p);
                }
            }
            if (c == '\'' || c == '"') {
                int end = s.indexOf(c, p + 1);
                if (end < 0) throw new IllegalArgumentException("unterminated string at offset " + p);
                String str = s.substring(p + 1, end);
                p = end + 1;
                return str;
            }
            if (Character.isDigit(c)) {
                int start = p;
                while (p < s.length() && Character.isDigit(s.charAt(p))) p++;
                if (p < s.length() && s.charAt(p) == 'L') p++; // Python 2 long suffix
                try {
                    return Long.parseLong(s.substring(start, p).replace("L", ""));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("integer too large at offset " + start);
                }
            }
            if (s.startsWith("True", p)) { p += 4; return Boolean.TRUE; }
            if (s.startsWith("False", p)) { p += 5; return Boolean.FALSE; }
            throw new IllegalArgumentException("unexpected '" + c + "' at offset " + p);
        }
    }
}
