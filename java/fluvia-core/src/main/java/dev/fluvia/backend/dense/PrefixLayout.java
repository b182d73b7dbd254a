package dev.fluvia.backend.dense;

import java.util.Arrays;
import java.util.List;

/**
 * The prefix-sparse layout of a masked MLP (MADE): its hidden units re-ordered so that every weight row is zero past a
 * prefix of its (re-ordered) inputs, which {@link DenseOps#prefixLinearForward} and {@link DenseOps#prefixLinearBackward} then
 * skip.
 *
 * <p>MADE's hidden unit of degree m sees exactly the units (or inputs) of degree ≤ m of the layer below, and an output of
 * input degree m the hidden units of degree &lt; m. Sorted by degree, each layer's mask is therefore block-lower-triangular:
 * with D = 8 and the cyclic degrees 1…7, 43 % of every hidden × hidden product is structurally zero.
 *
 * <p>The layout is derived from the nonzero pattern alone (masks, or already-masked weights), so it needs no degrees: each
 * hidden unit gets a key — in the first layer the largest {@code inputKey} among the inputs it sees (the count of inputs it
 * sees when {@code inputKey} is null: for MADE, its degree), deeper the largest key among the units it sees (0 when it sees
 * nothing) — and the units of each hidden layer are sorted by key, stably. The inputs and the outputs keep their order.
 * The extents are then exact for the pattern (row o's last nonzero permuted column + 1), so the layout is correct for any
 * pattern; the sort only decides how much it saves. Re-ordering hidden units gives an equivalent network: the outputs
 * are the same up to float32 summation order (each hidden pre-activation sums its terms in the new order).
 */
public final class PrefixLayout {
    private final int[] dims;
    private final int[][] perm, keys, extent;

    private PrefixLayout(int[] dims, int[][] perm, int[][] keys, int[][] extent) {
        this.dims = dims;
        this.perm = perm;
        this.keys = keys;
        this.extent = extent;
    }

    /**
     * @param pattern  per layer, row-major {@code [dims[i+1], dims[i]]}: nonzero where the weight may be nonzero
     * @param dims     layer widths, inputs first
     * @param inputKey per input, or null (see the class comment)
     */
    public static PrefixLayout derive(List<float[]> pattern, int[] dims, int[] inputKey) {
        int layers = dims.length - 1;
        if (pattern.size() != layers) throw new IllegalArgumentException("PrefixLayout: " + pattern.size() + " patterns for " + layers + " layers");
        for (int i = 0; i < layers; i++)
            if (pattern.get(i).length < dims[i + 1] * dims[i])
                throw new IllegalArgumentException("PrefixLayout: pattern " + i + " is shorter than " + dims[i + 1] + "x" + dims[i]);
        int[][] perm = new int[layers - 1][], keys = new int[layers - 1][];
        int[] prevKey = inputKey;
        for (int l = 0; l + 1 < layers; l++) {
            float[] p = pattern.get(l);
            int out = dims[l + 1], in = dims[l];
            int[] key = new int[out];
            for (int o = 0; o < out; o++) {
                int k = 0;
                for (int i = 0; i < in; i++)
                    if (p[o * in + i] != 0f) k = l == 0 && inputKey == null ? k + 1 : Math.max(k, prevKey[i]);
                key[o] = k;
            }
            Integer[] order = new Integer[out];
            for (int o = 0; o < out; o++) order[o] = o;
            int[] kk = key;
            Arrays.sort(order, (a, b) -> Integer.compare(kk[a], kk[b])); // stable
            perm[l] = new int[out];
            keys[l] = new int[out];
            for (int o = 0; o < out; o++) { perm[l][o] = order[o]; keys[l][o] = key[order[o]]; }
            prevKey = key;
        }
        int[][] extent = new int[layers][];
        for (int i = 0; i < layers; i++) {
            int out = dims[i + 1], in = dims[i];
            int[] rows = i + 1 < layers ? perm[i] : null, cols = i > 0 ? perm[i - 1] : null;
            float[] p = pattern.get(i);
            extent[i] = new int[out];
            for (int o = 0; o < out; o++) {
                int ro = rows == null ? o : rows[o], e = 0;
                for (int c = in - 1; c >= 0; c--)
                    if (p[ro * in + (cols == null ? c : cols[c])] != 0f) { e = c + 1; break; }
                extent[i][o] = e;
            }
        }
        return new PrefixLayout(dims.clone(), perm, keys, extent);
    }

    public int layers() { return dims.length - 1; }
    public int[] dims() { return dims.clone(); }

    /** Hidden layer {@code l}'s order: position → original unit. */
    public int[] perm(int l) { return perm[l]; }

    /** Hidden layer {@code l}'s keys in the new order (ascending). */
    public int[] keys(int l) { return keys[l]; }

    /** Layer {@code i}'s extents, per row in the new order (output layer: original order), in new column positions. */
    public int[] extent(int i) { return extent[i]; }

    /** The rows of layer {@code i} in the new order: position → original row. */
    public int rowOf(int i, int o) { return i + 1 < layers() ? perm[i][o] : o; }

    /** The columns of layer {@code i} in the new order: position → original column. */
    public int colOf(int i, int c) { return i > 0 ? perm[i - 1][c] : c; }

    /** {@code out[o', c'] = w[row(o'), col(c')]·mask[…]} (mask may be null): layer i's weight in the new order. */
    public void permuteWeight(int i, java.lang.foreign.MemorySegment w, float[] mask, float[] out) {
        int rows = dims[i + 1], in = dims[i];
        float[] row = new float[in];
        for (int o = 0; o < rows; o++) {
            int ro = rowOf(i, o);
            java.lang.foreign.MemorySegment.copy(w, java.lang.foreign.ValueLayout.JAVA_FLOAT, 4L * ro * in, row, 0, in);
            int base = o * in;
            if (i == 0) {
                if (mask == null) System.arraycopy(row, 0, out, base, in);
                else for (int c = 0; c < in; c++) out[base + c] = row[c] * mask[ro * in + c];
            } else {
                int[] cp = perm[i - 1];
                if (mask == null) for (int c = 0; c < in; c++) out[base + c] = row[cp[c]];
                else for (int c = 0; c < in; c++) out[base + c] = row[cp[c]] * mask[ro * in + cp[c]];
            }
        }
    }

    /** {@code out[o'] = b[row(o')]}: layer i's bias in the new order. */
    public void permuteBias(int i, float[] b, float[] out) {
        for (int o = 0; o < b.length; o++) out[o] = b[rowOf(i, o)];
    }

    /** Fraction of layer i's weight entries past the extents (skipped by {@link DenseOps#prefixLinearForward}). */
    public double skipped(int i) {
        long s = 0;
        for (int e : extent[i]) s += dims[i] - e;
        return (double) s / ((double) dims[i] * dims[i + 1]);
    }
}
