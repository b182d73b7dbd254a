package dev.fluvia.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fluvia.FluviaException;
import dev.fluvia.FluviaException.DataFormatException;
import dev.fluvia.FluviaException.NonFiniteException;
import dev.fluvia.FluviaException.ShapeException;
import dev.fluvia.backend.Backend;
import dev.fluvia.backend.Scope;
import dev.fluvia.data.CsvReader;
import dev.fluvia.data.CsvWriter;
import dev.fluvia.data.Dataset;
import dev.fluvia.data.images.Dequantization;
import dev.fluvia.data.images.ImageDataset;
import dev.fluvia.flow.Flow;
import dev.fluvia.io.Checkpoint;
import dev.fluvia.io.HostArray;
import dev.fluvia.io.SafeTensors;
import dev.fluvia.plot.ImageGrid;
import dev.fluvia.tensor.Tensor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The Glow demo operations on a trained image flow, as static methods (the {@code fluvia encode / decode / interpolate /
 * attribute} commands call these): encode images to all their latents (every split level plus the final z), decode
 * latents back to images, interpolate along the latent line, and add a class-attribute vector.
 *
 * <p>Pixel space: a model trained by {@link ImageTrainJob} sees {@code x = (k + u)/L ∈ [0, 1)} for integer levels k of
 * L levels. Data images are encoded at the centre of their bins ({@code u = ½}), so encoding is deterministic. Decoded
 * images are shown quantised back to levels ({@code floor(x·L)}) and scaled to [0, 1] by {@code k/(L−1)}, exactly like
 * {@link ImageDataset#displayValues}.
 *
 * <p>Latents of n images are a list of host arrays, one per level in {@link Flow#encode} order (split layers in order,
 * then the final z), each {@code n × (size of one latent)} row-major.
 */
public final class ImageFlowOps {
    private static final int BATCH = 256;

    private ImageFlowOps() {}

    /** What an image model knows about its data (stored under {@code image} in the checkpoint's training metadata). */
    public record ImageInfo(String data, int levels, int bits, int sourceLevels) {
        public ObjectNode toJson() {
            ObjectNode o = JsonNodeFactory.instance.objectNode();
            o.put("data", data);
            o.put("levels", levels);
            o.put("bits", bits);
            o.put("source_levels", sourceLevels);
            return o;
        }

        /** The info of a loaded checkpoint, or null when it was not written by an image training run. */
        public static ImageInfo of(Checkpoint.Loaded ck) {
            if (ck.training() == null) return null;
            JsonNode n = ck.training().get("image");
            if (n == null || !n.isObject() || !n.has("levels")) return null;
            int levels = n.get("levels").asInt();
            return new ImageInfo(n.path("data").asText(""), levels, n.path("bits").asInt(0), n.path("source_levels").asInt(levels));
        }
    }

    /** True when the flow models images {@code [C, H, W]} (what the grid writers need). */
    public static boolean isImageFlow(Flow flow) { return flow.eventShape().length == 3; }

    static int[] chw(Flow flow) {
        if (!isImageFlow(flow))
            throw new ShapeException("not an image model: it models samples of shape " + Arrays.toString(flow.eventShape()) + ", not [C, H, W]");
        return flow.eventShape();
    }

    /** The data images {@code rows} of {@code d} as model input at the centre of their bins: {@code (reduce(k) + ½)/L}. */
    public static float[] centred(ImageDataset d, int[] rows, ImageInfo info) {
        Dequantization q = new Dequantization(d.levels(), info.bits(), 0L);
        int dims = d.dims();
        float[] out = new float[rows.length * dims];
        for (int r = 0; r < rows.length; r++) {
            float[] img = d.image(rows[r]);
            for (int j = 0; j < dims; j++) out[r * dims + j] = (float) ((q.reduce((int) img[j]) + 0.5) / q.levels());
        }
        return out;
    }

    /** Sizes (values per sample) of the latents {@link Flow#encode} returns, in order. */
    public static List<int[]> latentShapes(Flow flow) { return flow.latentShapes(); }

    static int numel(int[] s) { int n = 1; for (int v : s) n *= v; return n; }

    /** All latents of n images {@code x} (model input space, NCHW row-major), batched. */
    public static List<float[]> encode(Flow flow, float[] x, int n) {
        int d = flow.eventSize();
        if (x.length != (long) n * d) throw new ShapeException("encode: " + x.length + " values are not " + n + " images of " + d);
        List<int[]> shapes = latentShapes(flow);
        List<float[]> out = new ArrayList<>();
        for (int[] s : shapes) out.add(new float[n * numel(s)]);
        Backend be = flow.backend();
        for (int lo = 0; lo < n; lo += BATCH) {
            int m = Math.min(BATCH, n - lo);
            try (Scope sc = be.scope()) {
                List<Tensor> zs = flow.encode(be.fromHost(Arrays.copyOfRange(x, lo * d, (lo + m) * d), flow.batchShape(m)));
                for (int k = 0; k < zs.size(); k++) {
                    float[] h = be.toHost(zs.get(k));
                    System.arraycopy(h, 0, out.get(k), lo * numel(shapes.get(k)), h.length);
                }
            }
        }
        return out;
    }

    /** Images (model input space) from n samples' latents in {@link #encode} layout. */
    public static float[] decode(Flow flow, List<float[]> latents, int n) {
        List<int[]> shapes = latentShapes(flow);
        if (latents.size() != shapes.size())
            throw new ShapeException("decode: the model has " + shapes.size() + " latent levels, got " + latents.size());
        for (int k = 0; k < shapes.size(); k++) {
            if (latents.get(k).length != (long) n * numel(shapes.get(k)))
                throw new ShapeException("decode: latent level " + k + " has " + latents.get(k).length + " values, expected " + n + " × "
                        + Arrays.toString(shapes.get(k)));
            for (int i = 0; i < latents.get(k).length; i++)
                if (!Float.isFinite(latents.get(k)[i])) throw new NonFiniteException("decode: latent level " + k + " value " + i + " is " + latents.get(k)[i]);
        }
        int d = flow.eventSize();
        float[] x = new float[n * d];
        Backend be = flow.backend();
        for (int lo = 0; lo < n; lo += BATCH) {
            int m = Math.min(BATCH, n - lo);
            try (Scope sc = be.scope()) {
                List<Tensor> zs = new ArrayList<>();
                for (int k = 0; k < shapes.size(); k++) {
                    int e = numel(shapes.get(k));
                    int[] shape = new int[shapes.get(k).length + 1];
                    shape[0] = m;
                    System.arraycopy(shapes.get(k), 0, shape, 1, shapes.get(k).length);
                    zs.add(be.fromHost(Arrays.copyOfRange(latents.get(k), lo * e, (lo + m) * e), shape));
                }
                float[] h = be.toHost(flow.decode(zs));
                System.arraycopy(h, 0, x, lo * d, h.length);
            }
        }
        return x;
    }

    /**
     * {@code steps} images along the straight line from image a's latents to image b's (all levels), both ends included:
     * {@code z(t) = (1−t)·z_a + t·z_b}, {@code t = i/(steps−1)}.
     */
    public static float[] interpolate(Flow flow, float[] xa, float[] xb, int steps) {
        if (steps < 2) throw new IllegalArgumentException("interpolate: steps must be >= 2, got " + steps);
        float[] both = new float[xa.length + xb.length];
        System.arraycopy(xa, 0, both, 0, xa.length);
        System.arraycopy(xb, 0, both, xa.length, xb.length);
        List<float[]> z = encode(flow, both, 2);
        List<float[]> path = new ArrayList<>();
        for (float[] lv : z) {
            int e = lv.length / 2;
            float[] p = new float[steps * e];
            for (int i = 0; i < steps; i++) {
                double t = (double) i / (steps - 1);
                for (int j = 0; j < e; j++) p[i * e + j] = (float) ((1 - t) * lv[j] + t * lv[e + j]);
            }
            path.add(p);
        }
        return decode(flow, path, steps);
    }

    /** The mean latent (all levels) of the images {@code x} ({@code n} of them). */
    public static List<float[]> meanLatent(Flow flow, float[] x, int n) {
        if (n < 1) throw new IllegalArgumentException("meanLatent: no images");
        List<float[]> z = encode(flow, x, n), out = new ArrayList<>();
        for (float[] lv : z) {
            int e = lv.length / n;
            double[] acc = new double[e];
            for (int i = 0; i < n; i++) for (int j = 0; j < e; j++) acc[j] += lv[i * e + j];
            float[] m = new float[e];
            for (int j = 0; j < e; j++) m[j] = (float) (acc[j] / n);
            out.add(m);
        }
        return out;
    }

    /**
     * Attribute manipulation: the attribute vector {@code v = mean z(class b) − mean z(class a)} (every level, over all
     * images of each class in {@code d}, encoded at bin centres) is added with each strength s to image
     * {@code index}'s latents, {@code z + s·v}, and decoded: one image per strength, in order.
     */
    public static float[] attribute(Flow flow, ImageDataset d, ImageInfo info, int fromClass, int toClass, int index, double[] strengths) {
        if (strengths.length < 1) throw new IllegalArgumentException("attribute: no strengths");
        int[] a = d.classIndices(fromClass), b = d.classIndices(toClass);
        if (a.length == 0) throw new FluviaException("attribute: data set '" + d.name() + "' has no image of class " + fromClass);
        if (b.length == 0) throw new FluviaException("attribute: data set '" + d.name() + "' has no image of class " + toClass);
        List<float[]> ma = meanLatent(flow, centred(d, a, info), a.length), mb = meanLatent(flow, centred(d, b, info), b.length);
        List<float[]> z = encode(flow, centred(d, new int[] {index}, info), 1);
        int m = strengths.length;
        List<float[]> out = new ArrayList<>();
        for (int k = 0; k < z.size(); k++) {
            int e = z.get(k).length;
            float[] p = new float[m * e];
            for (int i = 0; i < m; i++)
                for (int j = 0; j < e; j++) p[i * e + j] = (float) (z.get(k)[j] + strengths[i] * (mb.get(k)[j] - ma.get(k)[j]));
            out.add(p);
        }
        return decode(flow, out, m);
    }

    /** Model-space images (x ∈ [0, 1)) to display values: {@code floor(x·L)/(L−1)}; non-finite values become 0. */
    public static float[] display(float[] x, int levels) {
        float[] safe = x.clone();
        for (int i = 0; i < safe.length; i++) if (!Float.isFinite(safe[i])) safe[i] = Float.isNaN(safe[i]) ? 0f : safe[i];
        float[] k = Dequantization.quantize(safe, levels);
        for (int i = 0; i < k.length; i++) k[i] /= (levels - 1);
        return k;
    }

    /** Writes model-space images as a PNG grid (see {@link #display}); 8×8 images are upscaled more than 28×28 ones. */
    public static void writeGrid(Path png, Flow flow, float[] x, int n, int cols, int levels, String title) {
        int[] s = chw(flow);
        int scale = Math.max(2, 96 / Math.max(s[1], s[2]));
        try {
            ImageGrid.write(png, display(x, levels), n, s[0], s[1], s[2], cols, scale, title);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + png + ": " + e.getMessage(), e);
        }
    }

    /** Writes latents: {@code .safetensors} (tensors {@code latent.0 …}, shapes {@code [n, …]}) or {@code .csv} (one row per image, all levels concatenated). */
    public static void writeLatents(Path file, Flow flow, List<float[]> latents, int n) {
        List<int[]> shapes = latentShapes(flow);
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".csv")) {
            int total = 0;
            for (int[] s : shapes) total += numel(s);
            float[] rows = new float[n * total];
            List<String> header = new ArrayList<>();
            for (int k = 0; k < shapes.size(); k++) for (int j = 0; j < numel(shapes.get(k)); j++) header.add("z" + k + "_" + j);
            for (int i = 0; i < n; i++) {
                int off = i * total;
                for (int k = 0; k < shapes.size(); k++) {
                    int e = numel(shapes.get(k));
                    System.arraycopy(latents.get(k), i * e, rows, off, e);
                    off += e;
                }
            }
            CsvWriter.write(file, rows, n, total, header);
        } else if (name.endsWith(".safetensors")) {
            Map<String, HostArray> t = new LinkedHashMap<>();
            for (int k = 0; k < shapes.size(); k++) {
                int[] shape = new int[shapes.get(k).length + 1];
                shape[0] = n;
                System.arraycopy(shapes.get(k), 0, shape, 1, shapes.get(k).length);
                t.put("latent." + k, new HostArray(shape, latents.get(k)));
            }
            SafeTensors.write(file, t, Map.of("format", "fluvia-latents", "levels", Integer.toString(shapes.size())));
        } else throw new DataFormatException(file + ": latents are written as .safetensors or .csv");
    }

    /** Reads latents written by {@link #writeLatents}, checked against the model's latent shapes; returns them with the sample count. */
    public static Latents readLatents(Path file, Flow flow) {
        List<int[]> shapes = latentShapes(flow);
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".csv")) {
            Dataset t = CsvReader.read(file);
            int total = 0;
            for (int[] s : shapes) total += numel(s);
            if (t.dim() != total) throw new ShapeException(file + ": rows have " + t.dim() + " values, the model's latents have " + total);
            List<float[]> out = new ArrayList<>();
            for (int[] s : shapes) out.add(new float[t.n() * numel(s)]);
            for (int i = 0; i < t.n(); i++) {
                int off = i * total;
                for (int k = 0; k < shapes.size(); k++) {
                    int e = numel(shapes.get(k));
                    System.arraycopy(t.data(), off, out.get(k), i * e, e);
                    off += e;
                }
            }
            return new Latents(out, t.n());
        }
        if (!name.endsWith(".safetensors")) throw new DataFormatException(file + ": latents are read from .safetensors or .csv");
        SafeTensors.Contents c = SafeTensors.read(file);
        List<float[]> out = new ArrayList<>();
        int n = -1;
        for (int k = 0; k < shapes.size(); k++) {
            HostArray a = c.tensors().get("latent." + k);
            if (a == null) throw new DataFormatException(file + ": no tensor 'latent." + k + "' (the model has " + shapes.size() + " latent levels)");
            int[] s = a.shape();
            if (s.length != shapes.get(k).length + 1 || !Arrays.equals(Arrays.copyOfRange(s, 1, s.length), shapes.get(k)))
                throw new ShapeException(file + ": tensor 'latent." + k + "' has shape " + Arrays.toString(s) + ", the model expects [n, "
                        + Arrays.toString(shapes.get(k)).replace("[", ""));
            if (n >= 0 && s[0] != n) throw new ShapeException(file + ": latent levels hold different numbers of samples (" + n + " and " + s[0] + ")");
            n = s[0];
            out.add(a.data());
        }
        if (c.tensors().size() != shapes.size())
            throw new DataFormatException(file + ": holds " + c.tensors().size() + " tensors, the model has " + shapes.size() + " latent levels");
        return new Latents(out, n);
    }

    /** Latents of {@code n} samples in {@link #encode} layout. */
    public record Latents(List<float[]> levels, int n) {}
}
