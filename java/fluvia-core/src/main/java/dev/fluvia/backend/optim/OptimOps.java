package dev.fluvia.backend.optim;

import static dev.fluvia.tensor.Shapes.perSample;
import static dev.fluvia.tensor.Shapes.rank;
import static dev.fluvia.tensor.Shapes.require;
import static dev.fluvia.tensor.Shapes.same;
import static dev.fluvia.tensor.Shapes.shape;

import dev.fluvia.backend.OpChecks;
import dev.fluvia.tensor.Index;
import dev.fluvia.tensor.Tensor;

/**
 * The optim family (docs/FLOWS.md "Training"): fused optimizer updates of one parameter tensor {@code p} from its gradient
 * {@code g} and moment buffers (step counts from 1). Gradient clipping is {@code sumSquares} and {@code scale} of the reduce
 * and element-wise ops, composed by the trainer.
 *
 * <p>The conventions of {@link dev.fluvia.backend.Backend} hold (float32 row-major; outputs {@code y, x, gx, gh}
 * overwritten; {@code ld} and parameter gradients accumulated into). {@link Checks} holds the argument checks every
 * backend runs first; {@code CpuOptim} is the reference, {@code CudaOptim} the kernels of {@code kernels/optim.cu},
 * {@code OptimBench} the validate-and-benchmark entry that the parity test and the kernel benchmark are built from.
 */
public interface OptimOps {

    /** Adam with bias correction and decoupled weight decay (AdamW when weightDecay > 0). */
    void adamUpdate(Tensor p, Tensor g, Tensor m, Tensor v, float lr, float beta1, float beta2, float eps, float weightDecay, int step);

    /** Adamax (Kingma &amp; Ba §7.1): u = max(β2·u, |g|), p −= lr/(1−β1^t)·m/(u + eps). */
    void adamaxUpdate(Tensor p, Tensor g, Tensor m, Tensor u, float lr, float beta1, float beta2, float eps, int step);

    /**
     * {@link #adamUpdate} driven by a training step's {@link dev.fluvia.backend.reduce.StepStatus} on the device: nothing
     * when {@code st[SKIP] ≠ 0} (p, m, v unchanged), else the update with {@code g·st[SCALE]} (float32 product), learning
     * rate {@code (float) st[LR]} and step {@code st[T]} — no host read, so a step can be captured once and replayed.
     */
    void adamStep(Tensor p, Tensor g, Tensor m, Tensor v, dev.fluvia.backend.reduce.StepStatus st, float beta1, float beta2, float eps, float weightDecay);

    /** {@link #adamaxUpdate} driven by a step status, as {@link #adamStep}. */
    void adamaxStep(Tensor p, Tensor g, Tensor m, Tensor u, dev.fluvia.backend.reduce.StepStatus st, float beta1, float beta2, float eps);

    /**
     * The argument checks of the optim ops, one static method per op (named after it), run by every backend before it touches
     * data: each failure is a {@link dev.fluvia.FluviaException.ShapeException} whose message starts with the op name.
     */
    final class Checks {
        private Checks() {}

        public static void adamUpdate(Tensor p, Tensor g, Tensor m, Tensor v) {
            same("adamUpdate", "p", p, "g", g); same("adamUpdate", "p", p, "m", m); same("adamUpdate", "p", p, "v", v);
        }

        public static void adamaxUpdate(Tensor p, Tensor g, Tensor m, Tensor u) {
            same("adamaxUpdate", "p", p, "g", g); same("adamaxUpdate", "p", p, "m", m); same("adamaxUpdate", "p", p, "u", u);
        }

        public static void adamStep(Tensor p, Tensor g, Tensor m, Tensor v) {
            same("adamStep", "p", p, "g", g); same("adamStep", "p", p, "m", m); same("adamStep", "p", p, "v", v);
        }

        public static void adamaxStep(Tensor p, Tensor g, Tensor m, Tensor u) {
            same("adamaxStep", "p", p, "g", g); same("adamaxStep", "p", p, "m", m); same("adamaxStep", "p", p, "u", u);
        }
    }
}
