package dev.fluvia.data.images;

import dev.fluvia.FluviaException.DataFormatException;
import dev.fluvia.FluviaException.ShapeException;
import dev.fluvia.data.Splits;
import java.util.Arrays;

/**
 * An in-memory set of {@code n} images of {@code c} channels, {@code h} rows and {@code w} columns, with quantised
 * pixels: every value in {@code pixels} is one of the integer levels {@code 0 … levels−1}, stored as a float, in NCHW
 * row-major order ({@code pixels[((i·c + ch)·h + y)·w + x]}). {@code levels} is 256 for 8-bit images and 17 for
 * scikit-learn's 8×8 digits (values 0..16). {@link Dequantization} turns batches of levels into continuous data in
 * [0, 1).
 *
 * <p>{@code labels[i]} is the class of image i, or −1 when the data set has no labels. The constructor checks shapes,
 * that every pixel is an integer level in range, and that every label is ≥ −1; the arrays are used as given, not
 * copied — callers must not modify them afterwards.
 *
 * @param name   a label for messages and reports ("fashion-mnist/train", "digits", …)
 * @param n      the number of images (≥ 0)
 * @param c      channels per image (≥ 1)
 * @param h      rows per image (≥ 1)
 * @param w      columns per image (≥ 1)
 * @param levels the number of quantisation levels (≥ 2): pixel values are integers in {@code 0 … levels−1}
 * @param pixels {@code n·c·h·w} levels as floats, NCHW row-major (not copied)
 * @param labels one class per image, or −1 for none (not copied)
 */
public record ImageDataset(String name, int n, int c, int h, int w, int levels, float[] pixels, int[] labels) {

    /**
     * Checks shapes, levels and labels; a null name becomes empty.
     *
     * @param name   a label for messages
     * @param n      the number of images
     * @param c      channels
     * @param h      rows
     * @param w      columns
     * @param levels quantisation levels
     * @param pixels the levels, NCHW
     * @param labels the classes, −1 for none
     * @throws ShapeException when a count is out of range or an array's length does not fit
     * @throws DataFormatException naming the image and value that is not an integer level in range, or a label below −1
     */
    public ImageDataset {
        if (name == null) name = "";
        if (n < 0 || c < 1 || h < 1 || w < 1)
            throw new ShapeException("ImageDataset '" + name + "': need n ≥ 0 and c, h, w ≥ 1, got n=" + n + ", c=" + c + ", h=" + h + ", w=" + w);
        if (levels < 2) throw new ShapeException("ImageDataset '" + name + "': need at least 2 levels, got " + levels);
        if (pixels == null || (long) n * c * h * w != pixels.length)
            throw new ShapeException("ImageDataset '" + name + "': " + (pixels == null ? "null" : pixels.length) + " pixel values do not make "
                    + n + " images of " + c + "×" + h + "×" + w);
        if (labels == null || labels.length != n)
            throw new ShapeException("ImageDataset '" + name + "': " + (labels == null ? "null" : labels.length) + " labels for " + n + " images");
        int dims = c * h * w;
        float top = levels - 1;
        for (int i = 0; i < pixels.length; i++) {
            float v = pixels[i];
            if (!(v >= 0 && v <= top && v == Math.rint(v)))
                throw new DataFormatException("ImageDataset '" + name + "': image " + (i / dims) + ", value " + (i % dims) + " is " + v
                        + ", not an integer level in 0.." + (levels - 1));
        }
        for (int i = 0; i < n; i++)
            if (labels[i] < -1) throw new DataFormatException("ImageDataset '" + name + "': label of image " + i + " is " + labels[i] + " (must be ≥ −1)");
    }

    /** {@return the values per image, {@code c·h·w}} */
    public int dims() { return c * h * w; }

    /** {@return whether any image carries a label (≥ 0)} */
    public boolean hasLabels() {
        for (int l : labels) if (l >= 0) return true;
        return false;
    }

    /**
     * A copy of image {@code i}'s levels, {@code [c, h, w]} row-major.
     *
     * @param i the image, in [0, n)
     * @return its {@link #dims()} levels
     * @throws IndexOutOfBoundsException when {@code i} is out of range
     */
    public float[] image(int i) {
        checkIndex(i);
        return Arrays.copyOfRange(pixels, i * dims(), (i + 1) * dims());
    }

    /**
     * The label of image {@code i} (−1 if none).
     *
     * @param i the image, in [0, n)
     * @return its class, or −1
     * @throws IndexOutOfBoundsException when {@code i} is out of range
     */
    public int label(int i) {
        checkIndex(i);
        return labels[i];
    }

    /**
     * Images {@code rows} scaled for display: level k becomes {@code k / (levels − 1)} in [0, 1], NCHW. Not the training
     * input — that is {@link Dequantization#batch}.
     *
     * @param rows the images, each in [0, n)
     * @return {@code rows.length · dims()} values in [0, 1], NCHW
     */
    public float[] displayValues(int[] rows) {
        int d = dims();
        float[] out = new float[rows.length * d];
        float scale = 1f / (levels - 1);
        for (int k = 0; k < rows.length; k++) {
            checkIndex(rows[k]);
            for (int j = 0; j < d; j++) out[k * d + j] = pixels[rows[k] * d + j] * scale;
        }
        return out;
    }

    /**
     * The indices of the images labelled {@code label}, ascending.
     *
     * @param label the class
     * @return the matching image indices (empty when none)
     */
    public int[] classIndices(int label) {
        int count = 0;
        for (int l : labels) if (l == label) count++;
        int[] out = new int[count];
        for (int i = 0, k = 0; i < n; i++) if (labels[i] == label) out[k++] = i;
        return out;
    }

    /**
     * A new data set holding the given images, in the given order (repeats allowed), with their labels.
     *
     * @param rows the images, each in [0, n)
     * @return the images copied, under the same name
     * @throws IndexOutOfBoundsException when an index is out of range
     */
    public ImageDataset subset(int[] rows) {
        int d = dims();
        float[] px = new float[rows.length * d];
        int[] lb = new int[rows.length];
        for (int k = 0; k < rows.length; k++) {
            int i = rows[k];
            if (i < 0 || i >= n) throw new IndexOutOfBoundsException("ImageDataset '" + name + "': subset row " + i + " of " + n);
            System.arraycopy(pixels, i * d, px, k * d, d);
            lb[k] = labels[i];
        }
        return new ImageDataset(name, rows.length, c, h, w, levels, px, lb);
    }

    /**
     * Images {@code from … from+count−1}.
     *
     * @param from  the first image
     * @param count the number of images
     * @return those images copied, under the same name
     * @throws IndexOutOfBoundsException when the range is not inside [0, n)
     */
    public ImageDataset range(int from, int count) {
        if (from < 0 || count < 0 || from + count > n)
            throw new IndexOutOfBoundsException("ImageDataset '" + name + "': range [" + from + ", " + (from + count) + ") of " + n);
        int[] rows = new int[count];
        for (int k = 0; k < count; k++) rows[k] = from + k;
        return subset(rows);
    }

    /**
     * The same images under another name.
     *
     * @param newName the new label
     * @return a data set sharing this one's arrays
     */
    public ImageDataset withName(String newName) { return new ImageDataset(newName, n, c, h, w, levels, pixels, labels); }

    /**
     * The three parts of a {@link #split}, and the original indices each was taken from.
     *
     * @param train          the training images
     * @param validation     the validation images
     * @param test           the remaining images
     * @param trainRows      the original index of each training image
     * @param validationRows the original index of each validation image
     * @param testRows       the original index of each test image
     */
    public record Split(ImageDataset train, ImageDataset validation, ImageDataset test, int[] trainRows, int[] validationRows, int[] testRows) {}

    /**
     * A deterministic train / validation / test split with the same rule as {@link Splits#split}: the indices are
     * shuffled by {@link Splits#permutation}{@code (n, seed)}; train gets {@code round(n·trainFraction)} images,
     * validation {@code round(n·validationFraction)} (capped at what is left), test the rest. The parts are named
     * {@code name/train}, {@code name/validation}, {@code name/test}.
     *
     * @param trainFraction      the share of images for training, ≥ 0
     * @param validationFraction the share for validation, ≥ 0 (with training: at most 1)
     * @param seed               the shuffle's seed
     * @return the three disjoint parts and their indices
     * @throws IllegalArgumentException when a fraction is negative or they sum to more than 1
     */
    public Split split(double trainFraction, double validationFraction, long seed) {
        if (!(trainFraction >= 0 && validationFraction >= 0 && trainFraction + validationFraction <= 1 + 1e-9))
            throw new IllegalArgumentException("ImageDataset.split: fractions must be ≥ 0 and sum to at most 1, got train=" + trainFraction
                    + ", validation=" + validationFraction);
        int[] perm = Splits.permutation(n, seed);
        int nTrain = (int) Math.min(n, Math.round(n * trainFraction));
        int nVal = (int) Math.min(n - nTrain, Math.round(n * validationFraction));
        int[] tr = Arrays.copyOfRange(perm, 0, nTrain);
        int[] va = Arrays.copyOfRange(perm, nTrain, nTrain + nVal);
        int[] te = Arrays.copyOfRange(perm, nTrain + nVal, n);
        return new Split(subset(tr).withName(name + "/train"), subset(va).withName(name + "/validation"),
                subset(te).withName(name + "/test"), tr, va, te);
    }

    /**
     * {@code k} images drawn without replacement by a seeded shuffle (all of them, shuffled, if {@code k ≥ n}).
     *
     * @param k    the number of images (≥ 0)
     * @param seed the shuffle's seed
     * @return {@code min(k, n)} images, under the same name
     * @throws IllegalArgumentException when {@code k < 0}
     */
    public ImageDataset sample(int k, long seed) {
        if (k < 0) throw new IllegalArgumentException("ImageDataset.sample: k must be ≥ 0, got " + k);
        return subset(Arrays.copyOf(Splits.permutation(n, seed), Math.min(k, n)));
    }

    /**
     * Concatenates data sets of the same image shape and levels, in order.
     *
     * @param name  the result's label
     * @param parts at least one data set
     * @return the images and labels of all parts, in order
     * @throws IllegalArgumentException when there is no part
     * @throws ShapeException when the shapes or levels differ, or the result does not fit one array
     */
    public static ImageDataset concat(String name, ImageDataset... parts) {
        if (parts.length == 0) throw new IllegalArgumentException("ImageDataset.concat: no parts");
        ImageDataset a = parts[0];
        long total = 0;
        for (ImageDataset p : parts) {
            if (p.c != a.c || p.h != a.h || p.w != a.w || p.levels != a.levels)
                throw new ShapeException("ImageDataset.concat: '" + p.name + "' is " + p.c + "×" + p.h + "×" + p.w + " with " + p.levels
                        + " levels, '" + a.name + "' is " + a.c + "×" + a.h + "×" + a.w + " with " + a.levels);
            total += p.n;
        }
        if (total * a.dims() > Integer.MAX_VALUE - 8) throw new ShapeException("ImageDataset.concat: " + total + " images do not fit one array");
        float[] px = new float[(int) total * a.dims()];
        int[] lb = new int[(int) total];
        int at = 0;
        for (ImageDataset p : parts) {
            System.arraycopy(p.pixels, 0, px, at * a.dims(), p.pixels.length);
            System.arraycopy(p.labels, 0, lb, at, p.n);
            at += p.n;
        }
        return new ImageDataset(name, (int) total, a.c, a.h, a.w, a.levels, px, lb);
    }

    private void checkIndex(int i) {
        if (i < 0 || i >= n) throw new IndexOutOfBoundsException("ImageDataset '" + name + "': image " + i + " of " + n);
    }

    @Override public String toString() {
        return "ImageDataset[" + name + ", " + n + "×" + c + "×" + h + "×" + w + ", " + levels + " levels]";
    }
}
