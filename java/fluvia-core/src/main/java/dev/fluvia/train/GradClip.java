package dev.fluvia.train;

import dev.fluvia.backend.Backend;
import dev.fluvia.param.Param;
import java.util.Collection;

/** Global-norm gradient clipping over all trainable parameters. */
public final class GradClip {
    private GradClip() {}

    /**
     * {@code √(Σ_params Σ g²)}, accumulated in float64 (NaN or ∞ when a gradient is not finite).
     *
     * @param be     the backend the gradients live on
     * @param params the parameters (those without a gradient buffer are skipped)
     * @return the global gradient norm
     */
    public static double globalNorm(Backend be, Collection<Param> params) {
        double s = 0;
        for (Param p : params) if (p.grad() != null) s += be.reduce().sumSquares(p.grad());
        return Math.sqrt(s);
    }

    /**
     * Scales every gradient by {@code maxNorm/‖g‖} when the global norm exceeds {@code maxNorm} (> 0; 0 or less disables
     * clipping), so the clipped global norm equals {@code maxNorm}. Returns the norm before clipping.
     *
     * @param be     the backend the gradients live on
     * @param params the parameters (those without a gradient buffer are skipped)
     * @param maxNorm the largest global norm kept; ≤ 0 disables clipping
     * @return the global norm before clipping
     */
    public static double clip(Backend be, Collection<Param> params, double maxNorm) {
        double norm = globalNorm(be, params);
        scaleTo(be, params, maxNorm, norm);
        return norm;
    }

    /**
     * Clipping with a global norm already known (e.g. from {@code be.reduce().gradStatus}): no further device reads. The
     * trainer makes the same decision on the device ({@code be.reduce().clipScale}, applied by the optimizer's
     * {@code adamStep}/{@code adamaxStep}); DeviceStepTest holds the two equal bit for bit on the CPU.
     *
     * @param be     the backend the gradients live on
     * @param params the parameters (those without a gradient buffer are skipped)
     * @param maxNorm the largest global norm kept; ≤ 0 disables clipping
     * @param norm    the global norm already measured; a non-finite norm clips nothing
     */
    public static void scaleTo(Backend be, Collection<Param> params, double maxNorm, double norm) {
        if (maxNorm > 0 && norm > maxNorm && Double.isFinite(norm)) {
            float s = (float) (maxNorm / norm);
            for (Param p : params) if (p.grad() != null) be.elementwise().scale(p.grad(), s);
        }
    }
}
