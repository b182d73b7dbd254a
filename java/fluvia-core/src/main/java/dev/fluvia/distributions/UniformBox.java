package dev.fluvia.distributions;

import dev.fluvia.backend.Backend;
import dev.fluvia.param.Param;
import dev.fluvia.tensor.Tensor;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Uniform on the box Π_i [low_i, high_i] (fixed, stored in the config): {@code log p = −Σ log(high_i − low_i)} inside,
 * −∞ outside; its gradient in z is 0. Sampling at T = 1 only (a bounded base has no temperature).
 */
public final class UniformBox implements BaseDistribution {
    public static final String KIND = "uniform";
    private final Backend be;
    private final int[] event;
    private final double[] low, high;
    private final double logVolume;

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
    }

    /** The unit cube [0, 1]^D. */
    public static UniformBox unit(Backend be, int... event) {
        int d = HostDists.size(event);
        double[] hi = new double[d];
        java.util.Arrays.fill(hi, 1);
        return new UniformBox(be, event, new double[d], hi);
    }

    @Override public String kind() { return KIND; }
    /** The box's lower corner. */
    public double[] low() { return low.clone(); }
    /** The box's upper corner. */
    public double[] high() { return high.clone(); }
    @Override public int[] eventShape() { return event.clone(); }
    @Override public List<Param> params() { return List.of(); }

    @Override public void logProb(Tensor z, Tensor out) {
        int n = z.dim(0), d = low.length;
        float[] zh = be.toHost(z), o = be.toHost(out);
        for (int s = 0; s < n; s++) {
            boolean in = true;
            for (int i = 0; i < d; i++) {
                float v = zh[s * d + i];
                if (!(v >= low[i] && v <= high[i])) { in = false; break; }
            }
            o[s] = in ? (float) (o[s] - logVolume) : Float.NEGATIVE_INFINITY;
        }
        be.upload(o, out);
    }

    @Override public Tensor backward(Tensor z, Tensor gOut) { return be.fromHost(new float[(int) z.numel()], z.shape()); }

    @Override public Tensor sample(int n, float temperature, long seed) {
        HostDists.requireUnitTemperature(KIND, temperature);
        int d = low.length;
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n * d];
        for (int s = 0; s < n; s++)
            for (int i = 0; i < d; i++) {
                float v = (float) (low[i] + (high[i] - low[i]) * r.nextDouble());
                x[s * d + i] = Math.min(v, Math.nextDown((float) high[i]));
            }
        return be.fromHost(x, Dists.batchShape(n, event));
    }
}
