package dev.fluvia.distributions;

import dev.fluvia.backend.Backend;
import dev.fluvia.param.Param;
import dev.fluvia.param.ParamSource;
import dev.fluvia.tensor.Tensor;
import java.util.List;

/** Learnable diagonal Gaussian: per element μ and log σ (initialised to 0 and 0, i.e. N(0, I)). */
public final class DiagonalGaussian implements BaseDistribution {
    /** The kind written in checkpoints. */
    public static final String KIND = "diag_normal";
    private final Backend be;
    private final int[] event;
    private final Param mu, logSigma;

    /**
     * A learnable diagonal Gaussian starting at N(0, I).
     *
     * @param be         the backend
     * @param eventShape the shape of one sample
     */
    public DiagonalGaussian(Backend be, int... eventShape) { this(ParamSource.fresh(be), be, eventShape); }

    /**
     * A diagonal Gaussian whose parameters come from {@code src}.
     *
     * @param src        where μ and log σ come from (fresh: 0 and 0; stored: a checkpoint's tensors)
     * @param be         the backend
     * @param eventShape the shape of one sample
     */
    public DiagonalGaussian(ParamSource src, Backend be, int... eventShape) {
        this.be = be;
        this.event = eventShape.clone();
        int d = 1;
        for (int s : event) d *= s;
        int n = d;
        mu = src.param("mu", true, () -> new float[n], d);
        logSigma = src.param("log_sigma", true, () -> new float[n], d);
    }

    @Override public String kind() { return KIND; }
    @Override public int[] eventShape() { return event.clone(); }
    @Override public List<Param> params() { return List.of(mu, logSigma); }
    @Override public void logProb(Tensor z, Tensor out) { be.dist().diagNormalLogProb(z, mu.value(), logSigma.value(), out); }

    @Override public Tensor backward(Tensor z, Tensor gOut) {
        Tensor gz = be.alloc(z.shape());
        be.dist().diagNormalLogProbBackward(z, mu.value(), logSigma.value(), gOut, gz, mu.grad(), logSigma.grad());
        return gz;
    }

    @Override public Tensor sample(int n, float temperature, long seed) {
        Tensor e = be.alloc(Dists.batchShape(n, event));
        be.randomNormal(e, seed, temperature);
        // x = μ + σ·e = actnorm with logs = log σ and bias = μ, on the flattened event
        int d = mu.value().dim(0);
        Tensor flat = be.alloc(n, d), out = be.alloc(n, d);
        be.copy(e, flat);
        be.actnorm().actnormForward(flat, logSigma.value(), mu.value(), out, null);
        be.copy(out, e);
        return e;
    }

}
