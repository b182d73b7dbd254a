package dev.fluvia.flow;

import dev.fluvia.FluviaException;
import dev.fluvia.FluviaException.NonFiniteException;
import dev.fluvia.FluviaException.ShapeException;
import dev.fluvia.backend.Backend;
import dev.fluvia.backend.Scope;
import dev.fluvia.distributions.BaseDistribution;
import dev.fluvia.param.Param;
import dev.fluvia.tensor.Tensor;
import dev.fluvia.param.Stash;
import dev.fluvia.transforms.FactorOut;
import dev.fluvia.transforms.Transform;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A normalizing flow: a base distribution plus a list of transforms, {@code z = f_K ∘ … ∘ f_1(x)}.
 * {@code log p(x) = log p_Z(f(x)) + Σ_k ld_k} (FLOWS.md).
 *
 * <p><b>Multi-scale.</b> A flow is a structural composite of {@link Level levels}: each level runs its steps, then (except
 * the top one) a {@link FactorOut} layer (the multi-scale split) factors part of the sample out as a latent of its own.
 * Those latents travel explicitly: {@link #forward} returns them ({@link Result#factored}), {@link #inverse(Tensor, List)}
 * and {@link #decode} take them back, {@link #sample} draws them, and a training pass ({@link #forwardPass}) holds them
 * for its backward pass. A vector flow is one level without an exit.
 *
 * <p><b>Training mechanics.</b> {@link #forwardPass} and {@link #backward} run a pass and its backward; the loss that seeds
 * the backward (maximum likelihood, ...) is the training objective's business ({@code dev.fluvia.train.Objective}).
 */
public final class Flow {
    /**
     * An output, the per-sample log-det {@code [N]} of the direction that produced it, and (forward direction) the latents
     * that the flow's split layers factored out, in layer order (empty for a flow without split layers).
     *
     * @param out      the output batch: z {@code [N, ...latentShape()]} (forward) or x {@code [N, ...eventShape()]} (inverse)
     * @param logdet   Σ log-dets per sample, {@code [N]}: Σ log|det ∂f/∂x| forward, Σ log|det ∂f⁻¹/∂z| inverse
     * @param factored the split layers' latents in layer order (forward direction; empty otherwise)
     */
    public record Result(Tensor out, Tensor logdet, List<Tensor> factored) {
        /**
         * A result without factored-out latents.
         *
         * @param out    the output batch
         * @param logdet Σ log-dets per sample, {@code [N]}
         */
        public Result(Tensor out, Tensor logdet) { this(out, logdet, List.of()); }
    }

    /**
     * One scale of a multi-scale flow: its steps, then the layer that factors part of the sample out (null at the top).
     *
     * @param steps the level's layers in forward order (copied)
     * @param exit  the split layer that ends the level, or {@code null} for the top level
     */
    public record Level(List<Transform> steps, FactorOut exit) {
        /**
         * Copies {@code steps}.
         *
         * @param steps the level's layers in forward order
         * @param exit  the split layer that ends the level, or {@code null}
         */
        public Level { steps = List.copyOf(steps); }
    }

    private final Backend be;
    private final BaseDistribution base;
    private final List<Transform> transforms;
    private final List<Level> levels;
    private final int exits;
    private final int[] event;
    private final int[] latent;

    /**
     * A flow of the given layers over a base distribution.
     *
     * @param be         the backend every layer and the base live on
     * @param base       the base distribution p_Z of the final latent z
     * @param transforms every layer in order; each {@link FactorOut} layer ends a level
     * @throws ShapeException unless the layers chain: each layer's input shape is the previous layer's output shape
     *                        ({@link Transform#outputShape}) and the last output is the base distribution's event shape
     */
    public Flow(Backend be, BaseDistribution base, List<Transform> transforms) {
        this.be = be;
        this.base = base;
        this.transforms = List.copyOf(transforms);
        this.latent = base.eventShape();
        this.event = transforms.isEmpty() ? latent : transforms.get(0).eventShape();
        int[] cur = event;
        for (int i = 0; i < transforms.size(); i++) {
            Transform t = transforms.get(i);
            if (!Arrays.equals(t.eventShape(), cur))
                throw new ShapeException("Flow: layer " + i + " (" + t.kind() + ") works on samples of shape " + Arrays.toString(t.eventShape())
                        + " but " + (i == 0 ? "the data" : "layer " + (i - 1) + " outputs") + " " + Arrays.toString(cur));
            cur = t.outputShape();
        }
        if (!Arrays.equals(cur, latent))
            throw new ShapeException("Flow: the last layer outputs samples of shape " + Arrays.toString(cur)
                    + " but the base distribution has " + Arrays.toString(latent));
        List<Level> ls = new ArrayList<>();
        List<Transform> steps = new ArrayList<>();
        for (Transform t : this.transforms) {
            if (t instanceof FactorOut f) { ls.add(new Level(steps, f)); steps.clear(); }
            else steps.add(t);
        }
        ls.add(new Level(steps, null));
        this.levels = List.copyOf(ls);
        this.exits = ls.size() - 1;
    }

    /**
     * A flow of levels (the exits of all but the last level are set, the last level's exit is null).
     *
     * @param be     the backend every layer and the base live on
     * @param base   the base distribution of the final latent z
     * @param levels the levels, bottom (data side) first
     * @return the flow of the levels' steps and exits, flattened
     * @throws ShapeException when a level but the last has no exit, the last has one, or the layers do not chain
     */
    public static Flow ofLevels(Backend be, BaseDistribution base, List<Level> levels) {
        List<Transform> ts = new ArrayList<>();
        for (int i = 0; i < levels.size(); i++) {
            Level l = levels.get(i);
            if ((l.exit() == null) != (i == levels.size() - 1))
                throw new ShapeException("Flow: every level but the last ends in a split layer (level " + i + " of " + levels.size() + ")");
            ts.addAll(l.steps());
            if (l.exit() != null) ts.add(l.exit());
        }
        return new Flow(be, base, ts);
    }

    /** {@return the backend the flow's tensors live on} */
    public Backend backend() { return be; }
    /** {@return the base distribution p_Z of the final latent} */
    public BaseDistribution base() { return base; }
    /** {@return every layer in order: the levels' steps and exits, flattened (the checkpoint's layer list)} Immutable. */
    public List<Transform> transforms() { return transforms; }
    /** {@return the levels, bottom first: one for a flow without split layers} Immutable. */
    public List<Level> levels() { return levels; }
    /** {@return the shape of one data sample (the first layer's input), without the batch extent} A copy. */
    public int[] eventShape() { return event.clone(); }
    /** {@return the shape of one sample of the base distribution (the last layer's output)} It differs from the data's with squeeze / split layers. A copy. */
    public int[] latentShape() { return latent.clone(); }
    /** {@return the number of values in one data sample: the product of {@link #eventShape()}} */
    public int eventSize() { int d = 1; for (int s : event) d *= s; return d; }

    /** {@return the shapes of one sample's latents in {@link #encode} order: each split layer's factored-out part, then the final z} */
    public List<int[]> latentShapes() {
        List<int[]> out = new ArrayList<>();
        for (Level l : levels) if (l.exit() != null) out.add(l.exit().factoredShape());
        out.add(latentShape());
        return out;
    }

    /** {@return all parameters, base distribution first, then layer by layer} A new list on every call. */
    public List<Param> params() {
        List<Param> ps = new ArrayList<>(base.params());
        for (Transform t : transforms) ps.addAll(t.params());
        return ps;
    }

    /** {@return the number of trainable scalars: the summed element counts of the trainable parameters} */
    public long parameterCount() {
        long n = 0;
        for (Param p : params()) if (p.trainable()) n += p.value().numel();
        return n;
    }

    private void checkInput(String op, Tensor x) { checkShape(op, x, event); }

    private static void checkShape(String op, Tensor x, int[] ev) {
        int[] s = x.shape();
        if (s.length != ev.length + 1 || !Arrays.equals(Arrays.copyOfRange(s, 1, s.length), ev))
            throw new ShapeException("Flow." + op + ": expected a batch of samples of shape " + Arrays.toString(ev) + " but got " + x.shapeString());
    }

    /**
     * Normalizing direction returning every latent: the part each split layer factored out, in layer order, then the
     * final z (the base distribution's sample). For a flow without split layers the list is just {@code [z]}.
     *
     * @param x a batch of data {@code [N, ...eventShape()]}
     * @return the latents, each {@code [N, ...]} with the shapes of {@link #latentShapes()}
     * @throws ShapeException when {@code x} is not a batch of samples of {@link #eventShape()}
     */
    public List<Tensor> encode(Tensor x) {
        checkInput("encode", x);
        Result r = run(x);
        List<Tensor> out = new ArrayList<>(r.factored());
        out.add(r.out());
        return out;
    }

    /**
     * The inverse of {@link #encode}: the data x from every split layer's latent (in layer order) and the final z.
     *
     * @param latents the split layers' latents in layer order, then z; all with the same batch {@code N}
     * @return x, {@code [N, ...eventShape()]}
     * @throws ShapeException when the number of latents is not the number of split layers + 1, or a shape does not fit
     */
    public Tensor decode(List<Tensor> latents) {
        if (latents.size() != exits + 1)
            throw new ShapeException("Flow.decode: expected " + (exits + 1) + " latents (" + exits + " split layers + z) but got " + latents.size());
        return inverse(latents.get(exits), latents.subList(0, exits)).out();
    }

    /**
     * Normalizing direction x → z with Σ log-dets, and the latents the split layers factored out.
     *
     * @param x a batch of data {@code [N, ...eventShape()]}
     * @return z {@code [N, ...latentShape()]}, Σ_k log|det ∂f_k| per sample {@code [N]} (split layers add their prior's
     *         log-density), and the factored-out latents
     * @throws ShapeException when {@code x} is not a batch of samples of {@link #eventShape()}
     */
    public Result forward(Tensor x) {
        checkInput("forward", x);
        return run(x);
    }

    private Result run(Tensor x) {
        Tensor ld = be.alloc(x.dim(0)), cur = x;
        List<Tensor> factored = new ArrayList<>(exits);
        for (Transform t : transforms) {
            if (t instanceof FactorOut f) {
                FactorOut.Factored fo = f.factor(cur, ld, Stash.none());
                factored.add(fo.latent());
                cur = fo.kept();
            } else cur = t.forward(cur, ld, Stash.none());
        }
        return new Result(cur, ld, List.copyOf(factored));
    }

    /**
     * Generative direction z → x with Σ inverse log-dets, for a flow without split layers (else {@link #inverse(Tensor, List)}).
     *
     * @param z a batch of latents {@code [N, ...latentShape()]}
     * @return x {@code [N, ...eventShape()]} and Σ log|det ∂f⁻¹/∂z| per sample {@code [N]}
     * @throws ShapeException when {@code z} does not fit, or the flow has split layers
     */
    public Result inverse(Tensor z) { return inverse(z, List.of()); }

    /**
     * Generative direction z → x with Σ inverse log-dets; {@code factored} are the split layers' latents, in layer order.
     *
     * @param z        a batch of final latents {@code [N, ...latentShape()]}
     * @param factored one latent per split layer, in layer order (as {@link Result#factored} of {@link #forward})
     * @return x {@code [N, ...eventShape()]} and Σ log|det ∂f⁻¹/∂z| per sample {@code [N]}
     * @throws ShapeException when {@code z} does not fit or {@code factored} has the wrong length
     */
    public Result inverse(Tensor z, List<Tensor> factored) {
        checkShape("inverse", z, latent);
        if (factored.size() != exits)
            throw new ShapeException("Flow.inverse: this flow has " + exits + " split layer" + (exits == 1 ? "" : "s") + " and needs "
                    + "their factored-out latents (got " + factored.size() + "); use decode(latents) or sample");
        Tensor ld = be.alloc(z.dim(0)), cur = z;
        int e = exits;
        for (int k = transforms.size() - 1; k >= 0; k--) {
            Transform t = transforms.get(k);
            cur = t instanceof FactorOut f ? f.merge(cur, factored.get(--e), ld) : t.inverse(cur, ld);
        }
        return new Result(cur, ld);
    }

    /**
     * log p(x) per sample, {@code [N]}: {@code log p_Z(f(x)) + Σ_k ld_k} in nats.
     *
     * @param x a batch of data {@code [N, ...eventShape()]}
     * @return a new tensor {@code [N]} of log-densities (−∞ where the base density is 0)
     * @throws ShapeException when {@code x} is not a batch of samples of {@link #eventShape()}
     */
    public Tensor logProb(Tensor x) {
        Result r = forward(x);
        base.logProb(r.out(), r.logdet());
        return r.logdet();
    }

    /**
     * Host convenience: log p for n samples stored row-major in {@code x}.
     *
     * @param x n samples of {@link #eventSize()} values each, row-major
     * @param n the number of samples
     * @return log p(x) per sample in nats, length {@code n}
     * @throws NonFiniteException when an element of {@code x} is NaN or infinite (the message gives its index)
     * @throws ShapeException when {@code x.length != n · eventSize()}
     */
    public float[] logProb(float[] x, int n) {
        requireFinite(x, "logProb input");
        try (Scope s = be.scope()) {
            return be.toHost(logProb(be.fromHost(x, batchShape(n))));
        }
    }

    /**
     * n samples x = f⁻¹(z), z ~ p_Z at the given temperature; reproducible for a seed. Each split layer draws its latent
     * at the same temperature from a seed derived from {@code seed} and the layer's index ({@link #latentSeed}).
     *
     * @param n           the number of samples
     * @param temperature the base's scale factor: z ~ p_Z with its spread multiplied by it (1: the model's density)
     * @param seed        the seed; the same seed, n, temperature and backend give the same samples
     * @return x, a new tensor {@code [n, ...eventShape()]}
     */
    public Tensor sample(int n, float temperature, long seed) {
        Tensor cur = base.sample(n, temperature, seed);
        Tensor ld = be.alloc(n);
        for (int k = transforms.size() - 1; k >= 0; k--) {
            Transform t = transforms.get(k);
            cur = t instanceof FactorOut f ? f.mergeDrawn(cur, temperature, latentSeed(seed, k), ld) : t.inverse(cur, ld);
        }
        return cur;
    }

    /** The sampling seed of the split layer at index {@code layer}: a SplitMix64 mix of the seed and the index (never the base's seed). */
    static long latentSeed(long seed, int layer) {
        long z = seed + 0x9E3779B97F4A7C15L * (layer + 2L);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /**
     * n samples x = f⁻¹(z), z ~ p_Z, together with their log-density under the flow, from one generative pass (no
     * normalizing pass): {@code log q(x) = log p_Z(z) − Σ_k ld⁻¹_k}, the flow's density at x as {@link #logProb} gives it (at any
     * temperature, the untempered density). Returns {@code Result(x, log q)}. Not for multi-scale flows
     * (split layers): they are refused.
     *
     * @param n           the number of samples
     * @param temperature the base's scale factor for drawing z (the returned density is the untempered one)
     * @param seed        the seed, as for {@link #sample}
     * @return x {@code [n, ...eventShape()]} and log q(x) {@code [n]} in nats
     * @throws FluviaException for a flow with split layers
     */
    public Result sampleWithLogProb(int n, float temperature, long seed) {
        if (exits > 0)
            throw new dev.fluvia.FluviaException("Flow.sampleWithLogProb: a multi-scale flow's factored-out latents are drawn by its split layers, "
                    + "whose log-density this pass does not count; use sample, then logProb");
        Tensor z = base.sample(n, temperature, seed);
        Result r = inverse(z);
        Tensor lp = be.alloc(n);
        base.logProb(z, lp);
        float[] lq = be.toHost(lp), ld = be.toHost(r.logdet());
        for (int i = 0; i < n; i++) lq[i] = (float) ((double) lq[i] - ld[i]);
        return new Result(r.out(), be.fromHost(lq, n));
    }

    /**
     * Host convenience: n samples, row-major.
     *
     * @param n           the number of samples
     * @param temperature the base's scale factor (1: the model's density)
     * @param seed        the seed, as for {@link #sample}
     * @return {@code n · eventSize()} values, sample after sample
     */
    public float[] sampleHost(int n, float temperature, long seed) {
        try (Scope s = be.scope()) {
            return be.toHost(sample(n, temperature, seed));
        }
    }

    /**
     * Data-dependent initialisation of layers that need it (ActNorm), running the batch through the flow in order.
     *
     * @param x the first training batch {@code [N, ...eventShape()]}
     * @throws ShapeException when {@code x} is not a batch of samples of {@link #eventShape()}
     */
    public void initialize(Tensor x) {
        checkInput("initialize", x);
        try (Scope s = be.scope()) {
            Tensor ld = be.alloc(x.dim(0)), cur = x;
            for (Transform t : transforms) {
                t.initialize(cur);
                cur = t.forward(cur, ld, Stash.none());
            }
        }
    }

    /**
     * A training pass over one batch ({@link #forwardPass}): the final z, the summed log-dets, the split layers' latents,
     * and what {@link #backward} needs (each layer's input and stash in {@link MemoryMode#STORE}; only the output in
     * {@link MemoryMode#RECOMPUTE}, where backward recomputes each input by inverting). Its tensors live in the caller's
     * allocation scope; {@link #backward} consumes it.
     */
    public static final class Pass {
        private final Tensor x;
        private final MemoryMode mode;
        private final List<Tensor> inputs;
        private final List<Stash> stashes;
        private final Tensor[] latents;
        private final Tensor z, ld;
        private boolean consumed;

        private Pass(Tensor x, MemoryMode mode, List<Tensor> inputs, List<Stash> stashes, Tensor[] latents, Tensor z, Tensor ld) {
            this.x = x; this.mode = mode; this.inputs = inputs; this.stashes = stashes; this.latents = latents; this.z = z; this.ld = ld;
        }

        /** {@return the batch the pass ran on, {@code [N, ...eventShape()]}} */
        public Tensor input() { return x; }
        /** {@return the number of samples N in the batch} */
        public int batch() { return x.dim(0); }
        /** {@return the final latent z (the base distribution's argument), {@code [N, ...latentShape()]}} */
        public Tensor z() { return z; }
        /** {@return the Σ log-dets per sample {@code [N]}} Split layers add their prior's log-density. */
        public Tensor logdet() { return ld; }
    }

    /**
     * The forward half of a training step on batch x (call inside an allocation scope that outlives {@link #backward}).
     *
     * @param x    the batch {@code [N, ...eventShape()]}
     * @param mode what the pass keeps for the backward: every layer's input and stash, or only the output
     * @return the pass, to give to {@link #backward} once
     * @throws ShapeException when {@code x} is not a batch of samples of {@link #eventShape()}
     * @throws FluviaException when a trainable parameter has no gradient buffer (a flow loaded for scoring only)
     */
    public Pass forwardPass(Tensor x, MemoryMode mode) {
        checkInput("forwardPass", x);
        for (Param p : params())
            if (p.trainable() && p.grad() == null)
                throw new FluviaException("Flow.forwardPass: parameter '" + p.name() + "' has no gradient buffer: this flow was loaded "
                        + "for scoring only (Checkpoint.Use.SCORE); load it for training to run a backward pass");
        int n = x.dim(0), k = transforms.size();
        Tensor ld = be.alloc(n);
        List<Tensor> inputs = new ArrayList<>(k);
        List<Stash> stashes = new ArrayList<>(k);
        Tensor[] latents = new Tensor[k];
        Tensor cur = x;
        for (int i = 0; i < k; i++) {
            Transform t = transforms.get(i);
            if (mode == MemoryMode.STORE) {
                Stash st = new Stash(true);
                inputs.add(cur);
                stashes.add(st);
                if (t instanceof FactorOut f) {
                    FactorOut.Factored fo = f.factor(cur, ld, st);
                    latents[i] = fo.latent();
                    cur = fo.kept();
                } else cur = t.forward(cur, ld, st);
            } else {
                Tensor next;
                try (Scope s = be.scope()) {
                    if (t instanceof FactorOut f) {
                        FactorOut.Factored fo = f.factor(cur, ld, Stash.none());
                        next = s.keep(fo.kept());
                        latents[i] = s.keep(fo.latent());
                    } else next = s.keep(t.forward(cur, ld, Stash.none()));
                }
                if (cur != x) be.release(cur);
                cur = next;
            }
        }
        return new Pass(x, mode, inputs, stashes, latents, cur, ld);
    }

    /**
     * The backward half: given gz = ∂L/∂z and gLd = ∂L/∂ld per sample, accumulates ∂L/∂θ into the parameters' gradients
     * (the caller zeroes them between steps, {@link #zeroGrad()}) and returns ∂L/∂x. In {@link MemoryMode#RECOMPUTE} each
     * layer's input is recomputed by inverting its output (a split layer merges the latent its forward factored out).
     *
     * @param p   the pass {@link #forwardPass} returned, not yet run backward
     * @param gz  ∂L/∂z, {@code [N, ...latentShape()]}
     * @param gLd ∂L/∂ld per sample, {@code [N]} (−1/N for the mean negative log-likelihood)
     * @return ∂L/∂x, {@code [N, ...eventShape()]}
     * @throws IllegalStateException when {@code p} has already been run backward
     */
    public Tensor backward(Pass p, Tensor gz, Tensor gLd) {
        if (p.consumed) throw new IllegalStateException("Flow.backward: this pass has already been run backward");
        p.consumed = true;
        int n = p.batch(), k = transforms.size();
        Tensor g = gz;
        if (p.mode == MemoryMode.STORE) {
            for (int i = k - 1; i >= 0; i--) g = transforms.get(i).backward(p.inputs.get(i), g, gLd, p.stashes.get(i));
        } else {
            Tensor y = p.z, scratch = be.alloc(n);
            for (int i = k - 1; i >= 0; i--) {
                Transform t = transforms.get(i);
                Tensor xi, gi;
                try (Scope s = be.scope()) {
                    // the first layer's input is the data itself; a split merges the latent its forward factored out
                    xi = i == 0 ? p.x : t instanceof FactorOut f ? f.merge(y, p.latents[i], scratch) : t.inverse(y, scratch);
                    gi = t.backward(xi, g, gLd, Stash.none());
                    if (i != 0) xi = s.keep(xi);
                    gi = s.keep(gi);
                }
                be.release(y);
                be.release(g);
                y = xi;
                g = gi;
            }
        }
        return g;
    }

    /** Sets every parameter's gradient buffer to 0 (parameters without one are skipped). */
    public void zeroGrad() {
        for (Param p : params()) if (p.grad() != null) be.fill(p.grad(), 0f);
    }

    /**
     * The shape of a batch of n data samples.
     *
     * @param n the batch size
     * @return {@code [n, ...eventShape()]}
     */
    public int[] batchShape(int n) {
        int[] s = new int[event.length + 1];
        s[0] = n;
        System.arraycopy(event, 0, s, 1, event.length);
        return s;
    }

    static void requireFinite(float[] x, String what) {
        for (int i = 0; i < x.length; i++)
            if (!Float.isFinite(x[i])) throw new NonFiniteException(what + ": element " + i + " is " + x[i]);
    }
}
