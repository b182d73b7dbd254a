package dev.fluvia.transforms;

import dev.fluvia.param.HostMath;
import dev.fluvia.backend.Backend;
import dev.fluvia.param.Param;
import dev.fluvia.param.Stash;
import dev.fluvia.tensor.Tensor;
import java.util.List;

/**
 * An element-wise bijection {@code y_i = f(x_i)} of vectors [D] (FLOWS.md "Element-wise"), with {@code ld = Σ_i log f'(x_i)},
 * computed per element on the host in float64 (no backend op, no CUDA kernel yet). A subclass gives f, f⁻¹, log f' and
 * their derivatives, and for learned scalars their partials. The generative backward (reverse KL) follows from the same
 * pieces: with {@code w = (gx − gL·(log f')'(x)) / f'(x)}, {@code ∂L/∂y = w} and {@code ∂L/∂θ = −∂/∂θ[w·f + gL·log f']}.
 */
public abstract class Elementwise implements Transform, InverseBackward {
    protected final Backend be;
    protected final int dim;

    protected Elementwise(Backend be, int dim) {
        if (dim < 1) throw new IllegalArgumentException(kind() + ": dim must be >= 1, got " + dim);
        this.be = be;
        this.dim = dim;
    }

    /** The learned scalars in float64 (empty for parameter-free layers), read once per call. */
    protected double[] scalars() { return new double[0]; }

    protected abstract double f(double x, double[] th);
    protected abstract double inv(double y, double[] th);
    /** log f'(x), stable. */
    protected abstract double logDeriv(double x, double[] th);
    /** f'(x). */
    protected abstract double deriv(double x, double[] th);
    /** (log f')'(x). */
    protected abstract double logDerivDeriv(double x, double[] th);
    /** acc += gy·∂f/∂θ + gl·∂log f'/∂θ at x (parameter-free layers: nothing). */
    protected void paramGrad(double x, double gy, double gl, double[] th, double[] acc) {}
    /** Throws {@link DomainException} when x is outside the forward's domain (default: every finite x). */
    protected void checkForwardDomain(double x, String op) {}
    /** Throws {@link DomainException} when y is outside the inverse's domain (the forward's range). */
    protected void checkInverseDomain(double y, String op) {}

    @Override public int[] eventShape() { return new int[] {dim}; }
    @Override public List<Param> params() { return List.of(); }

    private void accumulate(double[] acc) {
        List<Param> ps = params();
        for (int k = 0; k < ps.size(); k++) HostMath.accumulate(be, ps.get(k), acc[k]);
    }

    @Override public Tensor forward(Tensor x, Tensor ld, Stash stash) {
        Events.check(kind(), "forward", x, eventShape());
        double[] th = scalars();
        float[] xh = be.toHost(x), ldh = be.toHost(ld), yh = new float[xh.length];
        int n = x.dim(0);
        for (int s = 0; s < n; s++) {
            double l = 0;
            for (int i = 0; i < dim; i++) {
                double v = xh[s * dim + i];
                checkForwardDomain(v, "forward");
                yh[s * dim + i] = (float) f(v, th);
                l += logDeriv(v, th);
            }
            ldh[s] = (float) (ldh[s] + l);
        }
        be.upload(ldh, ld);
        return be.fromHost(yh, x.shape());
    }

    @Override public Tensor inverse(Tensor y, Tensor ld) {
        Events.check(kind(), "inverse", y, eventShape());
        double[] th = scalars();
        float[] yh = be.toHost(y), ldh = be.toHost(ld), xh = new float[yh.length];
        int n = y.dim(0);
        for (int s = 0; s < n; s++) {
            double l = 0;
            for (int i = 0; i < dim; i++) {
                double v = yh[s * dim + i];
                checkInverseDomain(v, "inverse");
                double x = inv(v, th);
                xh[s * dim + i] = (float) x;
                l -= logDeriv(x, th);
            }
            ldh[s] = (float) (ldh[s] + l);
        }
        be.upload(ldh, ld);
        return be.fromHost(xh, y.shape());
    }

    @Override public Tensor backward(Tensor x, Tensor gy, Tensor gLd, Stash stash) {
        Events.check(kind(), "backward", x, eventShape());
        double[] th = scalars(), acc = new double[th.length];
        float[] xh = be.toHost(x), gyh = be.toHost(gy), glh = be.toHost(gLd), gxh = new float[xh.length];
        int n = x.dim(0);
        for (int s = 0; s < n; s++)
            for (int i = 0; i < dim; i++) {
                double v = xh[s * dim + i], g = gyh[s * dim + i], gl = glh[s];
                checkForwardDomain(v, "backward");
                gxh[s * dim + i] = (float) (g * deriv(v, th) + gl * logDerivDeriv(v, th));
                paramGrad(v, g, gl, th, acc);
            }
        accumulate(acc);
        return be.fromHost(gxh, x.shape());
    }

    @Override public Tensor inverseBackward(Tensor y, Tensor x, Tensor gx, Tensor gLd) {
        Events.check(kind(), "inverseBackward", y, eventShape());
        double[] th = scalars(), acc = new double[th.length];
        float[] yh = be.toHost(y), gxh = be.toHost(gx), glh = be.toHost(gLd), gyh = new float[yh.length];
        int n = y.dim(0);
        for (int s = 0; s < n; s++)
            for (int i = 0; i < dim; i++) {
                double yv = yh[s * dim + i];
                checkInverseDomain(yv, "inverseBackward");
                double xv = inv(yv, th), gl = glh[s];
                double w = (gxh[s * dim + i] - gl * logDerivDeriv(xv, th)) / deriv(xv, th);
                gyh[s * dim + i] = (float) w;
                paramGrad(xv, -w, -gl, th, acc);
            }
        accumulate(acc);
        return be.fromHost(gyh, y.shape());
    }

    /** Reads a scalar parameter, refusing a non-finite value. */
    protected double scalar(Param p) {
        double v = be.toHost(p.value())[0];
        if (!Double.isFinite(v)) throw new InvalidParameterException(kind() + ": " + p.name() + " is " + v);
        return v;
    }
}
