package dev.fluvia.oracle;

import java.util.Map;

/**
 * An independent float64 reference of one transform, written straight from FLOWS.md: it maps one flattened sample
 * and the layer's parameters (by name, flattened, as doubles) to the output and the log-det of the direction it ran.
 */
public interface TransformOracle {
    /** Output of one sample and its log-det. */
    record Out(double[] v, double ld) {}

    /** x → y with {@code ld = log|det ∂y/∂x|}. */
    Out forward(double[] x, Map<String, double[]> p);

    /** y → x with {@code ld = −ld_forward(x)}. */
    Out inverse(double[] y, Map<String, double[]> p);
}
