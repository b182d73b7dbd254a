package dev.fluvia.train;

import dev.fluvia.FluviaException.ShapeException;
import dev.fluvia.backend.Backend;
import dev.fluvia.backend.Scope;
import dev.fluvia.flow.Flow;
import dev.fluvia.flow.MemoryMode;
import dev.fluvia.param.Param;
import dev.fluvia.tensor.Tensor;
import dev.fluvia.train.targets.Target;
import dev.fluvia.transforms.InverseBackward;
import dev.fluvia.transforms.Transform;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Reverse-KL (variational) fitting of a flow q to an unnormalised target p̃ (FLOWS.md "Objectives", extension
 * "Reverse-KL training"): minimises {@code L = E_{z~p_Z}[log q(x) − log p̃(x)]}, {@code x = f⁻¹(z)},
 * {@code log q(x) = log p_Z(z) − Σ_k ld⁻¹_k}, with reparameterised samples: sample and log q come from one generative
 * pass, and the gradient runs back through the layers' inverses ({@link InverseBackward} where a layer has it in closed
 * form, else {@link ImplicitInverseBackward}). {@code L = −ELBO = KL(q‖p) − log Z}.
 *
 * <p>The base distribution is held fixed (its samples are the reparameterisation noise): a base with trainable
 * parameters is refused.
 *
 * <p>An {@link Objective} of the sampling kind ({@link #usesData()} is false): {@link #step} with
 * {@code Objective.Batch.samples(n, seed)} is one {@link #lossAndGradient}; {@link #fit} is Adam over such steps.
 * Layers with a closed-form generative backward: {@code AffineCoupling}, {@code AdditiveCoupling}, {@code RqSplineCoupling}, {@code RqSplineAutoregressive}, {@code Maf}, {@code Iaf},
 * {@code Planar}, {@code Radial}, {@code Sylvester} and the element-wise layers; {@link #implicitBackward(boolean)} forces
 * the implicit path for every layer (for comparisons and benchmarks).
 */
public final class ReverseKl implements Objective {
    /**
     * Monte-Carlo estimates from n fresh samples: {@code loss = mean(log q − log p̃) = −elbo}; the importance-sampled
     * {@code logZ = log mean(p̃/q)} and its effective sample size {@code ess = (Σw)²/Σw²} ({@code essFraction = ess/n}).
     *
     * @param n           the number of samples
     * @param loss        {@code mean(log q − log p̃)} in nats
     * @param elbo        {@code −loss}, a lower bound on log Z
     * @param logZ        the importance-sampled estimate of log Z, with weights {@code w = p̃/q}
     * @param ess         the effective sample size of those weights, in [1, n]
     * @param essFraction {@code ess / n}, in (0, 1]
     */
    public record Estimate(int n, double loss, double elbo, double logZ, double ess, double essFraction) {}

    private final Flow flow;
    private final Target target;
    private final Backend be;
    private final int dim;
    private boolean implicitOnly;

    /**
     * The objective of fitting {@code flow} to {@code target}.
     *
     * @param flow   the flow q, over vectors {@code [D]}, with a fixed base
     * @param target the unnormalised target p̃ over {@code D} dimensions
     * @throws ShapeException         unless the flow models vectors of the target's dimension
     * @throws InvalidConfigException if the base has trainable parameters or a layer factors out part of its input
     */
    public ReverseKl(Flow flow, Target target) {
        int[] ev = flow.eventShape();
        if (ev.length != 1 || ev[0] != target.dim())
            throw new ShapeException("reverse KL: the flow models samples of shape " + Arrays.toString(ev) + " but the target "
                    + target.name() + " has dimension " + target.dim());
        for (Param p : flow.base().params())
            if (p.trainable())
                throw new InvalidConfigException("reverse KL: the base distribution (" + flow.base().kind() + ") has trainable parameter '"
                        + p.name() + "'; fit-target holds the base fixed (use the standard normal base)");
        if (flow.levels().size() > 1)
            throw new InvalidConfigException("reverse KL: the flow has " + (flow.levels().size() - 1) + " split layer(s) factoring out latents "
                    + "(multi-scale); not supported");
        this.flow = flow;
        this.target = target;
        this.be = flow.backend();
        this.dim = target.dim();
    }

    /** {@return the flow q being fitted} */
    public Flow flow() { return flow; }
    /** {@return the unnormalised target p̃} */
    public Target target() { return target; }

    @Override public String name() { return "reverse_kl"; }

    /** False: reverse KL draws its own samples (see {@link Objective}). */
    @Override public boolean usesData() { return false; }

    /**
     * One reparameterised step on {@code batch.n()} samples drawn with {@code batch.seed()} ({@link #lossAndGradient}). The
     * memory mode is not used: the generative pass keeps every layer's input, which its backward needs.
     * @throws InvalidConfigException for another flow than this objective's, or a batch of data rows
     */
    @Override public double step(Flow f, Objective.Batch batch, MemoryMode mode) {
        if (f != flow) throw new InvalidConfigException("reverse KL: this objective was built for another flow");
        if (batch.x() != null)
            throw new InvalidConfigException("reverse KL draws its own samples: pass Objective.Batch.samples(n, seed), not data rows");
        return lossAndGradient(batch.n(), batch.seed());
    }

    /**
     * When on, every layer is differentiated through {@link ImplicitInverseBackward}, also those with a closed-form
     * {@link InverseBackward}: the slower path, kept for comparisons (tests, docs/BENCHMARKS.md). Off by default.
     *
     * @param on whether to force the implicit path
     * @return this objective
     */
    public ReverseKl implicitBackward(boolean on) {
        this.implicitOnly = on;
        return this;
    }

    /** The generative pass with every layer's input (ys[k]) and output (xs[k]), k in forward order; x = xs[0]. */
    private record Pass(Tensor z, Tensor[] ys, Tensor[] xs, Tensor x, double[] logq) {}

    private Pass generate(int n, long seed) {
        List<Transform> ts = flow.transforms();
        int k = ts.size();
        Tensor z = flow.base().sample(n, 1f, seed);
        Tensor lp = be.alloc(n), ld = be.alloc(n);
        flow.base().logProb(z, lp);
        Tensor[] ys = new Tensor[k], xs = new Tensor[k];
        Tensor cur = z;
        for (int i = k - 1; i >= 0; i--) {
            ys[i] = cur;
            cur = ts.get(i).inverse(cur, ld);
            xs[i] = cur;
        }
        float[] lph = be.toHost(lp), ldh = be.toHost(ld);
        double[] logq = new double[n];
        for (int i = 0; i < n; i++) logq[i] = (double) lph[i] - ldh[i];
        return new Pass(z, ys, xs, cur, logq);
    }

    private static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) d[i] = a[i];
        return d;
    }

    /**
     * One reparameterised step on n samples: returns the loss {@code mean(log q − log p̃)} and accumulates ∂L/∂θ into the
     * layers' gradients (the caller zeroes them between steps). A non-finite loss is returned as is, gradients untouched.
     *
     * @param n    the number of samples drawn from the base
     * @param seed the seed of the base draws
     * @return the loss in nats, {@code −ELBO}
     * @throws InvalidConfigException when {@code n < 1}
     */
    public double lossAndGradient(int n, long seed) {
        if (n < 1) throw new InvalidConfigException("reverse KL: batch size must be >= 1, got " + n);
        List<Transform> ts = flow.transforms();
        try (Scope s = be.scope()) {
            Pass p = generate(n, seed);
            double[] xh = toDouble(be.toHost(p.x())), lpt = new double[n], grad = new double[n * dim];
            target.logDensity(xh, n, lpt, grad);
            double loss = 0;
            for (int i = 0; i < n; i++) loss += p.logq()[i] - lpt[i];
            loss /= n;
            if (!Double.isFinite(loss)) return loss;
            for (double g : grad) if (!Double.isFinite(g)) return Double.NaN;
            float[] gx = new float[n * dim], gl = new float[n];
            for (int i = 0; i < gx.length; i++) gx[i] = (float) (-grad[i] / n);   // ∂L/∂x = −∇log p̃ / N
            Arrays.fill(gl, -1f / n);                                               // ∂L/∂ld⁻¹ = −1/N, every layer
            Tensor g = be.fromHost(gx, flow.batchShape(n)), gLd = be.fromHost(gl, n);
            for (int i = 0; i < ts.size(); i++) {
                Transform t = ts.get(i);
                g = !implicitOnly && t instanceof InverseBackward ib ? ib.inverseBackward(p.ys()[i], p.xs()[i], g, gLd)
                                                    : ImplicitInverseBackward.backward(be, t, p.xs()[i], g, gLd);
            }
            return loss;
        }
    }

    /**
     * Loss, ELBO, importance-sampled log Z and its ESS from n samples (drawn in batches of at most 4096).
     *
     * @param n    the number of samples
     * @param seed the seed of the base draws
     * @return the estimates; no gradient is touched
     * @throws InvalidConfigException when {@code n < 1}
     */
    public Estimate estimate(int n, long seed) {
        if (n < 1) throw new InvalidConfigException("reverse KL: the estimate needs n >= 1 samples, got " + n);
        double[] logw = new double[n];
        int done = 0;
        long sd = seed;
        while (done < n) {
            int m = Math.min(4096, n - done);
            try (Scope s = be.scope()) {
                Pass p = generate(m, sd++);
                double[] xh = toDouble(be.toHost(p.x())), lpt = new double[m];
                target.logDensity(xh, m, lpt, null);
                for (int i = 0; i < m; i++) logw[done + i] = lpt[i] - p.logq()[i];
            }
            done += m;
        }
        double max = Double.NEGATIVE_INFINITY, mean = 0;
        for (double w : logw) { max = Math.max(max, w); mean += w; }
        mean /= n;
        double s1 = 0, s2 = 0;
        for (double w : logw) {
            double e = Math.exp(w - max);
            s1 += e;
            s2 += e * e;
        }
        double logZ = max + Math.log(s1 / n), ess = s1 * s1 / s2;
        return new Estimate(n, -mean, mean, logZ, ess, ess / n);
    }

    /** Per-step record of {@link #fit}. */
    public interface Listener {
        /**
         * After a step that was not skipped.
         *
         * @param step the step, from 0
         * @param loss its loss in nats
         * @param lr   the learning rate it used
         */
        void step(long step, double loss, double lr);
    }

    /**
     * Adam on the reverse-KL loss: {@code steps} steps of {@code batch} samples at a cosine-decayed learning rate
     * (from {@code lr} to lr/100), global gradient norm clipped to {@code clip} (≤ 0: off). A step with a non-finite loss
     * or gradient is skipped. Returns the per-step losses (NaN for skipped steps).
     *
     * @param steps    the number of steps (≥ 0)
     * @param batch    samples per step
     * @param lr       the initial learning rate (&gt; 0)
     * @param clip     the global gradient-norm limit (≤ 0: no clipping)
     * @param seed     the seed; step s draws with a seed derived from it and s
     * @param listener called after every step that was not skipped, or null
     * @return the loss of every step in nats (NaN for skipped steps)
     * @throws InvalidConfigException when {@code steps < 0} or {@code lr} is not &gt; 0
     */
    public double[] fit(int steps, int batch, double lr, double clip, long seed, Listener listener) {
        if (steps < 0) throw new InvalidConfigException("reverse KL: steps must be >= 0, got " + steps);
        if (!(lr > 0)) throw new InvalidConfigException("reverse KL: learning rate must be > 0, got " + lr);
        Map<String, Param> trainable = ParamKeys.trainable(flow);
        Adam opt = new Adam(be, trainable, 0.9f, 0.999f, 1e-8f, 0f);
        double[] losses = new double[steps];
        for (int s = 0; s < steps; s++) {
            flow.zeroGrad();
            double loss = step(flow, Objective.Batch.samples(batch, seed * 1_000_003L + s), MemoryMode.STORE);
            double norm = GradClip.globalNorm(be, trainable.values());
            double rate = lr * (0.01 + 0.99 * 0.5 * (1 + Math.cos(Math.PI * s / Math.max(1, steps))));
            if (!Double.isFinite(loss) || !Double.isFinite(norm)) {
                losses[s] = Double.NaN;
                continue;
            }
            if (clip > 0 && norm > clip) GradClip.scaleTo(be, trainable.values(), clip, norm);
            opt.step((float) rate);
            losses[s] = loss;
            if (listener != null) listener.step(s, loss, rate);
        }
        return losses;
    }

    /** {@return the kinds of the layers that fall back to {@link ImplicitInverseBackward}, in layer order (for reports)} */
    public List<String> implicitLayers() {
        List<String> out = new ArrayList<>();
        for (Transform t : flow.transforms()) if (implicitOnly || !(t instanceof InverseBackward)) out.add(t.kind());
        return out;
    }
}
