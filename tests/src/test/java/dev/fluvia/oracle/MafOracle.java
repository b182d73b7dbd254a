package dev.fluvia.oracle;

import dev.fluvia.backend.Activation;
import dev.fluvia.backend.Backend;
import dev.fluvia.param.Param;
import dev.fluvia.transforms.Maf;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * Test-only float64 reference of a MAF layer (FLOWS.md "MAF"), written straight from the formulas: a masked MLP
 * {@code h = W_L·act(…act(W_1·x + b_1)…) + b_L} with {@code W_l = raw_l ⊙ mask_l}, {@code α = c·tanh(raw α / c)},
 * forward {@code z_d = (x_d − μ_d)·exp(−α_d)}, {@code ld = −Σ α}; the inverse re-evaluates the whole conditioner at every
 * step of the order (no incremental tricks). Weights, biases and masks are plain double arrays that a test may perturb
 * for finite differences.
 */
public final class MafOracle {
    /** An output vector and its log-det. */
    public record Out(double[] v, double ld) {}

    public final int dim;
    public final int[] dims;      // layer widths, dims[0] = D, last = 2D
    public final double[][] w;    // raw weights [out*in] per layer (perturbable)
    public final double[][] mask; // 0/1 [out*in]
    public final double[][] b;    // biases [out]
    public final Activation act;
    public final double clamp;
    public final int[] order;

    public MafOracle(int[] dims, double[][] w, double[][] mask, double[][] b, Activation act, double clamp, int[] order) {
        this.dims = dims.clone();
        this.dim = dims[0];
        this.w = w;
        this.mask = mask;
        this.b = b;
        this.act = act;
        this.clamp = clamp;
        this.order = order.clone();
    }

    /** Copies a layer's current parameters and masks into doubles. */
    public static MafOracle of(Backend be, Maf maf) {
        List<Param> ps = maf.params();
        int layers = ps.size() / 2;
        List<float[]> ms = maf.made().masks();
        int[] hidden = maf.made().hidden();
        int d = maf.eventShape()[0];
        int[] dims = new int[hidden.length + 2];
        dims[0] = d;
        System.arraycopy(hidden, 0, dims, 1, hidden.length);
        dims[dims.length - 1] = 2 * d;
        double[][] w = new double[layers][], m = new double[layers][], b = new double[layers][];
        for (int l = 0; l < layers; l++) {
            w[l] = toDouble(be.toHost(ps.get(2 * l).value()));
            b[l] = toDouble(be.toHost(ps.get(2 * l + 1).value()));
            m[l] = toDouble(ms.get(l));
        }
        return new MafOracle(dims, w, m, b, maf.made().activation(), maf.clamp(), maf.order());
    }

    public static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }

    double activate(double a) {
        return switch (act) {
            case IDENTITY -> a;
            case RELU -> Math.max(a, 0);
            case TANH -> Math.tanh(a);
            case ELU -> a > 0 ? a : Math.expm1(a);
            case SILU -> a / (1 + Math.exp(-a));
        };
    }

    /** The MADE output h = [μ | raw α] for one sample. */
    public double[] conditioner(double[] x) {
        double[] cur = x;
        int layers = dims.length - 1;
        for (int l = 0; l < layers; l++) {
            int in = dims[l], out = dims[l + 1];
            double[] next = new double[out];
            for (int o = 0; o < out; o++) {
                double s = b[l][o];
                for (int i = 0; i < in; i++) s += w[l][o * in + i] * mask[l][o * in + i] * cur[i];
                next[o] = l + 1 == layers ? s : activate(s);
            }
            cur = next;
        }
        return cur;
    }

    double alpha(double raw) { return clamp * Math.tanh(raw / clamp); }

    /** Density direction x → z. */
    public Out forward(double[] x) {
        double[] h = conditioner(x), z = new double[dim];
        double ld = 0;
        for (int d = 0; d < dim; d++) {
            double a = alpha(h[dim + d]);
            z[d] = (x[d] - h[d]) * Math.exp(-a);
            ld -= a;
        }
        return new Out(z, ld);
    }

    /** Sampling direction z → x, sequential over the order, full conditioner at every step. */
    public Out inverse(double[] z) {
        double[] x = new double[dim];
        double ld = 0;
        for (int d : order) {
            double[] h = conditioner(x);
            double a = alpha(h[dim + d]);
            x[d] = z[d] * Math.exp(a) + h[d];
            ld += a;
        }
        return new Out(x, ld);
    }

    /** Central-difference Jacobian {@code J[i][j] = ∂f_i/∂x_j}. */
    public static double[][] jacobian(UnaryOperator<double[]> f, double[] x, double eps) {
        int n = x.length;
        double[][] j = new double[n][n];
        for (int c = 0; c < n; c++) {
            double[] p = x.clone(), m = x.clone();
            p[c] += eps; m[c] -= eps;
            double[] fp = f.apply(p), fm = f.apply(m);
            for (int r = 0; r < n; r++) j[r][c] = (fp[r] - fm[r]) / (2 * eps);
        }
        return j;
    }

    /** log|det A| by LU with partial pivoting. */
    public static double logAbsDet(double[][] a0) {
        int n = a0.length;
        double[][] a = new double[n][];
        for (int i = 0; i < n; i++) a[i] = a0[i].clone();
        double s = 0;
        for (int k = 0; k < n; k++) {
            int p = k;
            for (int i = k + 1; i < n; i++) if (Math.abs(a[i][k]) > Math.abs(a[p][k])) p = i;
            double[] t = a[k]; a[k] = a[p]; a[p] = t;
            s += Math.log(Math.abs(a[k][k]));
            for (int i = k + 1; i < n; i++) {
                double f = a[i][k] / a[k][k];
                for (int j = k; j < n; j++) a[i][j] -= f * a[k][j];
            }
        }
        return s;
    }
}
