package dev.fluvia.transforms.image;

import dev.fluvia.backend.Backend;
import dev.fluvia.param.Param;
import dev.fluvia.tensor.Tensor;
import dev.fluvia.param.Stash;
import dev.fluvia.transforms.Transform;
import java.util.List;

/**
 * Logit pre-processing of dequantised images (FLOWS.md): {@code y = logit(λ + (1−2λ)·x)} for x ∈ [0, 1], its log-det
 * {@code Σ log(1−2λ) − log p − log(1−p)} counted in the likelihood (so bits/dim refer to x). λ defaults to 1e-6
 * (just keeps the logit finite at 0 and 1); RealNVP used λ = 0.05 on CIFAR-10. Inputs outside
 * {@code (−λ/(1−2λ), 1 + λ/(1−2λ))} give NaN, which the training loop's non-finite guard reports.
 */
public final class LogitPreprocess implements Transform {
    public static final String KIND = "logit";
    public static final float DEFAULT_LAMBDA = 1e-6f;

    private final Backend be;
    private final int[] shape;
    private final float lambda;

    public LogitPreprocess(Backend be, int[] shape, float lambda) {
        if (!(lambda >= 0 && lambda < 0.5f)) throw new IllegalArgumentException(KIND + ": lambda must be in [0, 0.5), got " + lambda);
        if (shape.length < 1) throw new IllegalArgumentException(KIND + ": empty event shape");
        this.be = be;
        this.shape = shape.clone();
        this.lambda = lambda;
    }

    /** λ of the logit pre-processing. */
    public float lambda() { return lambda; }

    @Override public String kind() { return KIND; }
    @Override public int[] eventShape() { return shape.clone(); }
    @Override public List<Param> params() { return List.of(); }

    @Override public Tensor forward(Tensor x, Tensor ld, Stash stash) {
        ImageEvents.check(KIND, "forward", x, shape);
        Tensor y = be.alloc(x.shape());
        be.logitForward(x, lambda, y, ld);
        return y;
    }

    @Override public Tensor inverse(Tensor y, Tensor ld) {
        ImageEvents.check(KIND, "inverse", y, shape);
        Tensor x = be.alloc(y.shape());
        be.logitInverse(y, lambda, x, ld);
        return x;
    }

    @Override public Tensor backward(Tensor x, Tensor gy, Tensor gLd, Stash stash) {
        ImageEvents.check(KIND, "backward", x, shape);
        Tensor gx = be.alloc(x.shape());
        be.logitBackward(x, lambda, gy, gLd, gx);
        return gx;
    }

}
