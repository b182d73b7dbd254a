package dev.fluvia.oracle;

import dev.fluvia.backend.Activation;
import java.util.Map;

/** Float64 reference of {@code nn.Mlp}: {@code h_{i+1} = act(W_i h_i + b_i)}, identity on the output layer; weights named {@code prefix + "w" + i}. */
public final class MlpOracle {
    private final String prefix;
    private final int[] dims;
    private final Activation act;

    public MlpOracle(String prefix, int[] dims, Activation act) {
        this.prefix = prefix;
        this.dims = dims.clone();
        this.act = act;
    }

    static double activate(Activation act, double a) {
        return switch (act) {
            case IDENTITY -> a;
            case RELU -> Math.max(a, 0);
            case TANH -> Math.tanh(a);
            case ELU -> a > 0 ? a : Math.expm1(a);
            case SILU -> a / (1 + Math.exp(-a));
        };
    }

    public double[] apply(double[] x, Map<String, double[]> p) {
        double[] cur = x;
        for (int i = 0; i + 1 < dims.length; i++) {
            double[] w = p.get(prefix + "w" + i), b = p.get(prefix + "b" + i);
            double[] out = Dense.matVec(w, cur, dims[i + 1], dims[i]);
            boolean last = i + 2 == dims.length;
            for (int o = 0; o < out.length; o++) out[o] = last ? out[o] + b[o] : activate(act, out[o] + b[o]);
            cur = out;
        }
        return cur;
    }
}
