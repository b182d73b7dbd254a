package dev.fluvia.oracle;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.fluvia.backend.Backend;
import dev.fluvia.flow.Flow;
import dev.fluvia.param.Param;

/** Central-difference checks of a flow's parameter gradients against its mean negative log-likelihood. */
public final class FlowGradientCheck {
    private FlowGradientCheck() {}

    /** The mean negative log-likelihood of the {@code n} samples {@code x} under {@code f} (summed in float64). */
    public static double nll(Flow f, float[] x, int n) {
        double s = 0;
        for (float v : f.logProb(x, n)) s -= v;
        return s / n;
    }

    /**
     * Asserts that {@code g}, the gradient of {@link #nll} with respect to {@code p}, matches the central difference
     * (step 1e-2) to {@code 2e-3 + 2e-2·|fd|} at every {@code max(1, len/parts)}-th entry; p's value is restored.
     * @return the number of entries checked
     */
    public static int centralDifferences(Backend be, Flow f, Param p, float[] g, float[] x, int n, int parts) {
        float[] v = be.toHost(p.value());
        int checked = 0;
        for (int i = 0; i < v.length; i += Math.max(1, v.length / parts)) {
            float old = v[i], h = 1e-2f;
            v[i] = old + h; be.upload(v, p.value()); double up = nll(f, x, n);
            v[i] = old - h; be.upload(v, p.value()); double dn = nll(f, x, n);
            v[i] = old; be.upload(v, p.value());
            double fd = (up - dn) / (2 * h);
            assertEquals(fd, g[i], 2e-3 + 2e-2 * Math.abs(fd), p.name() + "[" + i + "]");
            checked++;
        }
        return checked;
    }
}
