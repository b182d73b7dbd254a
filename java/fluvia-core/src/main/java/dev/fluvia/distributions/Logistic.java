package dev.fluvia.distributions;

import dev.fluvia.param.HostMath;
import dev.fluvia.backend.Backend;
import dev.fluvia.param.Param;
import dev.fluvia.tensor.Tensor;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The standard logistic distribution per element (NICE): {@code log p(z) = Σ −(z + 2·softplus(−z))}, its gradient
 * {@code 1 − 2σ(z)}; samples {@code T·log(u/(1−u))} (temperature scales the draw, as for a Gaussian's std).
 */
public final class Logistic implements BaseDistribution {
    public static final String KIND = "logistic";
    private final Backend be;
    private final int[] event;

    public Logistic(Backend be, int... event) { this.be = be; this.event = event.clone(); }

    @Override public String kind() { return KIND; }
    @Override public int[] eventShape() { return event.clone(); }
    @Override public List<Param> params() { return List.of(); }

    @Override public void logProb(Tensor z, Tensor out) {
        int n = z.dim(0), d = HostDists.size(event);
        float[] zh = be.toHost(z), o = be.toHost(out);
        for (int s = 0; s < n; s++) {
            double acc = 0;
            for (int i = 0; i < d; i++) {
                double v = zh[s * d + i];
                acc -= v + 2 * HostMath.softplus(-v);
            }
            o[s] = (float) (o[s] + acc);
        }
        be.upload(o, out);
    }

    @Override public Tensor backward(Tensor z, Tensor gOut) {
        int n = z.dim(0), d = HostDists.size(event);
        float[] zh = be.toHost(z), g = be.toHost(gOut), gz = new float[zh.length];
        for (int s = 0; s < n; s++)
            for (int i = 0; i < d; i++) gz[s * d + i] = (float) (g[s] * (1 - 2 * HostMath.sigmoid(zh[s * d + i])));
        return be.fromHost(gz, z.shape());
    }

    @Override public Tensor sample(int n, float temperature, long seed) {
        int d = HostDists.size(event);
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n * d];
        for (int i = 0; i < x.length; i++) {
            double u = r.nextDouble();
            while (u == 0) u = r.nextDouble();
            x[i] = (float) (temperature * (Math.log(u) - Math.log1p(-u)));
        }
        return be.fromHost(x, Dists.batchShape(n, event));
    }
}
