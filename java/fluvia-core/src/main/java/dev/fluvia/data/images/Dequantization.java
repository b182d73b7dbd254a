package dev.fluvia.data.images;

import dev.fluvia.FluviaException;
import dev.fluvia.FluviaException.NonFiniteException;
import dev.fluvia.FluviaException.ShapeException;
import java.util.SplittableRandom;

/**
 * Uniform dequantisation of quantised images, on the host, one batch at a time (FLOWS.md "Dequantisation").
 *
 * <p>An image whose pixels are integer levels {@code k ∈ {0 … L−1}} becomes continuous data
 * {@code x = (k + u) / L} with fresh {@code u ~ U(0, 1)} per pixel and per batch, so {@code x ∈ [0, 1)}. For 8-bit data
 * {@code L = 256}: {@code x = (k + u)/256}, FLOWS.md's formula. Maximising the likelihood of {@code x} under a continuous
 * density maximises a lower bound on the discrete model's log-likelihood of {@code k}, which is why
 * {@link #bitsPerDim} adds {@code D·ln L} (the log-Jacobian of the scaling by {@code 1/L}).
 *
 * <p>Optional bit-depth reduction (Glow's 5-bit CelebA-HQ setting): for data with {@code L = 2^B} levels and
 * {@code b ≤ B} bits, {@code k ← floor(k / 2^(B−b))} and the output has {@code 2^b} levels; for 8-bit data with
 * {@code b = 5}, {@code k ← floor(k/8)}, 32 levels. Reduction needs a power-of-two level count (so not the 17-level
 * digits).
 *
 * <p>Noise comes from one {@link SplittableRandom}{@code (seed)} owned by the instance: the sequence of batches is
 * reproducible for a seed, and every call draws new noise. Not thread-safe. Values are computed in double and rounded to
 * float; a rounding that reaches 1.0f is clamped to the largest float below 1, so every output is in [0, 1).
 */
public final class Dequantization {
    private final int sourceLevels;
    private final int bits;
    private final int levels;
    private final int shift;
    private final SplittableRandom random;

    /**
     * A dequantiser with its own noise stream.
     *
     * @param sourceLevels the number of levels {@code L} in the input (256 for 8-bit)
     * @param bits target bit depth {@code b}, or 0 to keep all {@code sourceLevels} levels
     * @param seed seed of the noise stream
     * @throws FluviaException when {@code sourceLevels < 2}, or a reduction is asked of a level count that is not a power
     *                         of two or to a bit depth outside {@code 1..log2 L}
     */
    public Dequantization(int sourceLevels, int bits, long seed) {
        if (sourceLevels < 2) throw new FluviaException("Dequantization: need at least 2 levels, got " + sourceLevels);
        this.sourceLevels = sourceLevels;
        this.bits = bits;
        if (bits == 0) {
            levels = sourceLevels;
            shift = 0;
        } else {
            int sourceBits = Integer.numberOfTrailingZeros(sourceLevels);
            if (Integer.bitCount(sourceLevels) != 1)
                throw new FluviaException("Dequantization: bit-depth reduction needs a power-of-two level count, the data has " + sourceLevels + " levels");
            if (bits < 1 || bits > sourceBits)
                throw new FluviaException("Dequantization: bits must be in 1.." + sourceBits + " for " + sourceLevels + "-level data (0 = keep), got " + bits);
            levels = 1 << bits;
            shift = sourceBits - bits;
        }
        this.random = new SplittableRandom(seed);
    }

    /**
     * Dequantisation of {@code d}'s levels, no bit reduction.
     *
     * @param d    the data set whose level count is used
     * @param seed seed of the noise stream
     * @return the dequantiser
     */
    public static Dequantization of(ImageDataset d, long seed) { return new Dequantization(d.levels(), 0, seed); }

    /**
     * Dequantisation of {@code d}'s levels reduced to {@code bits} bits (0 = keep).
     *
     * @param d    the data set whose level count is used
     * @param bits the target bit depth, or 0
     * @param seed seed of the noise stream
     * @return the dequantiser
     * @throws FluviaException when the reduction is not possible for {@code d}'s levels
     */
    public static Dequantization of(ImageDataset d, int bits, long seed) { return new Dequantization(d.levels(), bits, seed); }

    /** {@return the levels of the input data} */
    public int sourceLevels() { return sourceLevels; }

    /** {@return the levels of the output: {@code 2^bits} with reduction, else {@link #sourceLevels()}} It is the {@code L} of bits/dim. */
    public int levels() { return levels; }

    /** {@return the target bit depth, 0 when there is no reduction} */
    public int bits() { return bits; }

    /**
     * The output level of input level {@code k}: {@code floor(k / 2^(B−b))}, or {@code k} without reduction.
     *
     * @param k an input level in {@code 0 … sourceLevels−1}
     * @return the output level
     */
    public int reduce(int k) {
        if (k < 0 || k >= sourceLevels) throw new FluviaException("Dequantization: level " + k + " outside 0.." + (sourceLevels - 1));
        return k >> shift;
    }

    /**
     * Dequantises a batch of levels (any layout): a new array of {@code (reduce(k) + u) / levels()}.
     *
     * @param k input levels (integers stored as floats)
     * @return values in [0, 1), fresh noise per element
     * @throws NonFiniteException when a value is not finite
     * @throws FluviaException when a value is not an integer
     */
    public float[] apply(float[] k) {
        float[] out = new float[k.length];
        for (int i = 0; i < k.length; i++) {
            float v = k[i];
            if (!Float.isFinite(v)) throw new NonFiniteException("Dequantization: value " + i + " is " + v);
            if (v != Math.rint(v)) throw new FluviaException("Dequantization: value " + i + " is " + v + ", not an integer level");
            out[i] = toUnit(reduce((int) v) + random.nextDouble(), levels);
        }
        return out;
    }

    /**
     * The dequantised images {@code rows} of {@code d}, NCHW, ready for a flow: {@code [rows.length, c, h, w]}.
     *
     * @param d    the data set, with {@link #sourceLevels()} levels
     * @param rows the images, each in [0, n)
     * @return {@code rows.length · c·h·w} values in [0, 1)
     * @throws ShapeException when {@code d} has another level count
     */
    public float[] batch(ImageDataset d, int[] rows) {
        if (d.levels() != sourceLevels)
            throw new ShapeException("Dequantization: built for " + sourceLevels + " levels, data set '" + d.name() + "' has " + d.levels());
        int dims = d.dims();
        float[] out = new float[rows.length * dims];
        float[] px = d.pixels();
        for (int r = 0; r < rows.length; r++) {
            int i = rows[r];
            if (i < 0 || i >= d.n()) throw new IndexOutOfBoundsException("Dequantization: image " + i + " of " + d.n() + " in '" + d.name() + "'");
            for (int j = 0; j < dims; j++)
                out[r * dims + j] = toUnit(((int) px[i * dims + j] >> shift) + random.nextDouble(), levels);
        }
        return out;
    }

    /**
     * The levels of continuous data {@code x ∈ [0, 1]} (e.g. model samples): {@code clamp(floor(x·L), 0, L−1)}, the
     * inverse of {@code (k + u)/L} for any {@code u ∈ [0, 1)}. NaN is an error.
     *
     * @param x      continuous values (±∞ clamp to the end levels)
     * @param levels L, the number of levels
     * @return the levels as floats, same length
     * @throws NonFiniteException when a value is NaN
     */
    public static float[] quantize(float[] x, int levels) {
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            if (Float.isNaN(x[i])) throw new NonFiniteException("Dequantization.quantize: value " + i + " is NaN");
            out[i] = (float) Math.max(0, Math.min(levels - 1, Math.floor((double) x[i] * levels)));
        }
        return out;
    }

    /**
     * Bits per dimension of a per-sample negative log-likelihood {@code nllNats} (natural log) of data that was scaled to
     * [0, 1) by {@code 1/levels}, {@code dims = D} values per sample:
     * <pre>   bits/dim = (nll + D·ln L) / (D·ln 2)</pre>
     * FLOWS.md's formula with 256 generalised to {@code L} levels. {@code D·ln L} undoes the scaling's log-Jacobian
     * ({@code −D·ln L}), giving the NLL in units of the integer levels, a bound on the discrete code length; dividing
     * by {@code D·ln 2} turns nats into bits per value. {@code nllNats} must include every pre-processing log-det
     * (e.g. the logit transform's). A uniform density on {@code [0,1]^D} has NLL 0, hence {@code log2 L} bits/dim —
     * 8 for 8-bit data, {@code log2 17 ≈ 4.09} for the digits, 5 after 5-bit reduction.
     *
     * @param nllNats the per-sample negative log-likelihood in nats of the [0, 1) data
     * @param dims    D, values per sample (≥ 1)
     * @param levels  L, the number of levels (≥ 2)
     * @return bits per dimension
     * @throws FluviaException when {@code dims < 1} or {@code levels < 2}
     */
    public static double bitsPerDim(double nllNats, int dims, int levels) {
        if (dims < 1) throw new FluviaException("bitsPerDim: dims must be ≥ 1, got " + dims);
        if (levels < 2) throw new FluviaException("bitsPerDim: levels must be ≥ 2, got " + levels);
        return (nllNats + dims * Math.log(levels)) / (dims * Math.log(2));
    }

    private static float toUnit(double kPlusU, int levels) {
        float x = (float) (kPlusU / levels);
        return x < 1f ? x : Math.nextDown(1f);
    }
}
