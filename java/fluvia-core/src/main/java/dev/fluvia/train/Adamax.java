package dev.fluvia.train;

import dev.fluvia.backend.Backend;
import dev.fluvia.backend.reduce.StepStatus;
import dev.fluvia.param.Param;
import dev.fluvia.tensor.Tensor;
import java.util.List;
import java.util.Map;

/**
 * Adamax (Kingma &amp; Ba 2015, §7.1), the infinity-norm variant: {@code m = β1·m + (1−β1)·g}, {@code u = max(β2·u, |g|)},
 * {@code p −= lr/(1−β1^t) · m/(u + eps)}. One {@link dev.fluvia.backend.optim.OptimOps#adamaxUpdate} per parameter.
 */
public final class Adamax extends Optimizer {
    /** The optimizer name in configs and optimizer state. */
    public static final String KIND = "adamax";
    private final float beta1, beta2, eps;

    /**
     * An Adamax optimizer; allocates its m and u state (zero) for every parameter.
     *
     * @param be          the backend the parameters live on
     * @param params      the trainable parameters by {@link ParamKeys} key (a fixed one is refused)
     * @param beta1       β1, the first-moment decay, in [0, 1)
     * @param beta2       β2, the second-moment (Adamax: infinity-norm) decay, in [0, 1)
     * @param eps         ε added to the denominator, &gt; 0
     * @throws InvalidConfigException when a hyperparameter is out of range
     * @throws IllegalArgumentException when a parameter is not trainable
     */
    public Adamax(Backend be, Map<String, Param> params, float beta1, float beta2, float eps) {
        super(be, params, List.of("m", "u"));
        checkBetas(beta1, beta2, eps);
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
    }

    @Override public String kind() { return KIND; }

    @Override protected void update(Param p, Tensor[] s, float lr, int t) {
        be.optim().adamaxUpdate(p.value(), p.grad(), s[0], s[1], lr, beta1, beta2, eps, t);
    }

    @Override protected void update(Param p, Tensor[] s, StepStatus st) {
        be.optim().adamaxStep(p.value(), p.grad(), s[0], s[1], st, beta1, beta2, eps);
    }
}
