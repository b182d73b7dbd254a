package dev.fluvia.transforms.image;

import dev.fluvia.FluviaException.ShapeException;
import dev.fluvia.FluviaException.UnknownNameException;
import dev.fluvia.backend.Backend;
import dev.fluvia.nn.Conv2d;
import dev.fluvia.param.Param;
import dev.fluvia.param.ParamSource;
import dev.fluvia.tensor.Tensor;
import dev.fluvia.param.Stash;
import dev.fluvia.transforms.FactorOut;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Multi-scale split (RealNVP / Glow), FLOWS.md: forward keeps the first {@code C₁ = ⌊C/2⌋} channels (output
 * {@code [C₁, H, W]}) and factors out the other {@code C₂ = C − C₁} channels {@code z₂}, scoring them under a prior whose
 * log-density is added into ld:
 * <ul>
 *   <li>{@code "conditional"} (Glow): {@code N(z₂; μ, σ)} with {@code [μ | log σ] = conv3×3(x₁)}, zero-initialised
 *       (so the prior starts as the standard normal);</li>
 *   <li>{@code "standard"} (RealNVP): the fixed standard normal.</li>
 * </ul>
 * {@link #factor} hands z₂ back to the flow that holds the layer; {@link #merge} takes it back (decode, reversible
 * backprop), and {@link #drawLatent} draws {@code z₂ = μ + T·σ·ε} for sampling. The merge adds {@code −log p(z₂ | x₁)}.
 */
public final class Split implements FactorOut {
    public static final String KIND = "split";
    public static final String CONDITIONAL = "conditional", STANDARD = "standard";

    private final Backend be;
    private final int[] in, out, factored;
    private final int c1, c2;
    private final String prior;
    private final Conv2d conv;   // null for the standard prior

    public Split(Backend be, int[] shape, String prior, SplittableRandom rng) { this(ParamSource.fresh(be), be, shape, prior, rng); }

    /** @param src where the prior's parameters come from (a stored source draws nothing from {@code rng}, which may then be null) */
    public Split(ParamSource src, Backend be, int[] shape, String prior, SplittableRandom rng) {
        this.be = be;
        this.in = ImageEvents.image(KIND, shape);
        if (in[0] < 2) throw new ShapeException(KIND + ": needs at least 2 channels, got shape " + java.util.Arrays.toString(shape));
        this.c1 = in[0] / 2;
        this.c2 = in[0] - c1;
        this.out = new int[] {c1, in[1], in[2]};
        this.factored = new int[] {c2, in[1], in[2]};
        this.prior = prior;
        this.conv = switch (prior) {
            case CONDITIONAL -> new Conv2d(src, be, "prior.", c1, 2 * c2, 3, true, rng);
            case STANDARD -> null;
            default -> throw new UnknownNameException(KIND + ": unknown prior '" + prior + "' (known: conditional, standard)");
        };
    }

    /** "conditional" or "standard". */
    public String prior() { return prior; }

    @Override public String kind() { return KIND; }
    @Override public int[] eventShape() { return in.clone(); }
    @Override public int[] outputShape() { return out.clone(); }
    /** Shape of the factored-out latent z₂ of one sample. */
    @Override public int[] factoredShape() { return factored.clone(); }
    @Override public List<Param> params() { return conv == null ? List.of() : conv.params(); }

    private Tensor channels(Tensor x, int start, int count) {
        Tensor t = be.alloc(x.dim(0), count, x.dim(2), x.dim(3));
        be.sliceChannels(x, start, t);
        return t;
    }

    /** [μ | log σ] of the conditional prior given x₁, or null for the standard prior. */
    private Tensor priorParams(Tensor x1) { return conv == null ? null : conv.forward(x1); }

    /** out[n] += log p(z₂ | x₁). */
    private void logProb(Tensor z2, Tensor h, Tensor out) {
        if (h == null) { be.stdNormalLogProb(z2, out); return; }
        be.condNormalLogProb(z2, channels(h, 0, c2), channels(h, c2, c2), out);
    }

    @Override public Factored factor(Tensor x, Tensor ld, Stash stash) {
        ImageEvents.check(KIND, "forward", x, in);
        Tensor x1 = channels(x, 0, c1), z2 = channels(x, c1, c2);
        Tensor h = priorParams(x1);
        logProb(z2, h, ld);
        stash.put("h", h);
        return new Factored(x1, z2);
    }

    @Override public Tensor drawLatent(Tensor y, float temperature, long seed) {
        ImageEvents.check(KIND, "drawLatent", y, out);
        return draw(y, priorParams(y), temperature, seed);
    }

    /** z₂ = μ + T·σ·ε (standard prior: T·ε), ε from the seed; h = [μ | log σ] of y, or null. */
    private Tensor draw(Tensor y, Tensor h, float temperature, long seed) {
        Tensor z2 = be.alloc(ImageEvents.batch(y.dim(0), factored));
        Tensor eps = be.alloc(z2.shape());
        be.randomNormal(eps, seed, 1f);
        if (h == null) { be.copy(eps, z2); be.scale(z2, temperature); }
        else be.condNormalSample(channels(h, 0, c2), channels(h, c2, c2), eps, temperature, z2);
        return z2;
    }

    /** Sampling: the prior's parameters are computed once for the draw and the merge. */
    @Override public Tensor mergeDrawn(Tensor y, float temperature, long seed, Tensor ld) {
        ImageEvents.check(KIND, "inverse", y, out);
        Tensor h = priorParams(y);
        return merge(y, draw(y, h, temperature, seed), h, ld);
    }

    @Override public Tensor merge(Tensor y, Tensor z2, Tensor ld) {
        ImageEvents.check(KIND, "inverse", y, out);
        ImageEvents.check(KIND, "inverse (latent z2)", z2, factored);
        if (z2.dim(0) != y.dim(0))
            throw new ShapeException(KIND + ".inverse: the latent z2 holds " + z2.dim(0) + " samples but y holds " + y.dim(0));
        return merge(y, z2, priorParams(y), ld);
    }

    private Tensor merge(Tensor y, Tensor z2, Tensor h, Tensor ld) {
        int n = y.dim(0);
        Tensor lp = be.alloc(n);
        logProb(z2, h, lp);
        be.axpy(-1f, lp, ld);
        Tensor x = be.alloc(ImageEvents.batch(n, in));
        be.placeChannels(y, 0, x);
        be.placeChannels(z2, c1, x);
        return x;
    }

    @Override public Tensor backward(Tensor x, Tensor gy, Tensor gLd, Stash stash) {
        ImageEvents.check(KIND, "backward", x, in);
        ImageEvents.check(KIND, "backward (gy)", gy, out);
        int n = x.dim(0);
        Tensor x1 = channels(x, 0, c1), z2 = channels(x, c1, c2);
        Tensor gx = be.alloc(x.shape()), gz2 = be.alloc(z2.shape());
        if (conv == null) {
            be.stdNormalLogProbBackward(z2, gLd, gz2);
            be.placeChannels(gy, 0, gx);
        } else {
            Tensor h = stash.get("h");
            if (h == null) h = priorParams(x1);
            Tensor gmu = be.alloc(z2.shape()), gls = be.alloc(z2.shape());
            be.condNormalLogProbBackward(z2, channels(h, 0, c2), channels(h, c2, c2), gLd, gz2, gmu, gls);
            Tensor gh = be.alloc(h.shape());
            be.placeChannels(gmu, 0, gh);
            be.placeChannels(gls, c2, gh);
            Tensor gx1 = conv.backward(x1, gh, true);
            be.axpy(1f, gy, gx1);
            be.placeChannels(gx1, 0, gx);
        }
        be.placeChannels(gz2, c1, gx);
        return gx;
    }

}
