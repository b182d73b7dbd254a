package dev.fluvia.backend.pointwise;

import static dev.fluvia.tensor.Shapes.perSample;
import static dev.fluvia.tensor.Shapes.rank;
import static dev.fluvia.tensor.Shapes.require;
import static dev.fluvia.tensor.Shapes.same;
import static dev.fluvia.tensor.Shapes.shape;

import dev.fluvia.tensor.Tensor;

/**
 * The pointwise family (docs/FLOWS.md "Element-wise" and "1-D mixture-of-Gaussians CDF flow"): the element-wise
 * bijections {@code y_i = f(x_i)} of the layers {@code sigmoid}, {@code logit_map}, {@code tanh}, {@code leaky_relu} (learned
 * log-slope) and {@code scalar_affine} (learned log-scale and shift), and the mixture-of-Gaussians CDF flow {@code mixcdf},
 * each with its log-det, inverse, backward and (element-wise layers) the backward of the generative direction
 * ({@code kernels/pointwise.cu}).
 *
 * <p>Vectors {@code x, y [N, D]}, {@code ld, gLd [N]}; the scalar parameters are tensors {@code [1]}, the mixture's
 * {@code logits, means, logScales [D, K]}. The conventions of {@link dev.fluvia.backend.Backend} hold: outputs
 * {@code y, x, gx, gy} overwritten (they may alias the input of the same shape); {@code ld} and the parameter gradients
 * ({@code gLogSlope, gLogScale, gShift, gLogits, gMeans, gLogScales}) accumulated into, in a fixed order (per-block
 * partials and a reduction in block order on CUDA).
 *
 * <p><b>Domains.</b> The ops whose input can lie outside the map's domain ({@code sigmoidInverse}, {@code tanhInverse},
 * {@code logitMapForward}, {@code mixCdfInverse} without logit) return the flat index of the first element outside it
 * (NaN included), or −1 when every element is inside: the layer raises its typed error from that (the CUDA bodies read
 * one value back). The outputs of such a call are unspecified. The element-wise maps compute in float32 (per-row log-det
 * sums in double); the mixture CDF in float64 per element (log Φ by series / continued fraction, its inverse by Newton
 * steps safeguarded by bisection). {@code CpuPointwise} is the reference (the kernels' arithmetic in Java),
 * {@code CudaPointwise} the kernels, {@code PointwiseBench} the validate-and-benchmark entries; the float64 oracles of the
 * tests stay the judges of both.
 *
 * <p>The generative backward ({@code …InverseBackward}) takes the inverse's output x (not y): with
 * {@code w = (gx − gLd·(log f')'(x)) / f'(x)} it writes {@code gy = w} and adds {@code −∂/∂θ[w·f(x) + gLd·log f'(x)]}.
 */
public interface PointwiseOps {

    /** y = σ(x); ld += Σ_j log σ'(x_j) = −softplus(−x) − softplus(x). */
    void sigmoidForward(Tensor x, Tensor y, Tensor ld);

    /** x = logit(y); ld −= Σ_j log σ'(x_j). Returns the first index with y ∉ (0, 1), or −1. */
    long sigmoidInverse(Tensor y, Tensor x, Tensor ld);

    /** gx = gy·σ'(x) + gLd·(1 − 2σ(x)). */
    void sigmoidBackward(Tensor x, Tensor gy, Tensor gLd, Tensor gx);

    /** gy = (gx − gLd·(1 − 2σ(x))) / σ'(x), x the inverse's output. */
    void sigmoidInverseBackward(Tensor x, Tensor gx, Tensor gLd, Tensor gy);

    /** y = log x − log(1 − x); ld += Σ_j −log x_j − log(1 − x_j). Returns the first index with x ∉ (0, 1), or −1. */
    long logitMapForward(Tensor x, Tensor y, Tensor ld);

    /** x = σ(y); ld −= Σ_j log logit'(x_j). */
    void logitMapInverse(Tensor y, Tensor x, Tensor ld);

    /** gx = gy/(x(1 − x)) + gLd·(1/(1 − x) − 1/x). */
    void logitMapBackward(Tensor x, Tensor gy, Tensor gLd, Tensor gx);

    /** gy = (gx − gLd·(1/(1 − x) − 1/x))·x(1 − x). */
    void logitMapInverseBackward(Tensor x, Tensor gx, Tensor gLd, Tensor gy);

    /** y = tanh x; ld += Σ_j 2(log 2 − x − softplus(−2x)). */
    void tanhForward(Tensor x, Tensor y, Tensor ld);

    /** x = atanh y; ld −= Σ_j log tanh'(x_j). Returns the first index with y ∉ (−1, 1), or −1. */
    long tanhInverse(Tensor y, Tensor x, Tensor ld);

    /** gx = gy·(1 − tanh²x) − 2·gLd·tanh x. */
    void tanhBackward(Tensor x, Tensor gy, Tensor gLd, Tensor gx);

    /** gy = (gx + 2·gLd·tanh x) / (1 − tanh²x). */
    void tanhInverseBackward(Tensor x, Tensor gx, Tensor gLd, Tensor gy);

    /** y = x (x ≥ 0) or e^a·x, a = logSlope[0]; ld += a·#{x_j &lt; 0}. */
    void leakyReluForward(Tensor x, Tensor logSlope, Tensor y, Tensor ld);

    /** x = y (y ≥ 0) or e^{−a}·y; ld −= a·#{y_j &lt; 0}. */
    void leakyReluInverse(Tensor y, Tensor logSlope, Tensor x, Tensor ld);

    /** gx = gy·f'(x); gLogSlope += Σ_{x &lt; 0} gy·e^a·x + gLd. */
    void leakyReluBackward(Tensor x, Tensor logSlope, Tensor gy, Tensor gLd, Tensor gx, Tensor gLogSlope);

    /** gy = gx / f'(x); gLogSlope −= Σ_{x &lt; 0} gy·e^a·x + gLd. */
    void leakyReluInverseBackward(Tensor x, Tensor logSlope, Tensor gx, Tensor gLd, Tensor gy, Tensor gLogSlope);

    /** y = e^s·x + t (s = logScale[0], t = shift[0]); ld += D·s. */
    void scalarAffineForward(Tensor x, Tensor logScale, Tensor shift, Tensor y, Tensor ld);

    /** x = (y − t)·e^{−s}; ld −= D·s. */
    void scalarAffineInverse(Tensor y, Tensor logScale, Tensor shift, Tensor x, Tensor ld);

    /** gx = gy·e^s; gLogScale += Σ gy·e^s·x + gLd (per element); gShift += Σ gy. */
    void scalarAffineBackward(Tensor x, Tensor logScale, Tensor shift, Tensor gy, Tensor gLd, Tensor gx, Tensor gLogScale, Tensor gShift);

    /** gy = gx·e^{−s}; gLogScale −= Σ gy·e^s·x + gLd; gShift −= Σ gy. */
    void scalarAffineInverseBackward(Tensor x, Tensor logScale, Tensor shift, Tensor gx, Tensor gLd, Tensor gy, Tensor gLogScale, Tensor gShift);

    /**
     * y = F(x) = Σ_k π_k Φ((x − μ_k)/σ_k) per dimension (π = softmax of the logits row, σ = e^{logScales}), or with
     * {@code logit} y = log F − log(1 − F) (both logs from per-component log Φ); ld += Σ_j log p(x_j) (− log F − log(1 − F)).
     */
    void mixCdfForward(Tensor x, Tensor logits, Tensor means, Tensor logScales, boolean logit, Tensor y, Tensor ld);

    /**
     * x = F⁻¹(y) (Newton steps safeguarded by bisection on a widened bracket, per element, float64); ld −= the forward's log-det
     * at x. Returns the first index with y non-finite or (without logit) y ∉ (0, 1), or −1.
     */
    long mixCdfInverse(Tensor y, Tensor logits, Tensor means, Tensor logScales, boolean logit, Tensor x, Tensor ld);

    /** gx = ∂L/∂x; gLogits, gMeans, gLogScales [D, K] += ∂L/∂θ (docs/FLOWS.md, the mixture CDF's gradients). */
    void mixCdfBackward(Tensor x, Tensor logits, Tensor means, Tensor logScales, boolean logit, Tensor gy, Tensor gLd, Tensor gx,
                        Tensor gLogits, Tensor gMeans, Tensor gLogScales);

    /**
     * The argument checks of the pointwise ops, one static method per op (named after it), run by every backend before it
     * touches data: each failure is a {@link dev.fluvia.FluviaException.ShapeException} whose message starts with the op name.
     */
    final class Checks {
        private Checks() {}

        private static void map(String op, String in, Tensor a, String out, Tensor b, Tensor ld) {
            rank(op, in, a, 2);
            same(op, in, a, out, b);
            perSample(op, "ld", ld, a);
        }

        private static void back(String op, String in, Tensor x, String gin, Tensor g, Tensor gLd, String gout, Tensor gOut) {
            rank(op, in, x, 2);
            same(op, in, x, gin, g);
            same(op, in, x, gout, gOut);
            perSample(op, "gLd", gLd, x);
        }

        private static void scalars(String op, String[] names, Tensor... ts) {
            for (int i = 0; i < ts.length; i++) {
                require(ts[i] != null, op, names[i] + " must not be null");
                shape(op, names[i], ts[i], 1);
            }
        }

        private static void mix(String op, Tensor x, Tensor logits, Tensor means, Tensor logScales) {
            rank(op, "x", x, 2);
            rank(op, "logits", logits, 2);
            require(logits.dim(0) == x.dim(1), op, "logits must be [D, K] with D = " + x.dim(1) + ", got " + java.util.Arrays.toString(logits.shape()), x, logits);
            require(logits.dim(1) >= 1, op, "K must be >= 1", logits);
            same(op, "logits", logits, "means", means);
            same(op, "logits", logits, "logScales", logScales);
        }

        public static void sigmoidForward(Tensor x, Tensor y, Tensor ld) { map("sigmoidForward", "x", x, "y", y, ld); }
        public static void sigmoidInverse(Tensor y, Tensor x, Tensor ld) { map("sigmoidInverse", "y", y, "x", x, ld); }
        public static void sigmoidBackward(Tensor x, Tensor gy, Tensor gLd, Tensor gx) { back("sigmoidBackward", "x", x, "gy", gy, gLd, "gx", gx); }
        public static void sigmoidInverseBackward(Tensor x, Tensor gx, Tensor gLd, Tensor gy) { back("sigmoidInverseBackward", "x", x, "gx", gx, gLd, "gy", gy); }

        public static void logitMapForward(Tensor x, Tensor y, Tensor ld) { map("logitMapForward", "x", x, "y", y, ld); }
        public static void logitMapInverse(Tensor y, Tensor x, Tensor ld) { map("logitMapInverse", "y", y, "x", x, ld); }
        public static void logitMapBackward(Tensor x, Tensor gy, Tensor gLd, Tensor gx) { back("logitMapBackward", "x", x, "gy", gy, gLd, "gx", gx); }
        public static void logitMapInverseBackward(Tensor x, Tensor gx, Tensor gLd, Tensor gy) { back("logitMapInverseBackward", "x", x, "gx", gx, gLd, "gy", gy); }

        public static void tanhForward(Tensor x, Tensor y, Tensor ld) { map("tanhForward", "x", x, "y", y, ld); }
        public static void tanhInverse(Tensor y, Tensor x, Tensor ld) { map("tanhInverse", "y", y, "x", x, ld); }
        public static void tanhBackward(Tensor x, Tensor gy, Tensor gLd, Tensor gx) { back("tanhBackward", "x", x, "gy", gy, gLd, "gx", gx); }
        public static void tanhInverseBackward(Tensor x, Tensor gx, Tensor gLd, Tensor gy) { back("tanhInverseBackward", "x", x, "gx", gx, gLd, "gy", gy); }

        private static final String[] SLOPE = {"logSlope"}, SLOPE_G = {"logSlope", "gLogSlope"};
        private static final String[] AFFINE = {"logScale", "shift"}, AFFINE_G = {"logScale", "shift", "gLogScale", "gShift"};

        public static void leakyReluForward(Tensor x, Tensor logSlope, Tensor y, Tensor ld) {
            map("leakyReluForward", "x", x, "y", y, ld);
            scalars("leakyReluForward", SLOPE, logSlope);
        }
        public static void leakyReluInverse(Tensor y, Tensor logSlope, Tensor x, Tensor ld) {
            map("leakyReluInverse", "y", y, "x", x, ld);
            scalars("leakyReluInverse", SLOPE, logSlope);
        }
        public static void leakyReluBackward(Tensor x, Tensor logSlope, Tensor gy, Tensor gLd, Tensor gx, Tensor gLogSlope) {
            back("leakyReluBackward", "x", x, "gy", gy, gLd, "gx", gx);
            scalars("leakyReluBackward", SLOPE_G, logSlope, gLogSlope);
        }
        public static void leakyReluInverseBackward(Tensor x, Tensor logSlope, Tensor gx, Tensor gLd, Tensor gy, Tensor gLogSlope) {
            back("leakyReluInverseBackward", "x", x, "gx", gx, gLd, "gy", gy);
            scalars("leakyReluInverseBackward", SLOPE_G, logSlope, gLogSlope);
        }

        public static void scalarAffineForward(Tensor x, Tensor logScale, Tensor shift, Tensor y, Tensor ld) {
            map("scalarAffineForward", "x", x, "y", y, ld);
            scalars("scalarAffineForward", AFFINE, logScale, shift);
        }
        public static void scalarAffineInverse(Tensor y, Tensor logScale, Tensor shift, Tensor x, Tensor ld) {
            map("scalarAffineInverse", "y", y, "x", x, ld);
            scalars("scalarAffineInverse", AFFINE, logScale, shift);
        }
        public static void scalarAffineBackward(Tensor x, Tensor logScale, Tensor shift, Tensor gy, Tensor gLd, Tensor gx, Tensor gLogScale, Tensor gShift) {
            back("scalarAffineBackward", "x", x, "gy", gy, gLd, "gx", gx);
            scalars("scalarAffineBackward", AFFINE_G, logScale, shift, gLogScale, gShift);
        }
        public static void scalarAffineInverseBackward(Tensor x, Tensor logScale, Tensor shift, Tensor gx, Tensor gLd, Tensor gy, Tensor gLogScale, Tensor gShift) {
            back("scalarAffineInverseBackward", "x", x, "gx", gx, gLd, "gy", gy);
            scalars("scalarAffineInverseBackward", AFFINE_G, logScale, shift, gLogScale, gShift);
        }

        public static void mixCdfForward(Tensor x, Tensor logits, Tensor means, Tensor logScales, Tensor y, Tensor ld) {
            mix("mixCdfForward", x, logits, means, logScales);
            map("mixCdfForward", "x", x, "y", y, ld);
        }
        public static void mixCdfInverse(Tensor y, Tensor logits, Tensor means, Tensor logScales, Tensor x, Tensor ld) {
            mix("mixCdfInverse", y, logits, means, logScales);
            map("mixCdfInverse", "y", y, "x", x, ld);
        }
        public static void mixCdfBackward(Tensor x, Tensor logits, Tensor means, Tensor logScales, Tensor gy, Tensor gLd, Tensor gx,
                                          Tensor gLogits, Tensor gMeans, Tensor gLogScales) {
            mix("mixCdfBackward", x, logits, means, logScales);
            back("mixCdfBackward", "x", x, "gy", gy, gLd, "gx", gx);
            same("mixCdfBackward", "logits", logits, "gLogits", gLogits);
            same("mixCdfBackward", "logits", logits, "gMeans", gMeans);
            same("mixCdfBackward", "logits", logits, "gLogScales", gLogScales);
        }
    }
}
