package dev.fluvia.transforms.image;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fluvia.FluviaException;
import dev.fluvia.FluviaException.ShapeException;
import dev.fluvia.FluviaException.UnknownNameException;
import dev.fluvia.backend.Backend;
import dev.fluvia.flow.LatentContext;
import dev.fluvia.nn.Conv2d;
import dev.fluvia.param.Param;
import dev.fluvia.tensor.Tensor;
import dev.fluvia.transforms.Masks;
import dev.fluvia.param.Stash;
import dev.fluvia.transforms.Transform;
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
 * The factored-out z₂ goes to the open {@link LatentContext}; the inverse takes it back from there (decode, reversible
 * backprop) or, when the context is sampling, draws {@code z₂ = μ + T·σ·ε} with ε from the layer's derived seed.
 * The inverse adds {@code −log p(z₂ | x₁)}.
 */
public final class Split implements Transform {
    public static final String KIND = "split";
    public static final String CONDITIONAL = "conditional", STANDARD = "standard";

    private final Backend be;
    private final int[] in, out, factored;
    private final int c1, c2;
    private final String prior;
    private final Conv2d conv;   // null for the standard prior

    public Split(Backend be, int[] shape, String prior, SplittableRandom rng) {
        this.be = be;
        this.in = ImageEvents.image(KIND, shape);
        if (in[0] < 2) throw new ShapeException(KIND + ": needs at least 2 channels, got shape " + java.util.Arrays.toString(shape));
        this.c1 = in[0] / 2;
        this.c2 = in[0] - c1;
        this.out = new int[] {c1, in[1], in[2]};
        this.factored = new int[] {c2, in[1], in[2]};
        this.prior = prior;
        this.conv = switch (prior) {
            case CONDITIONAL -> new Conv2d(be, "prior.", c1, 2 * c2, 3, true, rng);
            case STANDARD -> null;
            default -> throw new UnknownNameException(KIND + ": unknown prior '" + prior + "' (known: conditional, standard)");
        };
    }

    public static Split fromConfig(Backend be, ObjectNode cfg) {
        return new Split(be, Masks.ints(cfg.get("shape")), cfg.get("prior").asText(), new SplittableRandom(0));
    }

    @Override public String kind() { return KIND; }
    @Override public int[] eventShape() { return in.clone(); }
    @Override public int[] outputShape() { return out.clone(); }
    /** Shape of the factored-out latent z₂ of one sample. */
    public int[] factoredShape() { return factored.clone(); }
    @Override public boolean factorsOut() { return true; }
    @Override public List<Param> params() { return conv == null ? List.of() : conv.params(); }

    private Tensor channels(Tensor x, int start, int count) {
        Tensor t = be.alloc(x.dim(0), count, x.dim(2), x.dim(3));
        be.image().sliceChannels(x, start, t);
        return t;
    }

    /** [μ | log σ] of the conditional prior given x₁, or null for the standard prior. */
    private Tensor priorParams(Tensor x1) { return conv == null ? null : conv.forward(x1); }

    /** out[n] += log p(z₂ | x₁). */
    private void logProb(Tensor z2, Tensor h, Tensor out) {
        if (h == null) { be.dist().stdNormalLogProb(z2, out); return; }
        be.dist().condNormalLogProb(z2, channels(h, 0, c2), channels(h, c2, c2), out);
    }

    @Override public Tensor forward(Tensor x, Tensor ld, Stash stash) {
        ImageEvents.check(KIND, "forward", x, in);
        Tensor x1 = channels(x, 0, c1), z2 = channels(x, c1, c2);
        Tensor h = priorParams(x1);
        logProb(z2, h, ld);
        stash.put("h", h);
        LatentContext ctx = LatentContext.current();
        if (ctx != null) ctx.record(this, z2);
        return x1;
    }

    @Override public Tensor inverse(Tensor y, Tensor ld) {
        ImageEvents.check(KIND, "inverse", y, out);
        LatentContext ctx = LatentContext.current();
        if (ctx == null)
            throw new FluviaException(KIND + ".inverse: needs the factored-out latent z2; run the flow through Flow.decode or Flow.sample");
        int n = y.dim(0);
        Tensor h = priorParams(y);
        Tensor z2 = ctx.latent(this);
        if (z2 == null) {
            if (!ctx.sampling()) throw new FluviaException(KIND + ".inverse: no latent was supplied for this split layer");
            z2 = be.alloc(ImageEvents.batch(n, factored));
            Tensor eps = be.alloc(z2.shape());
            be.randomNormal(eps, ctx.seedFor(this), 1f);
            if (h == null) { be.copy(eps, z2); be.elementwise().scale(z2, ctx.temperature()); }
            else be.dist().condNormalSample(channels(h, 0, c2), channels(h, c2, c2), eps, ctx.temperature(), z2);
            ctx.record(this, z2);
        } else ImageEvents.check(KIND, "inverse (latent z2)", z2, factored);
        Tensor lp = be.alloc(n);
        logProb(z2, h, lp);
        be.elementwise().axpy(-1f, lp, ld);
        Tensor x = be.alloc(ImageEvents.batch(n, in));
        be.image().placeChannels(y, 0, x);
        be.image().placeChannels(z2, c1, x);
        return x;
    }

    @Override public Tensor backward(Tensor x, Tensor gy, Tensor gLd, Stash stash) {
        ImageEvents.check(KIND, "backward", x, in);
        ImageEvents.check(KIND, "backward (gy)", gy, out);
        int n = x.dim(0);
        Tensor x1 = channels(x, 0, c1), z2 = channels(x, c1, c2);
        Tensor gx = be.alloc(x.shape()), gz2 = be.alloc(z2.shape());
        if (conv == null) {
            be.dist().stdNormalLogProbBackward(z2, gLd, gz2);
            be.image().placeChannels(gy, 0, gx);
        } else {
            Tensor h = stash.get("h");
            if (h == null) h = priorParams(x1);
            Tensor gmu = be.alloc(z2.shape()), gls = be.alloc(z2.shape());
            be.dist().condNormalLogProbBackward(z2, channels(h, 0, c2), channels(h, c2, c2), gLd, gz2, gmu, gls);
            Tensor gh = be.alloc(h.shape());
            be.image().placeChannels(gmu, 0, gh);
            be.image().placeChannels(gls, c2, gh);
            Tensor gx1 = conv.backward(x1, gh, true);
            be.elementwise().axpy(1f, gy, gx1);
            be.image().placeChannels(gx1, 0, gx);
        }
        be.image().placeChannels(gz2, c1, gx);
        return gx;
    }

    @Override public ObjectNode config() {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.set("shape", Masks.json(in));
        o.put("prior", prior);
        return o;
    }
}
