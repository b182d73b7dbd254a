package dev.fluvia.oracle;

import java.util.Map;

/**
 * Float64 reference of the orthogonal Sylvester flow, straight from FLOWS.md: Q = H_1⋯H_K built as a dense matrix,
 * R and R̃ upper-triangular with tanh'd diagonals, {@code x = z + Q R tanh(R̃ Qᵀ z + b)},
 * {@code ld⁻¹ = Σ log|1 + R_ii R̃_ii (1 − tanh²)|}. There is no normalizing direction.
 */
public final class SylvesterOracle implements TransformOracle {
    private final int dim, reflections;

    public SylvesterOracle(int dim, int reflections) { this.dim = dim; this.reflections = reflections; }

    @Override public Out forward(double[] x, Map<String, double[]> p) {
        throw new UnsupportedOperationException("the Sylvester flow has no normalizing direction");
    }

    @Override public Out inverse(double[] z, Map<String, double[]> p) {
        int d = dim;
        double[] v = p.get("v"), r = p.get("r"), rt = p.get("r_tilde"), b = p.get("b");
        double[] q = new double[d * d];
        for (int i = 0; i < d; i++) q[i * d + i] = 1;
        for (int k = 0; k < reflections; k++) {
            double n = 0;
            for (int i = 0; i < d; i++) n += v[k * d + i] * v[k * d + i];
            double[] h = new double[d * d];
            for (int i = 0; i < d; i++)
                for (int j = 0; j < d; j++) h[i * d + j] = (i == j ? 1 : 0) - 2 * v[k * d + i] * v[k * d + j] / n;
            q = Dense.matMul(q, h, d);
        }
        double[] rr = new double[d * d], rrt = new double[d * d];
        for (int i = 0; i < d; i++)
            for (int j = i; j < d; j++) {
                rr[i * d + j] = i == j ? Math.tanh(r[i * d + j]) : r[i * d + j];
                rrt[i * d + j] = i == j ? Math.tanh(rt[i * d + j]) : rt[i * d + j];
            }
        double[] s = Dense.matVec(Dense.transpose(q, d), z, d, d), a = Dense.matVec(rrt, s, d, d), h = new double[d];
        double ld = 0;
        for (int i = 0; i < d; i++) {
            h[i] = Math.tanh(a[i] + b[i]);
            ld += Math.log(Math.abs(1 + rr[i * d + i] * rrt[i * d + i] * (1 - h[i] * h[i])));
        }
        double[] qrh = Dense.matVec(q, Dense.matVec(rr, h, d, d), d, d), x = new double[d];
        for (int i = 0; i < d; i++) x[i] = z[i] + qrh[i];
        return new Out(x, ld);
    }
}
