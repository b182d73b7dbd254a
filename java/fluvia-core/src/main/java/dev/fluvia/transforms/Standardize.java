package dev.fluvia.transforms;

import dev.fluvia.param.Stash;
import dev.fluvia.FluviaException.ShapeException;
import dev.fluvia.backend.Backend;
import dev.fluvia.param.Param;
import dev.fluvia.param.ParamSource;
import dev.fluvia.tensor.Tensor;
import java.util.List;

/**
 * Fixed data standardisation as a layer of the model: {@code y = (x − mean) / std}, {@code ld = −Σ_d log std_d},
 * so the log-likelihood of the model is the likelihood of the raw data. {@code mean} and {@code std} are
 * non-trainable parameters (saved with the model). Runs on the actnorm ops with {@code logs = −log std},
 * {@code bias = −mean/std}; those are re-derived (and {@code std} re-validated) from the saved parameters on every call,
 * so loading new statistics by name takes effect immediately.
 */
public final class Standardize implements Transform {
    public static final String KIND = "standardize";

    private final Backend be;
    private final int dim;
    private final Param mean, std;
    private final Tensor logs, bias; // derived working state, not saved

    /**
     * @throws ShapeException     when mean and std do not have the same length ≥ 1
     * @throws InvalidParameterException when a mean is not finite or a std is not finite and &gt; 0
     */
    public Standardize(Backend be, float[] mean, float[] std) {
        this(ParamSource.fresh(be), be, checked(mean, std), mean, std);
    }

    /** Statistics from a stored source (a checkpoint's), over {@code dim} dims. */
    public Standardize(ParamSource src, Backend be, int dim) {
        this(src, be, dim, null, null);
    }

    private static float[] ones(int dim) {
        float[] v = new float[dim];
        java.util.Arrays.fill(v, 1f);
        return v;
    }

    private static int checked(float[] mean, float[] std) {
        if (mean.length != std.length || mean.length == 0)
            throw new ShapeException(KIND + ": mean has " + mean.length + " entries and std " + std.length + "; they must match and be non-empty");
        validate(mean, std);
        return mean.length;
    }

    private Standardize(ParamSource src, Backend be, int dim, float[] mean, float[] std) {
        if (dim < 1) throw new ShapeException(KIND + ": dim must be >= 1, got " + dim);
        this.be = be;
        this.dim = dim;
        // without given statistics (a layer rebuilt from its config alone): the identity, mean 0 and std 1
        this.mean = src.param("mean", false, () -> mean != null ? mean : new float[dim], dim);
        this.std = src.param("std", false, () -> std != null ? std : ones(dim), dim);
        this.logs = be.alloc(dim);
        this.bias = be.alloc(dim);
    }

    private static void validate(float[] mean, float[] std) {
        for (int i = 0; i < std.length; i++) {
            if (!Float.isFinite(mean[i])) throw new InvalidParameterException(KIND + ": mean[" + i + "] is " + mean[i]);
            if (!Float.isFinite(std[i]) || !(std[i] > 0))
                throw new InvalidParameterException(KIND + ": std[" + i + "] is " + std[i] + "; it must be finite and > 0");
        }
    }

    /** Re-derives logs = −log std and bias = −mean/std from the saved statistics. */
    private void derive() {
        float[] m = be.toHost(mean.value()), s = be.toHost(std.value());
        validate(m, s);
        float[] ls = new float[dim], b = new float[dim];
        for (int i = 0; i < dim; i++) {
            ls[i] = (float) -Math.log(s[i]);
            b[i] = (float) (-(double) m[i] / s[i]);
        }
        be.upload(ls, logs);
        be.upload(b, bias);
    }

    @Override public String kind() { return KIND; }
    @Override public int[] eventShape() { return new int[] {dim}; }
    @Override public List<Param> params() { return List.of(mean, std); }

    @Override public Tensor forward(Tensor x, Tensor ld, Stash stash) {
        Events.check(KIND, "forward", x, eventShape());
        derive();
        Tensor y = be.alloc(x.shape());
        be.actnormForward(x, logs, bias, y, ld);
        return y;
    }

    @Override public Tensor inverse(Tensor y, Tensor ld) {
        Events.check(KIND, "inverse", y, eventShape());
        derive();
        Tensor x = be.alloc(y.shape());
        be.actnormInverse(y, logs, bias, x, ld);
        return x;
    }

    @Override public Tensor backward(Tensor x, Tensor gy, Tensor gLd, Stash stash) {
        Events.check(KIND, "backward", x, eventShape());
        derive();
        Tensor gx = be.alloc(x.shape());
        Tensor glogs = be.alloc(dim); // the statistics are fixed: their gradient is computed by the op and dropped
        be.actnormBackward(x, logs, gy, gLd, gx, glogs, null);
        be.release(glogs);
        return gx;
    }

}
