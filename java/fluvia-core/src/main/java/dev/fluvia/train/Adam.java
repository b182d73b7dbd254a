package dev.fluvia.train;

import dev.fluvia.backend.Backend;
import dev.fluvia.backend.reduce.StepStatus;
import dev.fluvia.param.Param;
import dev.fluvia.tensor.Tensor;
import java.util.List;
import java.util.Map;

/**
 * Adam (Kingma &amp; Ba 2015) with bias correction; with {@code weightDecay > 0} the decay is decoupled (AdamW, Loshchilov &amp; Hutter):
 * {@code m = β1·m + (1−β1)·g}, {@code v = β2·v + (1−β2)·g²},
 * {@code p −= lr·( (m/(1−β1^t)) / (√(v/(1−β2^t)) + eps) + weightDecay·p )}. One {@link dev.fluvia.backend.optim.OptimOps#adamUpdate} per parameter.
 */
public final class Adam extends Optimizer {
    /** The optimizer name in configs and optimizer state. */
    public static final String KIND = "adam";
    private final float beta1, beta2, eps, weightDecay;

    /**
     * An Adam (AdamW with {@code weightDecay > 0}) optimizer; allocates its m and v state (zero) for every parameter.
     *
     * @param be          the backend the parameters live on
     * @param params      the trainable parameters by {@link ParamKeys} key (a fixed one is refused)
     * @param beta1       β1, the first-moment decay, in [0, 1)
     * @param beta2       β2, the second-moment (Adamax: infinity-norm) decay, in [0, 1)
     * @param eps         ε added to the denominator, &gt; 0
     * @param weightDecay the decoupled decay per unit of learning rate, ≥ 0 (0: plain Adam)
     * @throws InvalidConfigException when a hyperparameter is out of range
     * @throws IllegalArgumentException when a parameter is not trainable
     */
    public Adam(Backend be, Map<String, Param> params, float beta1, float beta2, float eps, float weightDecay) {
        super(be, params, List.of("m", "v"));
        checkBetas(beta1, beta2, eps);
        if (!(weightDecay >= 0)) throw new InvalidConfigException("weight decay must be >= 0, got " + weightDecay);
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
    }

    @Override public String kind() { return KIND; }

    @Override protected void update(Param p, Tensor[] s, float lr, int t) {
        be.optim().adamUpdate(p.value(), p.grad(), s[0], s[1], lr, beta1, beta2, eps, weightDecay, t);
    }

    @Override protected void update(Param p, Tensor[] s, StepStatus st) {
        be.optim().adamStep(p.value(), p.grad(), s[0], s[1], st, beta1, beta2, eps, weightDecay);
    }
}
