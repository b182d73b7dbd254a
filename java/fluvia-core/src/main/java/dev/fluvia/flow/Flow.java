package dev.fluvia.flow;

import dev.fluvia.FluviaException.NonFiniteException;
import dev.fluvia.FluviaException.ShapeException;
import dev.fluvia.backend.Backend;
import dev.fluvia.backend.Scope;
import dev.fluvia.distributions.BaseDistribution;
import dev.fluvia.param.Param;
import dev.fluvia.tensor.Tensor;
import dev.fluvia.param.Stash;
import dev.fluvia.transforms.Transform;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A normalizing flow: a base distribution plus a list of transforms, {@code z = f_K ∘ … ∘ f_1(x)}.
 * {@code log p(x) = log p_Z(f(x)) + Σ_k ld_k} (FLOWS.md).
 */
public final class Flow {
    /** An output and the per-sample log-det {@code [N]} of the direction that produced it. */
    public record Result(Tensor out, Tensor logdet) {}

    private final Backend be;
    private final BaseDistribution base;
    private final List<Transform> transforms;
    private final int[] event;
    private final int[] latent;

    /**
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
    }

    public Backend backend() { return be; }
    public BaseDistribution base() { return base; }
    public List<Transform> transforms() { return transforms; }
    /** Shape of one data sample (the first layer's input). */
    public int[] eventShape() { return event.clone(); }
    /** Shape of one sample of the base distribution (the last layer's output); differs from the data's with squeeze / split layers. */
    public int[] latentShape() { return latent.clone(); }
    public int eventSize() { int d = 1; for (int s : event) d *= s; return d; }

    /** All parameters, base distribution first, then layer by layer. */
    public List<Param> params() {
        List<Param> ps = new ArrayList<>(base.params());
        for (Transform t : transforms) ps.addAll(t.params());
        return ps;
    }

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

    /** Layers that factor out part of their input (multi-scale split), in order. */
    private List<Transform> splitLayers() {
        List<Transform> out = new ArrayList<>();
        for (Transform t : transforms) if (t.factorsOut()) out.add(t);
        return out;
    }

    /**
     * Normalizing direction returning every latent: the part each split layer factored out, in layer order, then the
     * final z (the base distribution's sample). For a flow without split layers the list is just {@code [z]}.
     */
    public List<Tensor> encode(Tensor x) {
        checkInput("encode", x);
        try (LatentContext ctx = LatentContext.recording(transforms).open()) {
            Tensor ld = be.alloc(x.dim(0)), cur = x;
            for (Transform t : transforms) cur = t.forward(cur, ld, Stash.none());
            List<Tensor> out = new ArrayList<>();
            for (Transform t : splitLayers()) out.add(ctx.latent(t));
            out.add(cur);
            return out;
        }
    }

    /** The inverse of {@link #encode}: the data x from every split layer's latent (in layer order) and the final z. */
    public Tensor decode(List<Tensor> latents) {
        List<Transform> splits = splitLayers();
        if (latents.size() != splits.size() + 1)
            throw new ShapeException("Flow.decode: expected " + (splits.size() + 1) + " latents (" + splits.size() + " split layers + z) but got " + latents.size());
        try (LatentContext ctx = LatentContext.recording(transforms).open()) {
            for (int i = 0; i < splits.size(); i++) ctx.record(splits.get(i), latents.get(i));
            return inverse(latents.get(splits.size())).out();
        }
    }

    /** Normalizing direction x → z with Σ log-dets. */
    public Result forward(Tensor x) {
        checkInput("forward", x);
        Tensor ld = be.alloc(x.dim(0)), cur = x;
        for (Transform t : transforms) cur = t.forward(cur, ld, Stash.none());
        return new Result(cur, ld);
    }

    /**
     * Generative direction z → x with Σ inverse log-dets. A flow with split layers needs their latents: call it inside
     * {@link #decode} / {@link #sample} (which open a {@link LatentContext}), else the split layer throws.
     */
    public Result inverse(Tensor z) {
        checkShape("inverse", z, latent);
        Tensor ld = be.alloc(z.dim(0)), cur = z;
        for (int k = transforms.size() - 1; k >= 0; k--) cur = transforms.get(k).inverse(cur, ld);
        return new Result(cur, ld);
    }

    /** log p(x) per sample, {@code [N]}. */
    public Tensor logProb(Tensor x) {
        Result r = forward(x);
        base.logProb(r.out(), r.logdet());
        return r.logdet();
    }

    /** Host convenience: log p for n samples stored row-major in {@code x}. */
    public float[] logProb(float[] x, int n) {
        requireFinite(x, "logProb input");
        try (Scope s = be.scope()) {
            return be.toHost(logProb(be.fromHost(x, batchShape(n))));
        }
    }

    /** n samples x = f⁻¹(z), z ~ p_Z at the given temperature; reproducible for a seed. */
    public Tensor sample(int n, float temperature, long seed) {
        try (LatentContext ctx = LatentContext.sampling(transforms, temperature, seed).open()) {
            return inverse(base.sample(n, temperature, seed)).out();
        }
    }

    /**
     * n samples x = f⁻¹(z), z ~ p_Z, together with their log-density under the flow, from one generative pass (no
     * normalizing pass): {@code log q(x) = log p_Z(z) − Σ_k ld⁻¹_k}, the flow's density at x as {@link #logProb} gives it (at any
     * temperature, the untempered density). Returns {@code Result(x, log q)}. Not for multi-scale flows
     * (split layers): they are refused.
     */
    public Result sampleWithLogProb(int n, float temperature, long seed) {
        if (!splitLayers().isEmpty())
            throw new dev.fluvia.FluviaException("Flow.sampleWithLogProb: a multi-scale flow's factored-out latents are drawn by its split layers, "
                    + "whose log-density this pass does not count; use sample, then logProb");
        try (LatentContext ctx = LatentContext.sampling(transforms, temperature, seed).open()) {
            Tensor z = base.sample(n, temperature, seed);
            Result r = inverse(z);
            Tensor lp = be.alloc(n);
            base.logProb(z, lp);
            float[] lq = be.toHost(lp), ld = be.toHost(r.logdet());
            for (int i = 0; i < n; i++) lq[i] = (float) ((double) lq[i] - ld[i]);
            return new Result(r.out(), be.fromHost(lq, n));
        }
    }

    /** Host convenience: n samples, row-major. */
    public float[] sampleHost(int n, float temperature, long seed) {
        try (Scope s = be.scope()) {
            return be.toHost(sample(n, temperature, seed));
        }
    }

    /** Data-dependent initialisation of layers that need it (ActNorm), running the batch through the flow in order. */
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
     * One maximum-likelihood forward and backward pass on a batch: returns the mean NLL (nats per sample) and
     * accumulates ∂NLL/∂θ into the parameters' gradients. The caller zeroes gradients between steps ({@link #zeroGrad()}).
     */
    public double forwardBackward(Tensor x, MemoryMode mode) {
        checkInput("forwardBackward", x);
        int n = x.dim(0), k = transforms.size();
        // the context keeps what split layers factor out, for the inverse passes of reversible backprop
        try (Scope outer = be.scope(); LatentContext ctx = LatentContext.recording(transforms).open()) {
            Tensor ld = be.alloc(n);
            List<Tensor> inputs = new ArrayList<>(k);
            List<Stash> stashes = new ArrayList<>(k);
            Tensor cur = x;
            for (Transform t : transforms) {
                if (mode == MemoryMode.STORE) {
                    Stash st = new Stash(true);
                    inputs.add(cur);
                    stashes.add(st);
                    cur = t.forward(cur, ld, st);
                } else {
                    Tensor next;
                    try (Scope s = be.scope()) {
                        next = s.keep(t.forward(cur, ld, Stash.none()));
                        Tensor factored = ctx.latent(t);
                        if (factored != null) s.keep(factored);
                    }
                    if (cur != x) be.release(cur);
                    cur = next;
                }
            }
            Tensor z = cur;
            Tensor lp = be.alloc(n);
            be.copy(ld, lp);
            base.logProb(z, lp);
            double nll = -be.sum(lp) / n;
            Tensor gLd = be.alloc(n);
            be.fill(gLd, -1f / n);                       // ∂(mean −log p)/∂ld_n = ∂/∂log p_Z = −1/N
            Tensor g = base.backward(z, gLd);
            if (mode == MemoryMode.STORE) {
                for (int i = k - 1; i >= 0; i--) g = transforms.get(i).backward(inputs.get(i), g, gLd, stashes.get(i));
            } else {
                Tensor y = z, scratch = be.alloc(n);
                // a layer's inverse here must not draw: every split's latent was recorded by the forward pass above
                for (int i = k - 1; i >= 0; i--) {
                    Transform t = transforms.get(i);
                    Tensor xi, gi;
                    try (Scope s = be.scope()) {
                        xi = i == 0 ? x : t.inverse(y, scratch);  // the first layer's input is the data itself
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
            return nll;
        }
    }

    public void zeroGrad() {
        for (Param p : params()) if (p.grad() != null) be.fill(p.grad(), 0f);
    }

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
