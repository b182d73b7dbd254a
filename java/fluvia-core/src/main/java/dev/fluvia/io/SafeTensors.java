package dev.fluvia.io;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fluvia.FluviaException.CheckpointException;
import dev.fluvia.FluviaException.NonFiniteException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;

/**
 * Reader and writer of the safetensors format, float32 only.
 *
 * <p>Layout: an unsigned 64-bit little-endian header length {@code N}; {@code N} bytes of UTF-8 JSON, padded with
 * spaces so that {@code N} is a multiple of 8; then the data section. The JSON object maps each tensor name to
 * {@code {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}} (byte offsets into the data section,
 * {@code end − begin = 4·Π shape}) and may hold {@code "__metadata__": {string: string}}. Data is little-endian
 * IEEE-754 float32, row-major. Tensors are written in the map's order, back to back.
 *
 * <p>This writer also stores {@code "data_crc32"} (CRC-32 of the whole data section, 8 lower-case hex digits) in the
 * metadata; the reader verifies it when present. Writes are atomic ({@link AtomicFiles}); non-finite values are refused
 * (with the previous file left in place). The reader checks everything and raises a {@link CheckpointException}
 * naming the problem: short file, header length, JSON syntax, duplicate keys, dtype, shape vs byte length,
 * offsets out of range, overlapping or leaving gaps, checksum.
 */
public final class SafeTensors {
    /** Metadata key of the data checksum. */
    public static final String CRC_KEY = "data_crc32";
    /**
     * Metadata key of the header checksum: CRC-32 of the {@code N} header bytes as written, with this key's own
     * 8 hex digits replaced by {@code 00000000} (the field is written exactly as {@code "header_crc32":"xxxxxxxx"}).
     */
    public static final String HEADER_CRC_KEY = "header_crc32";
    /** Largest tensor the reader accepts, in bytes: a Java array holds at most 2^31 − 1 elements (2 GiB of bytes). */
    public static final long MAX_TENSOR_BYTES = Integer.MAX_VALUE - 8;
    /** Largest header accepted (as in the reference implementation). */
    public static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    /**
     * The contents of a file: metadata (without {@value #CRC_KEY} and {@value #HEADER_CRC_KEY}), tensors in file order,
     * and whether the file carried (and passed) the data and header checksums.
     *
     * @param metadata      the {@code __metadata__} entries, checksum keys removed
     * @param tensors       tensor name → array, in file order
     * @param dataChecked   whether a data checksum was present (and matched)
     * @param headerChecked whether a header checksum was present (and matched)
     */
    public record Contents(Map<String, String> metadata, Map<String, HostArray> tensors, boolean dataChecked, boolean headerChecked) {}

    private SafeTensors() {}

    /**
     * Writes the tensors (in iteration order) and metadata to {@code file}, atomically, with both checksums.
     *
     * @param file     the target; replaced when it exists, unchanged on any failure
     * @param tensors  tensor name → array
     * @param metadata string metadata, or null
     * @throws IllegalArgumentException for an empty, null or reserved ({@code __metadata__}) tensor name
     * @throws dev.fluvia.FluviaException.NonFiniteException when a value is NaN or infinite
     * @throws dev.fluvia.FluviaException.CheckpointException on an IO error
     */
    public static void write(Path file, Map<String, HostArray> tensors, Map<String, String> metadata) {
        for (String name : tensors.keySet())
            if (name == null || name.isEmpty() || name.equals("__metadata__"))
                throw new IllegalArgumentException("safetensors: invalid tensor name '" + name + "'");
        CRC32 crc = new CRC32();
        ObjectNode header = JSON.createObjectNode();
        ObjectNode meta = header.putObject("__metadata__");
        if (metadata != null)
            for (var e : metadata.entrySet()) {
                if (e.getKey().equals(CRC_KEY) || e.getKey().equals(HEADER_CRC_KEY)) continue;
                meta.put(e.getKey(), e.getValue());
            }
        long offset = 0;
        for (var e : tensors.entrySet()) {
            HostArray a = e.getValue();
            ObjectNode t = header.putObject(e.getKey());
            t.put("dtype", "F32");
            ArrayNode shape = t.putArray("shape");
            for (int s : a.shape()) shape.add(s);
            long bytes = 4L * a.data().length;
            t.putArray("data_offsets").add(offset).add(offset + bytes);
            offset += bytes;
            crc.update(littleEndian(a.data(), 0, a.data().length));
        }
        meta.put(CRC_KEY, String.format("%08x", crc.getValue()));
        meta.put(HEADER_CRC_KEY, "00000000");
        byte[] json = header.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        byte[] hb = Arrays.copyOf(json, padded);
        Arrays.fill(hb, json.length, padded, (byte) ' ');
        int at = indexOf(hb, HEADER_FIELD_ZERO, 0);
        if (at < 0 || indexOf(hb, HEADER_FIELD_ZERO, at + 1) >= 0) throw new IllegalStateException("safetensors: header checksum field not unique");
        CRC32 hcrc = new CRC32();
        hcrc.update(hb);
        byte[] hex = String.format("%08x", hcrc.getValue()).getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(hex, 0, hb, at + HEADER_FIELD_ZERO.length - 9, 8);
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(hb);
        head.flip();
        try {
            AtomicFiles.write(file, ch -> {
                writeFully(ch, head);
                for (var e : tensors.entrySet()) {
                    float[] d = e.getValue().data();
                    for (int from = 0; from < d.length; from += 1 << 16) {
                        int to = Math.min(d.length, from + (1 << 16));
                        for (int i = from; i < to; i++)
                            if (!Float.isFinite(d[i]))
                                throw new NonFiniteException(file + ": tensor '" + e.getKey() + "' element " + i + " is " + d[i]
                                        + "; refusing to write a non-finite checkpoint");
                        writeFully(ch, littleEndian(d, from, to));
                    }
                }
            });
        } catch (IOException e) {
            throw new CheckpointException(e.getMessage(), e);
        }
    }

    private static final byte[] HEADER_FIELD_ZERO = ("\"" + HEADER_CRC_KEY + "\":\"00000000\"").getBytes(StandardCharsets.US_ASCII);

    private static int indexOf(byte[] hay, byte[] needle, int from) {
        outer:
        for (int i = from; i <= hay.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) if (hay[i + j] != needle[j]) continue outer;
            return i;
        }
        return -1;
    }

    private static ByteBuffer littleEndian(float[] d, int from, int to) {
        ByteBuffer b = ByteBuffer.allocate(4 * (to - from)).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = from; i < to; i++) b.putFloat(d[i]);
        return b.flip();
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) ch.write(b);
    }

    /**
     * Reads and validates the whole file.
     *
     * @param file the safetensors file
     * @return its metadata and tensors
     * @throws dev.fluvia.FluviaException.CheckpointException naming the problem (unreadable, malformed, checksum mismatch)
     */
    public static Contents read(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            Header h = readHeader(file, ch);
            long dataStart = 8 + h.length;
            Map<String, HostArray> tensors = new LinkedHashMap<>();
            CRC32 crc = new CRC32();
            for (Entry e : h.entriesByOffset) {
                int n = (int) ((e.end - e.begin) / 4);
                ByteBuffer b = ByteBuffer.allocate((int) (e.end - e.begin)).order(ByteOrder.LITTLE_ENDIAN);
                long pos = dataStart + e.begin;
                while (b.hasRemaining()) {
                    int r = ch.read(b, pos);
                    if (r < 0) throw bad(file, "truncated: tensor '" + e.name + "' data ends early");
                    pos += r;
                }
                b.flip();
                crc.update(b.duplicate());
                float[] d = new float[n];
                b.asFloatBuffer().get(d);
                tensors.put(e.name, new HostArray(e.shape, d));
            }
            Map<String, String> meta = new LinkedHashMap<>(h.metadata);
            meta.remove(HEADER_CRC_KEY);
            String want = meta.remove(CRC_KEY);
            if (want != null && !want.equalsIgnoreCase(String.format("%08x", crc.getValue())))
                throw bad(file, "data checksum mismatch: the metadata says " + CRC_KEY + "=" + want + " but the data hashes to "
                        + String.format("%08x", crc.getValue()) + " (the tensor data is corrupt)");
            // return tensors in header order
            Map<String, HostArray> ordered = new LinkedHashMap<>();
            for (String name : h.order) ordered.put(name, tensors.get(name));
            return new Contents(meta, ordered, want != null, h.headerChecked);
        } catch (IOException e) {
            throw bad(file, "cannot read: " + AtomicFiles.reason(e));
        }
    }

    /**
     * What the header says: metadata (without {@value #CRC_KEY} and {@value #HEADER_CRC_KEY}), each tensor's shape in
     * header order, whether the header carried (and passed) its checksum, and whether a data checksum is declared.
     *
     * @param metadata        the {@code __metadata__} entries, checksum keys removed
     * @param shapes          tensor name → shape, in header order
     * @param headerChecked   whether a header checksum was present (and matched)
     * @param dataCrcDeclared whether a data checksum is declared (not verified by {@link #readIndex})
     */
    public record Index(Map<String, String> metadata, Map<String, int[]> shapes, boolean headerChecked, boolean dataCrcDeclared) {}

    /**
     * Reads and validates only the header (cheap: the tensor data is not read, and its checksum not verified; the header checksum is).
     *
     * @param file the safetensors file
     * @return what the header says
     * @throws dev.fluvia.FluviaException.CheckpointException naming the problem with the header
     */
    public static Index readIndex(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            Header h = readHeader(file, ch);
            Map<String, String> meta = new LinkedHashMap<>(h.metadata);
            meta.remove(HEADER_CRC_KEY);
            boolean dataCrc = meta.remove(CRC_KEY) != null;
            Map<String, int[]> byName = new LinkedHashMap<>();
            for (Entry e : h.entriesByOffset) byName.put(e.name, e.shape);
            Map<String, int[]> shapes = new LinkedHashMap<>();
            for (String name : h.order) shapes.put(name, byName.get(name).clone());
            return new Index(meta, shapes, h.headerChecked, dataCrc);
        } catch (IOException e) {
            throw bad(file, "cannot read: " + AtomicFiles.reason(e));
        }
    }

    private record Entry(String name, int[] shape, long begin, long end) {}

    private record Header(long length, Map<String, String> metadata, List<String> order, List<Entry> entriesByOffset, boolean headerChecked) {}

    private static Header readHeader(Path file, FileChannel ch) throws IOException {
        long size = ch.size();
        if (size < 8) throw bad(file, "truncated: " + size + " bytes, too short to hold the 8-byte header length");
        ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        readFully(ch, lenBuf, 0);
        long n = lenBuf.flip().getLong();
        if (n <= 0 || n > MAX_HEADER_BYTES)
            throw bad(file, "bad header length " + Long.toUnsignedString(n) + " (must be 1.." + MAX_HEADER_BYTES + ")");
        if (n > size - 8)
            throw bad(file, "truncated: header length " + n + " exceeds the " + (size - 8) + " bytes after the length field");
        ByteBuffer hb = ByteBuffer.allocate((int) n);
        readFully(ch, hb, 8);
        JsonNode root;
        try {
            root = JSON.readTree(hb.array());
        } catch (IOException e) {
            throw bad(file, "header is not valid JSON: " + (e instanceof com.fasterxml.jackson.core.JsonProcessingException j ? j.getOriginalMessage() : e.getMessage()));
        }
        if (root == null || !root.isObject()) throw bad(file, "header is not a JSON object");
        long dataLen = size - 8 - n;
        Map<String, String> meta = new LinkedHashMap<>();
        List<String> order = new ArrayList<>();
        List<Entry> entries = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            var f = it.next();
            String name = f.getKey();
            JsonNode v = f.getValue();
            if (name.equals("__metadata__")) {
                if (!v.isObject()) throw bad(file, "__metadata__ is not a JSON object");
                for (var m = v.fields(); m.hasNext(); ) {
                    var kv = m.next();
                    if (!kv.getValue().isTextual()) throw bad(file, "__metadata__ value of '" + kv.getKey() + "' is not a string");
                    meta.put(kv.getKey(), kv.getValue().asText());
                }
                continue;
            }
            String what = "tensor '" + name + "'";
            if (!v.isObject()) throw bad(file, what + ": entry is not a JSON object");
            for (var k = v.fieldNames(); k.hasNext(); ) {
                String key = k.next();
                if (!List.of("dtype", "shape", "data_offsets").contains(key)) throw bad(file, what + ": unknown field '" + key + "'");
            }
            JsonNode dt = v.get("dtype");
            if (dt == null || !dt.isTextual()) throw bad(file, what + ": missing dtype");
            if (!dt.asText().equals("F32")) throw bad(file, what + ": dtype '" + dt.asText() + "' is not supported (only F32)");
            JsonNode sh = v.get("shape");
            if (sh == null || !sh.isArray()) throw bad(file, what + ": missing shape");
            int[] shape = new int[sh.size()];
            long numel = 1;
            for (int i = 0; i < shape.length; i++) {
                JsonNode s = sh.get(i);
                if (!s.isIntegralNumber() || s.asLong() < 0 || s.asLong() > Integer.MAX_VALUE)
                    throw bad(file, what + ": bad shape extent " + s + " in " + sh);
                shape[i] = s.asInt();
                numel *= shape[i];
                if (numel > Integer.MAX_VALUE) throw bad(file, what + ": shape " + sh + " is too large");
            }
            JsonNode off = v.get("data_offsets");
            if (off == null || !off.isArray() || off.size() != 2 || !off.get(0).isIntegralNumber() || !off.get(1).isIntegralNumber())
                throw bad(file, what + ": data_offsets must be [begin, end], got " + off);
            long begin = off.get(0).asLong(), end = off.get(1).asLong();
            if (begin < 0 || end < begin) throw bad(file, what + ": data_offsets " + off + " are not 0 ≤ begin ≤ end");
            if (end - begin != 4 * numel)
                throw bad(file, what + ": shape " + sh + " × 4 bytes = " + 4 * numel + " bytes but data_offsets " + off + " span " + (end - begin));
            if (end - begin > MAX_TENSOR_BYTES)
                throw bad(file, what + ": shape " + sh + " is " + (end - begin) + " bytes; Fluvia reads tensors of at most "
                        + MAX_TENSOR_BYTES + " bytes (2 GiB, the size of one Java array), so this file cannot be loaded");
            if (end > dataLen)
                throw bad(file, "truncated or bad offsets: " + what + " data_offsets " + off + " end past the data section of " + dataLen + " bytes");
            order.add(name);
            entries.add(new Entry(name, shape, begin, end));
        }
        entries.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long at = 0;
        for (Entry e : entries) {
            if (e.begin < at) throw bad(file, "tensor '" + e.name + "' overlaps the tensor before it (begins at " + e.begin + ", previous ends at " + at + ")");
            if (e.begin > at) throw bad(file, "bytes " + at + ".." + e.begin + " of the data section belong to no tensor (gap before '" + e.name + "')");
            at = e.end;
        }
        if (at != dataLen) throw bad(file, (dataLen - at) + " trailing bytes after the last tensor (data section " + dataLen + " bytes, tensors cover " + at + ")");
        boolean headerChecked = false;
        String hc = meta.get(HEADER_CRC_KEY);
        if (hc != null) {
            if (!hc.matches("[0-9a-f]{8}")) throw bad(file, HEADER_CRC_KEY + " '" + hc + "' is not 8 lower-case hex digits");
            byte[] hbytes = hb.array().clone();
            byte[] field = ("\"" + HEADER_CRC_KEY + "\":\"" + hc + "\"").getBytes(StandardCharsets.US_ASCII);
            int pos = indexOf(hbytes, field, 0);
            if (pos < 0 || indexOf(hbytes, field, pos + 1) >= 0)
                throw bad(file, "header checksum: the field " + new String(field, StandardCharsets.US_ASCII)
                        + " must appear exactly once, written without spaces (the header was edited)");
            for (int i = 0; i < 8; i++) hbytes[pos + field.length - 9 + i] = '0';
            CRC32 crc = new CRC32();
            crc.update(hbytes);
            String got = String.format("%08x", crc.getValue());
            if (!got.equals(hc))
                throw bad(file, "header checksum mismatch: the metadata says " + HEADER_CRC_KEY + "=" + hc + " but the header hashes to "
                        + got + " (the header, i.e. the model description or a tensor's shape/offsets, was changed after writing)");
            headerChecked = true;
        }
        return new Header(n, meta, order, entries, headerChecked);
    }

    private static void readFully(FileChannel ch, ByteBuffer b, long pos) throws IOException {
        while (b.hasRemaining()) {
            int r = ch.read(b, pos);
            if (r < 0) throw new IOException("unexpected end of file");
            pos += r;
        }
    }

    private static CheckpointException bad(Path file, String msg) { return new CheckpointException(file + ": " + msg); }
}
