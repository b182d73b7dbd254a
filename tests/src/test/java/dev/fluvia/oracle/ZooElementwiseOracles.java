package dev.fluvia.oracle;

import java.util.Map;
import java.util.function.DoubleUnaryOperator;

/**
 * Float64 references of the element-wise flows (sigmoid, logit, tanh, leaky_relu, scalar_affine), written from FLOWS.md
 * with the naive formulas (log of the derivative taken literally, e.g. {@code log(σ(x)(1 − σ(x)))}).
 */
public final class ZooElementwiseOracles {
    private ZooElementwiseOracles() {}

    private interface Fn { double at(double x, Map<String, double[]> p); }

    private static TransformOracle of(Fn f, Fn inv, Fn deriv) {
        return new TransformOracle() {
            @Override public Out forward(double[] x, Map<String, double[]> p) {
                double[] y = new double[x.length];
                double ld = 0;
                for (int i = 0; i < x.length; i++) { y[i] = f.at(x[i], p); ld += Math.log(deriv.at(x[i], p)); }
                return new Out(y, ld);
            }

            @Override public Out inverse(double[] y, Map<String, double[]> p) {
                double[] x = new double[y.length];
                double ld = 0;
                for (int i = 0; i < y.length; i++) { x[i] = inv.at(y[i], p); ld -= Math.log(deriv.at(x[i], p)); }
                return new Out(x, ld);
            }
        };
    }

    private static double sig(double x) { return 1 / (1 + Math.exp(-x)); }

    public static TransformOracle sigmoid() {
        return of((x, p) -> sig(x), (y, p) -> Math.log(y / (1 - y)), (x, p) -> sig(x) * (1 - sig(x)));
    }

    public static TransformOracle logit() {
        return of((x, p) -> Math.log(x / (1 - x)), (y, p) -> sig(y), (x, p) -> 1 / (x * (1 - x)));
    }

    public static TransformOracle tanh() {
        DoubleUnaryOperator atanh = y -> 0.5 * Math.log((1 + y) / (1 - y));
        return of((x, p) -> Math.tanh(x), (y, p) -> atanh.applyAsDouble(y), (x, p) -> 1 - Math.tanh(x) * Math.tanh(x));
    }

    public static TransformOracle leakyRelu() {
        return of((x, p) -> x >= 0 ? x : Math.exp(p.get("log_slope")[0]) * x,
                (y, p) -> y >= 0 ? y : y / Math.exp(p.get("log_slope")[0]),
                (x, p) -> x >= 0 ? 1 : Math.exp(p.get("log_slope")[0]));
    }

    public static TransformOracle scalarAffine() {
        return of((x, p) -> Math.exp(p.get("log_scale")[0]) * x + p.get("shift")[0],
                (y, p) -> (y - p.get("shift")[0]) / Math.exp(p.get("log_scale")[0]),
                (x, p) -> Math.exp(p.get("log_scale")[0]));
    }
}
