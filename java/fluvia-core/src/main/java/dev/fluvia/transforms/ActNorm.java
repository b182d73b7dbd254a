package dev.fluvia.transforms;

import dev.fluvia.param.Stash;
import dev.fluvia.backend.Backend;
import dev.fluvia.backend.Scope;
import dev.fluvia.param.Param;
import dev.fluvia.param.ParamSource;
import dev.fluvia.tensor.Tensor;
import java.util.List;

/**
 * ActNorm (Glow), FLOWS.md: per feature (vectors {@code [D]}) or per channel (images {@code [C, H, W]})
 * {@code y = x ⊙ exp(logs) + bias}, {@code ld = H·W·Σ_c logs_c}.
 *
 * <p>Data-dependent initialisation ({@link #initialize}, driven by {@code Flow.initialize} on the first training batch):
 * {@code logs = −log(std + 1e-6)}, {@code bias = −mean·exp(logs)}, so that batch leaves with per-channel mean 0 and std 1.
 * The flag is the non-trainable parameter {@code "initialized"} ({@code [1]}, 0 or 1), saved with the model, so a loaded
 * model is never re-initialised. Before initialisation the layer is the identity (logs = 0, bias = 0).
 */
public final class ActNorm implements Transform {
    public static final String KIND = "actnorm";
    /** ε added to the standard deviation in the initialisation. */
    public static final double EPS = 1e-6;

    private final Backend be;
    private final int[] event;
    private final int channels;
    private final Param logs, bias, initialized;

    /** @param eventShape {@code [D]} or {@code [C, H, W]} */
    public ActNorm(Backend be, int... eventShape) { this(ParamSource.fresh(be), be, eventShape); }

    /** @param src where the parameters (the initialised flag included) come from */
    public ActNorm(ParamSource src, Backend be, int... eventShape) {
        this.be = be;
        this.event = Events.eventShape(KIND, eventShape);
        this.channels = event[0];
        this.logs = src.param("logs", true, () -> new float[channels], channels);
        this.bias = src.param("bias", true, () -> new float[channels], channels);
        this.initialized = src.param("initialized", false, () -> new float[1], 1);
    }

    @Override public String kind() { return KIND; }
    @Override public int[] eventShape() { return event.clone(); }
    @Override public List<Param> params() { return List.of(logs, bias, initialized); }

    /** True once the data-dependent initialisation has run (or a checkpoint with the flag set was loaded). */
    public boolean isInitialized() { return be.toHost(initialized.value())[0] != 0f; }

    /** Sets logs and bias from the per-channel statistics of x, unless the layer is already initialised (then a no-op). */
    @Override public void initialize(Tensor x) {
        Events.check(KIND, "initialize", x, event);
        if (isInitialized()) return;
        float[] mean, std;
        try (Scope s = be.scope()) {
            Tensor m = be.alloc(channels), sd = be.alloc(channels);
            be.actnormInitStats(x, m, sd);
            mean = be.toHost(m);
            std = be.toHost(sd);
        }
        float[] ls = new float[channels], b = new float[channels];
        for (int c = 0; c < channels; c++) {
            double l = -Math.log(std[c] + EPS);
            ls[c] = (float) l;
            b[c] = (float) (-mean[c] * Math.exp(l));
        }
        be.upload(ls, logs.value());
        be.upload(b, bias.value());
        be.upload(new float[] {1f}, initialized.value());
    }

    @Override public Tensor forward(Tensor x, Tensor ld, Stash stash) {
        Events.check(KIND, "forward", x, event);
        Tensor y = be.alloc(x.shape());
        be.actnormForward(x, logs.value(), bias.value(), y, ld);
        return y;
    }

    @Override public Tensor inverse(Tensor y, Tensor ld) {
        Events.check(KIND, "inverse", y, event);
        Tensor x = be.alloc(y.shape());
        be.actnormInverse(y, logs.value(), bias.value(), x, ld);
        return x;
    }

    @Override public Tensor backward(Tensor x, Tensor gy, Tensor gLd, Stash stash) {
        Events.check(KIND, "backward", x, event);
        Tensor gx = be.alloc(x.shape());
        be.actnormBackward(x, logs.value(), gy, gLd, gx, logs.grad(), bias.grad());
        return gx;
    }

}
