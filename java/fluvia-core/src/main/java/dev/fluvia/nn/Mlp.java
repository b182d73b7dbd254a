package dev.fluvia.nn;

import dev.fluvia.param.Param;
import dev.fluvia.param.ParamSource;
import dev.fluvia.backend.Activation;
import dev.fluvia.backend.Backend;
import dev.fluvia.tensor.Tensor;
import dev.fluvia.param.Stash;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A multilayer perceptron {@code in → hidden… → out}: linear + activation per hidden layer, a plain linear output layer.
 * Used as the conditioner of couplings. With {@code masks} it is a MADE (each weight multiplied by its 0/1 mask).
 *
 * <p><b>Masked weights are folded once per weight version, not per call.</b> The stored weights stay raw (a finite-difference
 * check may perturb a masked entry; its gradient is zero). On the CPU backend each layer keeps its folded {@code w ⊙ mask}
 * and a snapshot of the raw values it came from; a forward refolds only when the raw weight's bytes differ from the snapshot
 * (a vectorised compare that stops at the first difference), so every write — an optimizer step, an upload, a load — is
 * seen, with no invalidation protocol. When the weights have no gradient buffers (a model loaded only to score,
 * {@code Checkpoint.Use.SCORE}, as {@code FlowModel.load} does; nothing in the library writes such weights) the masks are
 * folded once at construction into read-only tensors ({@code CpuBackend.readOnly}) and the compare is skipped; the GEMM then
 * trusts their packing too (as it does for the plain weights of such a model, passed as read-only views). Such a model's
 * weights must not be written afterwards: a later direct write into them would not be seen. The folded tensor is the same one every call, so the Java GEMM's
 * packed-weight cache hits. On other backends the mask is multiplied in on every forward (one element-wise kernel).
 * The output layer can be zero-initialised so that a coupling starts as the identity (FLOWS.md).
 */
public final class Mlp {
    private final Backend be;
    private final int[] dims;
    private final Activation act;
    private final List<Param> weights = new ArrayList<>(), biases = new ArrayList<>();
    private final List<Tensor> masks; // null unless MADE
    private final Tensor[] folded;    // MADE on the CPU backend: w ⊙ mask per layer, for the raw values in snapshot
    private final float[][] snapshot; // raw values folded[i] was made from; null when the weights are fixed (scoring only)
    // MADE on the CPU backend: the prefix-sparse form (hidden units sorted by degree, PrefixLayout) that forward and
    // backward run (hidden x hidden layers: prefixLinearForward / prefixLinearBackward, the structural zeros skipped); the natural-order fold above is then only built when effectiveWeights() asks for it
    private final dev.fluvia.backend.dense.PrefixLayout layout;
    private final Tensor[] pw, pwView, pb;  // permuted folded weights (writable, and the view the GEMM gets), permuted biases
    private final dev.fluvia.tensor.Index[] extents;
    private final float[][] pwSnap, pbSnap; // raw values pw/pb were made from; null when fixed
    private final float[][] permBuf;        // per layer: the heap buffer a refold permutes into
    private final float[][] masksHost;
    /**
     * Whether a pass that stores nothing runs the one {@code mlpForward} op instead of a product per layer: always off the CPU;
     * on the CPU when the weights are fixed (a scoring-only model) or the products run the Java kernel — the row-block path has
     * the Java kernel's bits, so with a BLAS library a training forward (per layer) and its recomputation would differ.
     */
    private final boolean fused;
    /**
     * Whether a MADE's hidden x hidden backward runs the prefix-sparse {@code prefixLinearBackward} (default) or the dense
     * {@code linearBackward} on the same permuted tensors ({@code -Dfluvia.made.prefixBackward=false}); the results agree to
     * float32 summation order (the Java kernel: bit for bit). For tests and benchmarks.
     */
    private static volatile boolean prefixBackward = !"false".equals(System.getProperty("fluvia.made.prefixBackward"));

    /** Sets {@link #prefixBackward} for the whole process; returns the previous setting. */
    public static boolean setPrefixBackward(boolean on) { boolean was = prefixBackward; prefixBackward = on; return was; }

    /**
     * @param dims      layer widths, {@code dims[0]} = inputs, last = outputs; at least two entries
     * @param zeroLast  zero-initialise the output layer
     * @param masks     per-layer 0/1 masks {@code [dims[i+1], dims[i]]} (MADE), or null
     */
    public Mlp(Backend be, String prefix, int[] dims, Activation act, boolean zeroLast, List<float[]> masks, SplittableRandom rng) {
        this(ParamSource.fresh(be), be, prefix, dims, act, zeroLast, masks, rng);
    }

    /** @param src where the weights come from (a stored source draws nothing from {@code rng}, which may then be null) */
    public Mlp(ParamSource src, Backend be, String prefix, int[] dims, Activation act, boolean zeroLast, List<float[]> masks, SplittableRandom rng) {
        if (dims.length < 2) throw new IllegalArgumentException("an MLP needs at least an input and an output width");
        this.be = be;
        this.dims = dims.clone();
        this.act = act;
        this.masks = masks == null ? null : new ArrayList<>();
        for (int i = 0; i + 1 < dims.length; i++) {
            int in = dims[i], out = dims[i + 1];
            boolean last = i + 2 == dims.length;
            boolean random = !(last && zeroLast);
            double bound = 1.0 / Math.sqrt(in); // PyTorch nn.Linear default
            weights.add(src.param(prefix + "w" + i, true, () -> uniform(out * in, random, bound, rng), out, in));
            biases.add(src.param(prefix + "b" + i, true, () -> uniform(out, random, bound, rng), out));
            if (masks != null) this.masks.add(be.fromHost(masks.get(i), out, in));
        }
        boolean cpu = be instanceof dev.fluvia.backend.cpu.CpuBackend, fixed = true;
        for (Param w : weights) fixed &= w.grad() == null;
        if (cpu && masks != null && dims.length > 2) {
            int layers = weights.size();
            layout = dev.fluvia.backend.dense.PrefixLayout.derive(masks, dims, null);
            masksHost = masks.toArray(new float[0][]);
            pw = new Tensor[layers]; pwView = new Tensor[layers]; pb = new Tensor[layers];
            extents = new dev.fluvia.tensor.Index[layers];
            pwSnap = fixed ? null : new float[layers][];
            pbSnap = fixed ? null : new float[layers][];
            permBuf = new float[layers][];
            for (int i = 0; i < layers; i++) {
                // the model's own memory, not a scope's (a model may be built inside a caller's scope)
                pw[i] = ((dev.fluvia.backend.cpu.CpuBackend) be).wrap(java.lang.foreign.Arena.ofAuto().allocate(4L * dims[i + 1] * dims[i], 64), dims[i + 1], dims[i]);
                pb[i] = ((dev.fluvia.backend.cpu.CpuBackend) be).wrap(java.lang.foreign.Arena.ofAuto().allocate(4L * dims[i + 1], 64), dims[i + 1]);
                pwView[i] = ((dev.fluvia.backend.cpu.CpuBackend) be).readOnly(pw[i]);
                extents[i] = be.index(layout.extent(i));
                refreshPrefix(i, true);
            }
        } else {
            layout = null; masksHost = null; pw = pwView = pb = null; extents = null; pwSnap = pbSnap = permBuf = null;
        }
        // scoring passes run the whole MLP per block of rows (mlpForward), whose bits are the Java kernel's: with a BLAS library
        // they would differ from a training forward's, so there only a fixed (scoring-only) model takes it
        this.fused = !cpu || fixed || dev.fluvia.backend.cpu.CpuGemm.javaKernel((dev.fluvia.backend.cpu.CpuBackend) be);
        boolean host = cpu && (masks != null || fixed);
        this.folded = host ? new Tensor[weights.size()] : null;
        this.snapshot = host && !fixed ? new float[weights.size()][] : null;
        if (host && masks == null) // fixed plain weights: read-only views, so the GEMM trusts their packing
            for (int i = 0; i < weights.size(); i++) folded[i] = ((dev.fluvia.backend.cpu.CpuBackend) be).readOnly(weights.get(i).value());
        else if (host && layout == null)
            for (int i = 0; i < weights.size(); i++) {
                Tensor w = weights.get(i).value();
                folded[i] = be.alloc(w.shape());
                be.dense().applyMask(w, this.masks.get(i), folded[i]);
                // fixed weights: nothing writes the fold again, so the GEMM may trust its packing (no per-call check)
                if (snapshot == null) folded[i] = ((dev.fluvia.backend.cpu.CpuBackend) be).readOnly(folded[i]);
                if (snapshot != null) snapshot[i] = be.toHost(w);
            }
    }

    /** n values uniform in ±bound drawn from rng, or n zeros. */
    static float[] uniform(int n, boolean random, double bound, SplittableRandom rng) {
        float[] v = new float[n];
        if (random) for (int j = 0; j < n; j++) v[j] = (float) ((rng.nextDouble() * 2 - 1) * bound);
        return v;
    }

    /** Layer widths, inputs first. */
    public int[] dims() { return dims.clone(); }
    public int inputs() { return dims[0]; }
    public int outputs() { return dims[dims.length - 1]; }
    public int layers() { return dims.length - 1; }
    public Activation activation() { return act; }

    public List<Param> params() {
        List<Param> ps = new ArrayList<>();
        for (int i = 0; i < weights.size(); i++) { ps.add(weights.get(i)); ps.add(biases.get(i)); }
        return ps;
    }

    /** Effective weights (masked for MADE: folded for the current raw values). */
    public List<Tensor> effectiveWeights() {
        List<Tensor> ws = new ArrayList<>();
        for (int i = 0; i < weights.size(); i++) ws.add(weight(i));
        return ws;
    }

    public List<Tensor> biasTensors() {
        List<Tensor> bs = new ArrayList<>();
        for (Param b : biases) bs.add(b.value());
        return bs;
    }

    /**
     * Brings layer i's permuted fold ({@link #pw}, {@link #pb}) up to date with the raw weight and bias: refolds when their
     * bytes differ from the snapshot (or {@code force}), and then tells the GEMM's packed-weight cache, which trusts the
     * read-only view it is given.
     */
    private void refreshPrefix(int i, boolean force) {
        dev.fluvia.backend.cpu.CpuBackend cpu = (dev.fluvia.backend.cpu.CpuBackend) be;
        java.lang.foreign.MemorySegment raw = dev.fluvia.backend.cpu.CpuBackend.h(weights.get(i).value()).segment(),
                braw = dev.fluvia.backend.cpu.CpuBackend.h(biases.get(i).value()).segment();
        boolean wChanged = force || pwSnap != null && (pwSnap[i] == null || raw.asSlice(0, 4L * pwSnap[i].length).mismatch(java.lang.foreign.MemorySegment.ofArray(pwSnap[i])) != -1);
        boolean bChanged = force || pbSnap != null && (pbSnap[i] == null || braw.asSlice(0, 4L * pbSnap[i].length).mismatch(java.lang.foreign.MemorySegment.ofArray(pbSnap[i])) != -1);
        if (wChanged) {
            // the heap buffers are the layer's own, reused every refold (callers hold the lock on pw, or construct)
            int len = dims[i + 1] * dims[i];
            if (permBuf[i] == null) permBuf[i] = new float[len];
            float[] out = permBuf[i];
            layout.permuteWeight(i, raw, masksHost[i], out);
            java.lang.foreign.MemorySegment.copy(out, 0, dev.fluvia.backend.cpu.CpuBackend.h(pw[i]).segment(), java.lang.foreign.ValueLayout.JAVA_FLOAT, 0, len);
            dev.fluvia.backend.cpu.CpuGemm.invalidatePacked(cpu, dev.fluvia.backend.cpu.CpuBackend.h(pwView[i]).segment());
            if (pwSnap != null) {
                if (pwSnap[i] == null) pwSnap[i] = new float[len];
                java.lang.foreign.MemorySegment.copy(raw, java.lang.foreign.ValueLayout.JAVA_FLOAT, 0, pwSnap[i], 0, len);
            }
        }
        if (bChanged) {
            float[] b = be.toHost(biases.get(i).value()), out = new float[b.length];
            layout.permuteBias(i, b, out);
            be.upload(out, pb[i]);
            if (pbSnap != null) pbSnap[i] = b;
        }
    }

    private Tensor weight(int i) {
        if (layout != null && folded[i] == null) {
            synchronized (folded) { // the natural-order fold, built on first use (effectiveWeights)
                if (folded[i] == null) {
                    Tensor w = weights.get(i).value();
                    // built on first use, possibly inside a caller's scope: its memory must outlive that scope
                    Tensor f = ((dev.fluvia.backend.cpu.CpuBackend) be).wrap(
                            java.lang.foreign.Arena.ofAuto().allocate(4L * w.numel(), 64), w.shape());
                    be.dense().applyMask(w, masks.get(i), f);
                    if (snapshot != null) snapshot[i] = be.toHost(w);
                    folded[i] = snapshot == null ? ((dev.fluvia.backend.cpu.CpuBackend) be).readOnly(f) : f;
                }
            }
        }
        if (folded != null && snapshot == null) return folded[i];
        if (masks == null) return weights.get(i).value();
        Tensor w = weights.get(i).value();
        if (folded != null) {
            synchronized (folded) {
                java.lang.foreign.MemorySegment raw = dev.fluvia.backend.cpu.CpuBackend.h(w).segment(), snap = java.lang.foreign.MemorySegment.ofArray(snapshot[i]);
                if (raw.asSlice(0, snap.byteSize()).mismatch(snap) != -1) {
                    java.lang.foreign.MemorySegment.copy(raw, java.lang.foreign.ValueLayout.JAVA_FLOAT, 0, snapshot[i], 0, snapshot[i].length);
                    be.dense().applyMask(w, masks.get(i), folded[i]);
                }
                return folded[i];
            }
        }
        Tensor wm = be.alloc(w.shape());
        be.dense().applyMask(w, masks.get(i), wm);
        return wm;
    }

    /** out = MLP(x); stores each layer's input, pre-activation and folded weight under {@code key} when the stash is storing. */
    public Tensor forward(Tensor x, Stash stash, String key) {
        Tensor cur = x;
        int n = x.dim(0);
        if (fused && !stash.storing()) { // nothing kept for a backward: one op, the intermediates stay in cache on the CPU
            int layers = weights.size();
            List<Tensor> ws = new ArrayList<>(layers), bs = new ArrayList<>(layers);
            List<dev.fluvia.tensor.Index> es = layout == null ? null : new ArrayList<>(layers);
            for (int i = 0; i < layers; i++) {
                if (layout == null) { ws.add(weight(i)); bs.add(biases.get(i).value()); continue; }
                if (pwSnap != null) synchronized (pw) { refreshPrefix(i, false); }
                ws.add(pwView[i]); // MADE: the permuted fold; the hidden x hidden layers skip their structural zeros
                bs.add(pb[i]);
                es.add(i == 0 || i + 1 == layers ? null : extents[i]);
            }
            Tensor y = be.allocUninitialized(n, outputs());
            be.dense().mlpForward(x, ws, bs, es, act, y);
            return y;
        }
        for (int i = 0; i < weights.size(); i++) {
            boolean last = i + 1 == weights.size();
            Activation a = last ? Activation.IDENTITY : act;
            // not zero-filled: linearForward / prefixLinearForward overwrite every element of pre and y (docs/OPS.md)
            Tensor pre = a == Activation.IDENTITY || a == Activation.RELU || a == Activation.TANH ? null : be.allocUninitialized(n, dims[i + 1]);
            Tensor y = be.allocUninitialized(n, dims[i + 1]);
            Tensor w;
            if (layout != null) { // MADE on the CPU: hidden units sorted by degree, the masked blocks skipped
                if (pwSnap != null) synchronized (pw) { refreshPrefix(i, false); }
                w = pwView[i];
                // the first layer (D inputs) and the output layer (its rows keep the natural order, so their extents
                // are not sorted: a BLAS call per row) run dense; only the hidden x hidden products skip blocks
                if (i == 0 || last) be.dense().linearForward(cur, w, pb[i], a, pre, y);
                else be.dense().prefixLinearForward(cur, w, extents[i], pb[i], a, pre, y);
            } else {
                w = weight(i);
                be.dense().linearForward(cur, w, biases.get(i).value(), a, pre, y);
            }
            if (stash.storing()) { // no key strings built when scoring
                stash.put(key + ".in" + i, cur);
                stash.put(key + ".pre" + i, pre);
                stash.put(key + ".out" + i, y);
                stash.put(key + ".w" + i, w);
            }
            cur = y;
        }
        return cur;
    }

    /**
     * Backward: given x (the input the forward saw) and gOut = ∂L/∂out, accumulates weight and bias gradients and returns ∂L/∂x.
     * Uses what forward stored under {@code key}, or recomputes the forward when nothing was stored.
     */
    public Tensor backward(Tensor x, Tensor gOut, Stash stash, String key) {
        if (stash.get(key + ".out0") == null) {
            Stash tmp = new Stash(true);
            forward(x, tmp, key);
            stash = tmp;
        }
        Tensor g = gOut;
        for (int i = weights.size() - 1; i >= 0; i--) {
            boolean last = i + 1 == weights.size();
            Activation a = last ? Activation.IDENTITY : act;
            Tensor in = stash.get(key + ".in" + i), y = stash.get(key + ".out" + i), pre = stash.get(key + ".pre" + i);
            Tensor w = stash.get(key + ".w" + i);
            if (a != Activation.IDENTITY) be.dense().activationBackward(a, pre, y, g, g);
            Tensor gx = be.alloc(in.shape());
            if (layout != null) { // permuted layer: gradients in the new order, scattered back (mask folded in)
                Tensor gwp = be.alloc(w.shape()), gbp = be.alloc(dims[i + 1]);
                // hidden x hidden: the block-triangular products skip their structural zeros (gwp's entries past the
                // extents stay zero, as the mask would make them); the first and the output layer run dense, as forward
                if (i == 0 || last || !prefixBackward) be.dense().linearBackward(in, w, g, gx, gwp, gbp);
                else be.dense().prefixLinearBackward(in, w, extents[i], g, gx, gwp, gbp);
                scatterGrad(i, gwp, gbp);
                g = gx;
                continue;
            }
            Tensor gw = masks == null ? weights.get(i).grad() : be.alloc(w.shape());
            be.dense().linearBackward(in, w, g, gx, gw, biases.get(i).grad());
            if (masks != null) { // gradient of w ⊙ mask w.r.t. w is the mask
                be.dense().applyMask(gw, masks.get(i), gw);
                be.elementwise().axpy(1f, gw, weights.get(i).grad());
            }
            g = gx;
        }
        return g;
    }

    /** grad_w[row(o), col(c)] += gwp[o, c]·mask; grad_b[row(o)] += gbp[o] (the permuted layer's gradients, back in place). */
    private void scatterGrad(int i, Tensor gwp, Tensor gbp) {
        java.lang.foreign.MemorySegment gs = dev.fluvia.backend.cpu.CpuBackend.h(gwp).segment(),
                dst = dev.fluvia.backend.cpu.CpuBackend.h(weights.get(i).grad()).segment(),
                bs = dev.fluvia.backend.cpu.CpuBackend.h(gbp).segment(),
                bdst = dev.fluvia.backend.cpu.CpuBackend.h(biases.get(i).grad()).segment();
        java.lang.foreign.ValueLayout.OfFloat F = java.lang.foreign.ValueLayout.JAVA_FLOAT;
        int out = dims[i + 1], in = dims[i];
        float[] mask = masksHost[i], g = new float[in], acc = new float[in];
        int[] cols = new int[in], ext = layout.extent(i);
        for (int c = 0; c < in; c++) cols[c] = layout.colOf(i, c);
        for (int o = 0; o < out; o++) { // per row: bulk copies to the heap, the permuted columns there, one copy back
            int ro = layout.rowOf(i, o), mb = ro * in, e = ext[o];
            // past the row's extent the mask is zero (the extent is the last nonzero + 1): nothing to add there
            java.lang.foreign.MemorySegment.copy(gs, F, 4L * o * in, g, 0, e);
            java.lang.foreign.MemorySegment.copy(dst, F, 4L * mb, acc, 0, in);
            for (int c = 0; c < e; c++) { int rc = cols[c]; acc[rc] = acc[rc] + g[c] * mask[mb + rc]; }
            java.lang.foreign.MemorySegment.copy(acc, 0, dst, F, 4L * mb, in);
            bdst.setAtIndex(F, ro, bdst.getAtIndex(F, ro) + bs.getAtIndex(F, o));
        }
    }
}
