package dev.fluvia.nn;

import dev.fluvia.param.Param;
import dev.fluvia.param.ParamSource;
import dev.fluvia.backend.Activation;
import dev.fluvia.backend.Backend;
import dev.fluvia.backend.Scope;
import dev.fluvia.tensor.Tensor;
import dev.fluvia.param.Stash;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Glow's coupling network: conv 3×3 (in → width) → ReLU → conv 1×1 (width → width) → ReLU → zero-initialised conv 3×3
 * (width → out).
 *
 * <p>Two variants:
 * <ul>
 *   <li>type {@value #TYPE} (default): the first two convolutions have biases and no normalisation, which keeps the
 *       conditioner free of hidden state.</li>
 *   <li>type {@value #TYPE_ACTNORM}: Glow's own network, conv 3×3 → ActNorm → ReLU → conv 1×1 → ActNorm → ReLU →
 *       zero-init conv 3×3. The inner ActNorms ({@code y = z ⊙ exp(logs) + bias} per channel, parameters
 *       {@code prefix + "an0."/"an1." + "logs"/"bias"}) start as the identity and are initialised from the data by
 *       {@link #initialize} (driven by the coupling's {@code Transform.initialize} on the first batch):
 *       {@code logs = −log(std + 1e-6)}, {@code bias = −mean·exp(logs)}. Each has a non-trainable flag parameter
 *       {@code prefix + "anK.initialized"} ({@code [1]}, 0 or 1) saved with the model, so a loaded model is never
 *       re-initialised. The convolutions keep their biases (redundant in front of an ActNorm, harmless).</li>
 * </ul>
 */
public final class GlowConvNet implements ConvConditioner {
    public static final String TYPE = "glow";
    public static final String TYPE_ACTNORM = "glow_actnorm";
    /** ε added to the standard deviation in the ActNorm initialisation (as {@code transforms.ActNorm}). */
    public static final double EPS = 1e-6;

    private final Backend be;
    private final int width;
    private final Conv2d c0, c1, c2;
    private final boolean actnorm;
    private final Param[] anLogs, anBias, anInit;

    /** The default network (conv biases, no ActNorms). */
    public GlowConvNet(Backend be, String prefix, int in, int width, int out, SplittableRandom rng) {
        this(be, prefix, in, width, out, false, rng);
    }

    /** @param actnorm true for Glow's inner ActNorms after the first two convolutions */
    public GlowConvNet(Backend be, String prefix, int in, int width, int out, boolean actnorm, SplittableRandom rng) {
        this(ParamSource.fresh(be), be, prefix, in, width, out, actnorm, rng);
    }

    /** @param src where the parameters come from (a stored source draws nothing from {@code rng}, which may then be null) */
    public GlowConvNet(ParamSource src, Backend be, String prefix, int in, int width, int out, boolean actnorm, SplittableRandom rng) {
        this.be = be;
        this.width = width;
        this.actnorm = actnorm;
        this.c0 = new Conv2d(src, be, prefix + "conv0.", in, width, 3, false, rng);
        this.c1 = new Conv2d(src, be, prefix + "conv1.", width, width, 1, false, rng);
        this.c2 = new Conv2d(src, be, prefix + "conv2.", width, out, 3, true, rng);
        int k = actnorm ? 2 : 0;
        anLogs = new Param[k];
        anBias = new Param[k];
        anInit = new Param[k];
        for (int i = 0; i < k; i++) {
            String p = prefix + "an" + i + ".";
            anLogs[i] = src.param(p + "logs", true, () -> new float[width], width);
            anBias[i] = src.param(p + "bias", true, () -> new float[width], width);
            anInit[i] = src.param(p + "initialized", false, () -> new float[1], 1);
        }
    }

    @Override public List<Param> params() {
        List<Param> ps = new ArrayList<>(c0.params());
        ps.addAll(c1.params());
        ps.addAll(c2.params());
        for (int i = 0; i < anLogs.length; i++) ps.addAll(List.of(anLogs[i], anBias[i], anInit[i]));
        return ps;
    }

    /** True when this network has inner ActNorms and all of them have been initialised (or loaded initialised). */
    public boolean isInitialized() {
        if (!actnorm) return false;
        for (Param p : anInit) if (be.toHost(p.value())[0] == 0f) return false;
        return true;
    }

    private Tensor relu(Tensor t) {
        be.activate(Activation.RELU, t, t);
        return t;
    }

    /** Inner ActNorm i applied to z (a new tensor); its log-det is irrelevant here and goes to a scratch vector. */
    private Tensor norm(int i, Tensor z) {
        Tensor u = be.alloc(z.shape());
        be.actnormForward(z, anLogs[i].value(), anBias[i].value(), u, be.alloc(z.dim(0)));
        return u;
    }

    /** Sets inner ActNorm i from the per-channel statistics of z, unless it is already initialised. */
    private void initNorm(int i, Tensor z) {
        if (be.toHost(anInit[i].value())[0] != 0f) return;
        Tensor m = be.alloc(width), sd = be.alloc(width);
        be.actnormInitStats(z, m, sd);
        float[] mean = be.toHost(m), std = be.toHost(sd);
        float[] ls = new float[width], b = new float[width];
        for (int c = 0; c < width; c++) {
            double l = -Math.log(std[c] + EPS);
            ls[c] = (float) l;
            b[c] = (float) (-mean[c] * Math.exp(l));
        }
        be.upload(ls, anLogs[i].value());
        be.upload(b, anBias[i].value());
        be.upload(new float[] {1f}, anInit[i].value());
    }

    /** Data-dependent initialisation of the inner ActNorms from the conditioner input x (a no-op without them, or once done). */
    @Override public void initialize(Tensor x) {
        if (!actnorm) return;
        try (Scope s = be.scope()) {
            Tensor z0 = c0.forward(x);
            initNorm(0, z0);
            Tensor z1 = c1.forward(relu(norm(0, z0)));
            initNorm(1, z1);
        }
    }

    @Override public Tensor forward(Tensor x, Stash stash, String key) {
        if (!actnorm) {
            Tensor a0 = relu(c0.forward(x));
            Tensor a1 = relu(c1.forward(a0));
            Tensor out = c2.forward(a1);
            stash.put(key + ".a0", a0);
            stash.put(key + ".a1", a1);
            return out;
        }
        Tensor z0 = c0.forward(x);
        Tensor a0 = relu(norm(0, z0));
        Tensor z1 = c1.forward(a0);
        Tensor a1 = relu(norm(1, z1));
        Tensor out = c2.forward(a1);
        stash.put(key + ".z0", z0);
        stash.put(key + ".a0", a0);
        stash.put(key + ".z1", z1);
        stash.put(key + ".a1", a1);
        return out;
    }

    @Override public Tensor backward(Tensor x, Tensor gOut, Stash stash, String key) {
        if (stash.get(key + ".a1") == null) {
            stash = new Stash(true);
            forward(x, stash, key);
        }
        Tensor a0 = stash.get(key + ".a0"), a1 = stash.get(key + ".a1");
        Tensor g1 = c2.backward(a1, gOut, true);
        be.activationBackward(Activation.RELU, null, a1, g1, g1);
        if (actnorm) g1 = normBackward(1, stash.get(key + ".z1"), g1);
        Tensor g0 = c1.backward(a0, g1, true);
        be.activationBackward(Activation.RELU, null, a0, g0, g0);
        if (actnorm) g0 = normBackward(0, stash.get(key + ".z0"), g0);
        return c0.backward(x, g0, true);
    }

    /** ∂L/∂z of inner ActNorm i (its log-det does not enter L: zero gLd), accumulating its logs and bias gradients. */
    private Tensor normBackward(int i, Tensor z, Tensor gu) {
        Tensor gz = be.alloc(z.shape());
        be.actnormBackward(z, anLogs[i].value(), gu, be.alloc(z.dim(0)), gz, anLogs[i].grad(), anBias[i].grad());
        return gz;
    }

    @Override public String type() { return actnorm ? TYPE_ACTNORM : TYPE; }
    @Override public int width() { return width; }
}
