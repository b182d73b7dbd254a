package dev.fluvia.oracle;

import java.util.Map;

/** Float64 references of the invertible linear layers: {@code y = W x}, inverse by a dense solve, ld from a dense determinant or Σ logs. */
public final class LinearOracles {
    private LinearOracles() {}

    /** W = P·L'·U' with (P·M)[i, :] = M[perm[i], :], L' = I + strictLower(lower), U' = strictUpper(upper) + diag(sign·exp(logs)). */
    public static double[] luWeight(int[] perm, Map<String, double[]> p) {
        int c = perm.length;
        double[] lo = p.get("lower"), up = p.get("upper"), ls = p.get("logs"), sg = p.get("sign");
        double[] l = new double[c * c], u = new double[c * c];
        for (int i = 0; i < c; i++)
            for (int j = 0; j < c; j++) {
                l[i * c + j] = i > j ? lo[i * c + j] : i == j ? 1 : 0;
                u[i * c + j] = i < j ? up[i * c + j] : i == j ? sg[i] * Math.exp(ls[i]) : 0;
            }
        double[] lu = Dense.matMul(l, u, c), w = new double[c * c];
        for (int i = 0; i < c; i++) System.arraycopy(lu, perm[i] * c, w, i * c, c);
        return w;
    }

    /** LU-parameterised layer: ld = Σ logs (FLOWS.md). */
    public static TransformOracle lu(int[] perm) {
        int c = perm.length;
        return new TransformOracle() {
            @Override public Out forward(double[] x, Map<String, double[]> p) {
                double ld = 0;
                for (double v : p.get("logs")) ld += v;
                return new Out(Dense.matVec(luWeight(perm, p), x, c, c), ld);
            }

            @Override public Out inverse(double[] y, Map<String, double[]> p) {
                double ld = 0;
                for (double v : p.get("logs")) ld -= v;
                return new Out(Dense.solve(luWeight(perm, p), y, c), ld);
            }
        };
    }

    /** Plain layer with parameter "w": ld = log|det W|. */
    public static TransformOracle plain(int c) {
        return new TransformOracle() {
            @Override public Out forward(double[] x, Map<String, double[]> p) {
                double[] w = p.get("w");
                return new Out(Dense.matVec(w, x, c, c), Dense.logAbsDet(w, c));
            }

            @Override public Out inverse(double[] y, Map<String, double[]> p) {
                double[] w = p.get("w");
                return new Out(Dense.solve(w, y, c), -Dense.logAbsDet(w, c));
            }
        };
    }
}
