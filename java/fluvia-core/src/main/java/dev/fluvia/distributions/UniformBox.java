package dev.fluvia.distributions;

import dev.fluvia.backend.Backend;
import dev.fluvia.param.Param;
import dev.fluvia.tensor.Tensor;
import java.util.List;

/**
 * Uniform on the box Π_i [low_i, high_i] (fixed, stored in the config): {@code log p = −Σ log(high_i − low_i)} inside,
 * −∞ outside; its gradient in z is 0. Sampling at T = 1 only (a bounded base has no temperature). Runs on the backend's
 * dist ops ({@code uniformBoxLogProb}, {@code uniformBoxLogProbBackward}, {@code uniformBoxSample}) with the float32 bounds
 * that compare with a float32 z exactly as the float64 box does (smallest float ≥ low, largest float ≤ high).
 */
public final class UniformBox implements BaseDistribution {
    /** The kind written in checkpoints. */
    public static final String KIND = "uniform";
    private final Backend be;
    private final int[] event;
    private final double[] low, high;
    private final double logVolume;
    private final Tensor lowF, highF;

    /**
     * The uniform distribution on a box.
     *
     * @param be    the backend
     * @param event the shape of one sample (flattened to D)
     * @param low   the lower corner, D values
     * @param high  the upper corner, D values, each greater than its {@code low}
     * @throws IllegalArgumentException when a corner does not have D values, or a side is empty or not finite
     */
    public UniformBox(Backend be, int[] event, double[] low, double[] high) {
        int d = HostDists.size(event);
        if (low.length != d || high.length != d)
            throw new IllegalArgumentException(KIND + ": box bounds need " + d + " values each, got " + low.length + " and " + high.length);
        double v = 0;
        for (int i = 0; i < d; i++) {
            if (!(high[i] > low[i]) || !Double.isFinite(high[i] - low[i]))
                throw new IllegalArgumentException(KIND + ": need finite low < high in every dimension, got [" + low[i] + ", " + high[i] + "] at " + i);
            v += Math.log(high[i] - low[i]);
        }
        this.be = be;
        this.event = event.clone();
        this.low = low.clone();
        this.high = high.clone();
        this.logVolume = v;
        float[] lf = new float[d], hf = new float[d];
        for (int i = 0; i < d; i++) {
            float l = (float) low[i], h = (float) high[i];
            lf[i] = l < low[i] ? Math.nextUp(l) : l;      // smallest float >= low
            hf[i] = h > high[i] ? Math.nextDown(h) : h;   // largest float <= high
        }
        this.lowF = be.fromHost(lf, d);
        this.highF = be.fromHost(hf, d);
    }

    /**
     * The unit cube [0, 1]^D (log p = 0 inside).
     *
     * @param be    the backend
     * @param event the shape of one sample
     * @return the box with {@code low = 0}, {@code high = 1} in every dimension
     */
    public static UniformBox unit(Backend be, int... event) {
        int d = HostDists.size(event);
        double[] hi = new double[d];
        java.util.Arrays.fill(hi, 1);
        return new UniformBox(be, event, new double[d], hi);
    }

    @Override public String kind() { return KIND; }
    /** {@return the box's lower corner (a copy)} */
    public double[] low() { return low.clone(); }
    /** {@return the box's upper corner (a copy)} */
    public double[] high() { return high.clone(); }
    @Override public int[] eventShape() { return event.clone(); }
    @Override public List<Param> params() { return List.of(); }

    @Override public void logProb(Tensor z, Tensor out) { be.dist().uniformBoxLogProb(z, lowF, highF, logVolume, out); }

    @Override public Tensor backward(Tensor z, Tensor gOut) {
        Tensor gz = be.alloc(z.shape());
        be.dist().uniformBoxLogProbBackward(z, gOut, gz);
        return gz;
    }

    /** Uniform draws u ∈ (0, 1] of the backend ({@code randomUniform}) placed in the box: low + (high − low)·u, kept below high. */
    @Override public Tensor sample(int n, float temperature, long seed) {
        HostDists.requireUnitTemperature(KIND, temperature);
        int[] shape = Dists.batchShape(n, event);
        Tensor u = be.alloc(shape), z = be.alloc(shape);
        be.randomUniform(u, seed);
        be.dist().uniformBoxSample(u, lowF, highF, z);
        be.release(u);
        return z;
    }
}
