package dev.fluvia.data.images;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fluvia.FluviaException;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class DequantizationTest {

    @Test
    void uniformNoiseStaysInTheLevelsBinWithUniformMoments() {
        int levels = 256, m = 200_000;
        Dequantization dq = new Dequantization(levels, 0, 1);
        for (int k : new int[] {0, 17, 255}) {
            float[] in = new float[m];
            Arrays.fill(in, k);
            float[] x = dq.apply(in);
            double sum = 0, sq = 0;
            for (float v : x) {
                assertTrue(v >= (float) k / levels && v < 1f, "x=" + v + " for k=" + k);
                assertEquals(k, (int) Math.floor(v * (double) levels), "x=" + v + " leaves bin " + k);
                double u = v * (double) levels - k;
                sum += u;
                sq += u * u;
            }
            double mean = sum / m, var = sq / m - mean * mean;
            // u ~ U(0,1): mean 1/2, variance 1/12; 5-sigma bounds for m samples
            assertEquals(0.5, mean, 5 * Math.sqrt(1.0 / 12 / m), "mean of u for k=" + k);
            assertEquals(1.0 / 12, var, 5 * Math.sqrt(1.0 / 180 / m), "variance of u for k=" + k);
        }
    }

    @Test
    void noiseIsFreshPerBatchAndReproduciblePerSeed() {
        float[] in = new float[1000];
        Dequantization a = new Dequantization(17, 0, 5), b = new Dequantization(17, 0, 5);
        float[] a1 = a.apply(in), a2 = a.apply(in);
        assertArrayEquals(a1, b.apply(in));
        assertArrayEquals(a2, b.apply(in));
        assertTrue(!Arrays.equals(a1, a2));
        assertTrue(!Arrays.equals(a1, new Dequantization(17, 0, 6).apply(in)));
    }

    @Test
    void fiveBitReductionIsFloorOfKOver8() {
        Dequantization dq = new Dequantization(256, 5, 3);
        assertEquals(32, dq.levels());
        for (int k = 0; k < 256; k++) assertEquals(k / 8, dq.reduce(k));
        float[] k = {0, 7, 8, 100, 255};
        float[] x = dq.apply(k);
        for (int i = 0; i < k.length; i++) assertEquals((int) k[i] / 8, (int) Math.floor(x[i] * 32.0), "k=" + k[i]);
        assertThrows(FluviaException.class, () -> new Dequantization(17, 3, 0));
        assertThrows(FluviaException.class, () -> new Dequantization(256, 9, 0));
        assertThrows(FluviaException.class, () -> dq.apply(new float[] {0.5f}));
        assertThrows(FluviaException.class, () -> dq.apply(new float[] {256}));
    }

    @Test
    void batchTakesTheRequestedImagesNchw() {
        ImageDataset d = ImageDatasetTest.toy(6, 17);
        Dequantization dq = Dequantization.of(d, 9);
        float[] x = dq.batch(d, new int[] {5, 2});
        assertEquals(2 * 12, x.length);
        for (int j = 0; j < 12; j++) {
            assertEquals(5, (int) Math.floor(x[j] * 17.0));
            assertEquals(2, (int) Math.floor(x[12 + j] * 17.0));
        }
        assertThrows(FluviaException.class, () -> new Dequantization(256, 0, 0).batch(d, new int[] {0}));
        float[] back = Dequantization.quantize(x, 17);
        assertEquals(5f, back[0]);
        assertEquals(2f, back[12]);
        assertArrayEquals(new float[] {0, 16, 16, 0}, Dequantization.quantize(new float[] {-3, 1, Float.POSITIVE_INFINITY, 0}, 17));
    }

    @Test
    void bitsPerDimOfTheUniformDensityIsLog2Levels() {
        for (int levels : new int[] {2, 17, 32, 256})
            for (int dims : new int[] {1, 64, 784, 3072})
                assertEquals(Math.log(levels) / Math.log(2), Dequantization.bitsPerDim(0.0, dims, levels), 1e-12, levels + " levels, " + dims + " dims");
        assertEquals(8.0, Dequantization.bitsPerDim(0, 784, 256), 1e-12);
    }

    /**
     * A density that is constant within each level's bin, {@code p(x) = L·P(k)} for {@code x ∈ [k/L, (k+1)/L)}, is a
     * discrete model P in disguise: its bits/dim must be the code length {@code −log2 P(k)} averaged over dims.
     */
    @Test
    void bitsPerDimOfABinConstantDensityIsTheDiscreteCodeLength() {
        int levels = 17;
        double[] p = new double[levels];
        double z = 0;
        for (int k = 0; k < levels; k++) z += p[k] = 1 + k * k;
        for (int k = 0; k < levels; k++) p[k] /= z;
        int[] image = {0, 3, 16, 16, 9, 1, 5, 12};
        double nll = 0, codeBits = 0;
        for (int k : image) {
            nll -= Math.log(levels * p[k]);
            codeBits -= Math.log(p[k]) / Math.log(2);
        }
        assertEquals(codeBits / image.length, Dequantization.bitsPerDim(nll, image.length, levels), 1e-12);
    }
}
