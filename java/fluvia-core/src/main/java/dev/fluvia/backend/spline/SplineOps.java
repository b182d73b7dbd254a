package dev.fluvia.backend.spline;

import static dev.fluvia.tensor.Shapes.perSample;
import static dev.fluvia.tensor.Shapes.rank;
import static dev.fluvia.tensor.Shapes.require;
import static dev.fluvia.tensor.Shapes.same;
import static dev.fluvia.tensor.Shapes.shape;

import dev.fluvia.tensor.Tensor;

/**
 * The spline family (docs/FLOWS.md "Rational-quadratic spline in Fluvia"): the monotone rational-quadratic spline of Durkan
 * et al. (2019) with identity linear tails outside {@code [−B, B]}, one spline per element of {@code x [N, D]}, with bin
 * search, evaluation and log-det fused in one kernel ({@code kernels/spline.cu}).
 *
 * <p>Parameters: {@code h [N, D·P]}, {@code P = 3K − 1}; element {@code (n, j)}'s unnormalised widths, heights and interior
 * derivatives are {@code h[n, j·P ..]} = {@code [uw_0..uw_{K−1} | uh_0..uh_{K−1} | ud_1..ud_{K−1}]} (the layout of
 * {@code dev.fluvia.transforms.RqSpline} and of the spline layers' conditioner output). The conventions of
 * {@link dev.fluvia.backend.Backend} hold: outputs {@code y, x, gx} overwritten; {@code ld} and the parameter gradient
 * {@code gh} accumulated into. Inputs in the tails (±1e6 included) give the identity and log-det 0; inputs on a knot
 * give the knot's value; no input that is finite gives a NaN. {@code CpuSpline} is the reference (float32 storage, the
 * kernel's arithmetic in Java; the float64 {@code RqSpline} stays the oracle), {@code CudaSpline} the kernels,
 * {@code SplineBench} the validate-and-benchmark entries.
 */
public interface SplineOps {

    /**
     * The spline's configuration: K bins, bound B, minimum bin width / height (as fractions of 2B: {@code K·m < 1}) and
     * minimum interior derivative ({@code [0, 1)}).
     */
    record Spec(int bins, float bound, float minWidth, float minHeight, float minDerivative) {
        /** Parameters per element, {@code 3K − 1}. */
        public int paramsPerDim() { return 3 * bins - 1; }

        /** K bins, bound B, the default minimums 1e-3 (docs/FLOWS.md). */
        public static Spec of(int bins, double bound) { return new Spec(bins, (float) bound, 1e-3f, 1e-3f, 1e-3f); }
    }

    /** y = g(x) element-wise; {@code ld[n] += Σ_j log g'(x[n, j])}. x, y {@code [N, D]} (y may be x), h {@code [N, D·P]}, ld {@code [N]}. */
    void rqSplineForward(Tensor x, Tensor h, Spec spec, Tensor y, Tensor ld);

    /** x = g⁻¹(y) element-wise (the stable root of the bin's quadratic); {@code ld[n] += −Σ_j log g'(x[n, j])}. */
    void rqSplineInverse(Tensor y, Tensor h, Spec spec, Tensor x, Tensor ld);

    /**
     * Backward of the forward direction: given x, h, gy = ∂L/∂y and gLd = ∂L/∂ld {@code [N]}, writes gx = gy·g'(x)
     * (overwritten; gx may be gy) and adds ∂L/∂h into gh {@code [N, D·P]} (tail elements add nothing).
     */
    void rqSplineBackward(Tensor x, Tensor h, Spec spec, Tensor gy, Tensor gLd, Tensor gx, Tensor gh);

    /**
     * The argument checks of the spline ops, one static method per op (named after it), run by every backend before it
     * touches data: each failure is a {@link dev.fluvia.FluviaException.ShapeException} whose message starts with the op name.
     */
    final class Checks {
        private Checks() {}

        private static void spline(String op, String xn, Tensor x, Tensor h, Spec spec, String yn, Tensor y, String ldn, Tensor ld) {
            require(spec != null, op, "spec must not be null", x);
            require(spec.bins() >= 1, op, "bins must be >= 1, got " + spec.bins(), x);
            require(spec.bound() > 0 && Float.isFinite(spec.bound()), op, "bound must be finite and > 0, got " + spec.bound(), x);
            require(spec.minWidth() >= 0 && (double) spec.minWidth() * spec.bins() < 1 && spec.minHeight() >= 0 && (double) spec.minHeight() * spec.bins() < 1,
                    op, "min bin width/height must be >= 0 and < 1/K, got " + spec.minWidth() + ", " + spec.minHeight(), x);
            require(spec.minDerivative() >= 0 && spec.minDerivative() < 1, op, "min derivative must be in [0, 1), got " + spec.minDerivative(), x);
            rank(op, xn, x, 2);
            shape(op, "h", h, x.dim(0), x.dim(1) * spec.paramsPerDim());
            same(op, xn, x, yn, y);
            perSample(op, ldn, ld, x);
        }

        public static void rqSplineForward(Tensor x, Tensor h, Spec spec, Tensor y, Tensor ld) {
            spline("rqSplineForward", "x", x, h, spec, "y", y, "ld", ld);
        }

        public static void rqSplineInverse(Tensor y, Tensor h, Spec spec, Tensor x, Tensor ld) {
            spline("rqSplineInverse", "y", y, h, spec, "x", x, "ld", ld);
        }

        public static void rqSplineBackward(Tensor x, Tensor h, Spec spec, Tensor gy, Tensor gLd, Tensor gx, Tensor gh) {
            spline("rqSplineBackward", "x", x, h, spec, "gx", gx, "gLd", gLd);
            same("rqSplineBackward", "x", x, "gy", gy);
            same("rqSplineBackward", "h", h, "gh", gh);
        }
    }
}
