package dev.fluvia.train;

import dev.fluvia.FluviaException.NonFiniteException;
import dev.fluvia.backend.Backend;
import dev.fluvia.param.Param;
import dev.fluvia.param.Stash;
import dev.fluvia.tensor.Tensor;
import dev.fluvia.transforms.Transform;
import java.util.ArrayList;
import java.util.List;

/**
 * Backward of a layer's generative direction (x = f⁻¹(y)) for layers that only differentiate their normalizing direction
 * (FLOWS.md extension "Reverse-KL training"). With J = ∂f/∂x at x, ld the forward log-det and ld⁻¹ = −ld(x), a loss
 * L(x, ld⁻¹) with gx = ∂L/∂x and gL = ∂L/∂ld⁻¹ has, by the implicit function theorem,
 * <pre>
 *   v  = gx − gL·∇ₓld(x),   Jᵀw = v,   ∂L/∂y = w,   ∂L/∂θ = −∂/∂θ [wᵀf(x; θ) + gL·ld(x; θ)]  (x held fixed)
 * </pre>
 * Everything comes from the layer's own {@link Transform#backward}: (0, 1) gives ∇ₓld and the unit vectors (e_i, 0) give
 * the rows of J, all in one call on D + 1 stacked copies of the batch (parameter gradients of this probing call are
 * discarded); a float64 LU solve per sample gives w, and a last call with (−w, −gL) accumulates the parameter gradient.
 * Exact up to the float32 of the backward; (D + 2)·N rows of backward per layer: meant for the small D of variational
 * targets.
 */
public final class ImplicitInverseBackward {
    private ImplicitInverseBackward() {}

    /**
     * The backward of {@code t}'s generative direction at x = f⁻¹(y).
     *
     * @param be  the backend
     * @param t   the layer, on vectors {@code [D]}
     * @param x   the generative output x = f⁻¹(y), {@code [N, D]}
     * @param gx  ∂L/∂x, {@code [N, D]}
     * @param gLd ∂L/∂ld⁻¹ per sample, {@code [N]}
     * @return ∂L/∂y, {@code [N, D]}; accumulates the layer's parameter gradients
     */
    public static Tensor backward(Backend be, Transform t, Tensor x, Tensor gx, Tensor gLd) {
        int n = x.dim(0), d = (int) (x.numel() / n);
        List<Param> ps = t.params();
        List<float[]> saved = new ArrayList<>();
        for (Param p : ps) saved.add(p.grad() == null ? null : be.toHost(p.grad()));

        // one stacked probing call on (D + 1)·N rows: block 0 with (gy, gLd) = (0, 1) gives ∇ₓld, block 1 + i with (e_i, 0)
        // gives row i of J (the layers work sample by sample, so stacking copies of x changes nothing but the call count)
        float[] xh = be.toHost(x), xs = new float[(d + 1) * n * d], gys = new float[(d + 1) * n * d], gls = new float[(d + 1) * n];
        for (int b = 0; b <= d; b++) {
            System.arraycopy(xh, 0, xs, b * n * d, n * d);
            for (int s = 0; s < n; s++) {
                if (b == 0) gls[s] = 1f;
                else gys[b * n * d + s * d + (b - 1)] = 1f;
            }
        }
        int[] stacked = x.shape().clone();
        stacked[0] = (d + 1) * n;
        float[] probe = be.toHost(t.backward(be.fromHost(xs, stacked), be.fromHost(gys, stacked), be.fromHost(gls, (d + 1) * n), Stash.none()));
        float[] gradLd = java.util.Arrays.copyOfRange(probe, 0, n * d);
        float[][] rows = new float[d][];                 // rows[i][n·d + j] = J_ij of sample n
        for (int i = 0; i < d; i++) rows[i] = java.util.Arrays.copyOfRange(probe, (i + 1) * n * d, (i + 2) * n * d);
        for (int k = 0; k < ps.size(); k++) if (saved.get(k) != null) be.upload(saved.get(k), ps.get(k).grad());

        float[] gxh = be.toHost(gx), glh = be.toHost(gLd), w = new float[n * d], negGl = new float[n];
        double[] a = new double[d * d], v = new double[d];
        for (int s = 0; s < n; s++) {
            // Jᵀ w = v: (Jᵀ)_ji = J_ij
            for (int i = 0; i < d; i++) for (int j = 0; j < d; j++) a[j * d + i] = rows[i][s * d + j];
            for (int j = 0; j < d; j++) v[j] = gxh[s * d + j] - (double) glh[s] * gradLd[s * d + j];
            double[] sol = solve(a.clone(), v.clone(), d);
            for (int j = 0; j < d; j++) {
                if (!Double.isFinite(sol[j]))
                    throw new NonFiniteException(t.kind() + ": the Jacobian of its forward is singular at sample " + s + " of the batch");
                w[s * d + j] = (float) -sol[j];
            }
            negGl[s] = -glh[s];
        }
        t.backward(x, be.fromHost(w, x.shape()), be.fromHost(negGl, n), Stash.none());
        for (int i = 0; i < w.length; i++) w[i] = -w[i];
        return be.fromHost(w, x.shape());
    }

    /** Solves A·u = b (A row-major d×d) by Gaussian elimination with partial pivoting, in float64. */
    static double[] solve(double[] a, double[] b, int d) {
        for (int c = 0; c < d; c++) {
            int piv = c;
            for (int r = c + 1; r < d; r++) if (Math.abs(a[r * d + c]) > Math.abs(a[piv * d + c])) piv = r;
            if (piv != c) {
                for (int k = 0; k < d; k++) { double tmp = a[c * d + k]; a[c * d + k] = a[piv * d + k]; a[piv * d + k] = tmp; }
                double tmp = b[c]; b[c] = b[piv]; b[piv] = tmp;
            }
            double p = a[c * d + c];
            for (int r = c + 1; r < d; r++) {
                double f = a[r * d + c] / p;
                if (f == 0) continue;
                for (int k = c; k < d; k++) a[r * d + k] -= f * a[c * d + k];
                b[r] -= f * b[c];
            }
        }
        double[] u = new double[d];
        for (int r = d - 1; r >= 0; r--) {
            double acc = b[r];
            for (int k = r + 1; k < d; k++) acc -= a[r * d + k] * u[k];
            u[r] = acc / a[r * d + r];
        }
        return u;
    }
}
