package dev.fluvia.io;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fluvia.FluviaException.UnknownNameException;
import dev.fluvia.backend.Backend;
import dev.fluvia.distributions.BaseDistribution;
import dev.fluvia.io.codec.ActNormCodec;
import dev.fluvia.io.codec.AdditiveCouplingCodec;
import dev.fluvia.io.codec.AffineCouplingCodec;
import dev.fluvia.io.codec.BetaDistCodec;
import dev.fluvia.io.codec.Codec;
import dev.fluvia.io.codec.ConditionalImageAdditiveCouplingCodec;
import dev.fluvia.io.codec.ConditionalImageAffineCouplingCodec;
import dev.fluvia.io.codec.ContextCarryCodec;
import dev.fluvia.io.codec.ContextSplitCodec;
import dev.fluvia.io.codec.ContextStandardNormalCodec;
import dev.fluvia.io.codec.Conv1x1Codec;
import dev.fluvia.io.codec.DiagScaleCodec;
import dev.fluvia.io.codec.DiagonalGaussianCodec;
import dev.fluvia.io.codec.GaussianMixtureCodec;
import dev.fluvia.io.codec.IafCodec;
import dev.fluvia.io.codec.ImageAdditiveCouplingCodec;
import dev.fluvia.io.codec.ImageAffineCouplingCodec;
import dev.fluvia.io.codec.InvertibleConv1x1Codec;
import dev.fluvia.io.codec.InvertibleLinearCodec;
import dev.fluvia.io.codec.LeakyReluCodec;
import dev.fluvia.io.codec.LogisticCodec;
import dev.fluvia.io.codec.LogitMapCodec;
import dev.fluvia.io.codec.LogitPreprocessCodec;
import dev.fluvia.io.codec.MafCodec;
import dev.fluvia.io.codec.MixCdfCodec;
import dev.fluvia.io.codec.PermutationCodec;
import dev.fluvia.io.codec.PlainLinearCodec;
import dev.fluvia.io.codec.PlanarCodec;
import dev.fluvia.io.codec.RadialCodec;
import dev.fluvia.io.codec.RqSplineAutoregressiveCodec;
import dev.fluvia.io.codec.RqSplineCouplingCodec;
import dev.fluvia.io.codec.ScalarAffineCodec;
import dev.fluvia.io.codec.SigmoidCodec;
import dev.fluvia.io.codec.SplitCodec;
import dev.fluvia.io.codec.SqueezeCodec;
import dev.fluvia.io.codec.StandardNormalCodec;
import dev.fluvia.io.codec.StandardizeCodec;
import dev.fluvia.io.codec.SylvesterCodec;
import dev.fluvia.io.codec.TanhCodec;
import dev.fluvia.io.codec.UniformBoxCodec;
import dev.fluvia.param.ParamSource;
import dev.fluvia.transforms.Transform;
import java.util.List;

/**
 * Every layer kind and base distribution a checkpoint can hold, one {@link Codec} each (io reads and writes layers;
 * transforms never use io). A new kind adds its codec to {@link #LAYERS} (or {@link #BASES}).
 */
public final class Registry {
    private Registry() {}

    /** One codec per layer kind. */
    public static final List<Codec<? extends Transform>> LAYERS = List.of(
            new AffineCouplingCodec(), new MafCodec(), new IafCodec(), new AdditiveCouplingCodec(), new DiagScaleCodec(),
            new ActNormCodec(), new StandardizeCodec(), new PermutationCodec(), new InvertibleLinearCodec(), new PlainLinearCodec(),
            new PlanarCodec(), new RadialCodec(), new SqueezeCodec(), new SplitCodec(), new ImageAffineCouplingCodec(),
            new ImageAdditiveCouplingCodec(), new InvertibleConv1x1Codec(), new Conv1x1Codec(), new LogitPreprocessCodec(),
            new RqSplineCouplingCodec(), new RqSplineAutoregressiveCodec(),
            new SylvesterCodec(), new MixCdfCodec(), new SigmoidCodec(), new LogitMapCodec(), new TanhCodec(), new LeakyReluCodec(),
            new ScalarAffineCodec(),
            new ContextCarryCodec(), new ContextSplitCodec(), new ConditionalImageAffineCouplingCodec(), new ConditionalImageAdditiveCouplingCodec());

    /** One codec per base distribution. */
    public static final List<Codec<? extends BaseDistribution>> BASES = List.of(new StandardNormalCodec(), new DiagonalGaussianCodec(),
            new ContextStandardNormalCodec(),
            new UniformBoxCodec(), new LogisticCodec(), new BetaDistCodec(), new GaussianMixtureCodec());

    private static <T> Codec<? extends T> byKind(List<Codec<? extends T>> codecs, String kind, String what) {
        for (Codec<? extends T> c : codecs) if (c.kind().equals(kind)) return c;
        throw new UnknownNameException("unknown " + what + " '" + kind + "'");
    }

    @SuppressWarnings("unchecked")
    private static <T> ObjectNode write(List<Codec<? extends T>> codecs, T x, String kind) {
        for (Codec<? extends T> c : codecs)
            if (c.type() == x.getClass()) return ((Codec<T>) c).write(x);
        throw new UnknownNameException("no codec writes " + x.getClass().getName() + " (kind '" + kind + "'): add one to io.Registry");
    }

    /**
     * A layer built from its kind and config with its parameters from {@code params} (a checkpoint's tensors).
     *
     * @param be     the backend the layer is built on
     * @param kind   the layer's kind ({@link Transform#kind()})
     * @param config the layer's config as its codec writes it
     * @param params where the parameters come from
     * @return the layer
     * @throws UnknownNameException for an unknown kind (a bad config raises the codec's typed error)
     */
    public static Transform transform(Backend be, String kind, ObjectNode config, ParamSource params) {
        return byKind(LAYERS, kind, "layer kind").read(be, config, params);
    }

    /**
     * A layer rebuilt from its kind and config alone: parameters initialised as the layer's constructor does, with a fixed seed.
     *
     * @param be     the backend the layer is built on
     * @param kind   the layer's kind ({@link Transform#kind()})
     * @param config the layer's config as its codec writes it
     * @return the layer
     * @throws UnknownNameException for an unknown kind
     */
    public static Transform transform(Backend be, String kind, ObjectNode config) {
        return transform(be, kind, config, ParamSource.fresh(be));
    }

    /**
     * A base distribution built from its kind and config with its parameters from {@code params}.
     *
     * @param be     the backend
     * @param kind   the base's kind ({@link BaseDistribution#kind()})
     * @param config its config as its codec writes it
     * @param params where the parameters come from
     * @return the base distribution
     * @throws UnknownNameException for an unknown kind
     */
    public static BaseDistribution base(Backend be, String kind, ObjectNode config, ParamSource params) {
        return byKind(BASES, kind, "base distribution").read(be, config, params);
    }

    /**
     * A base distribution rebuilt from its kind and config alone (fresh parameters).
     *
     * @param be     the backend
     * @param kind   the base's kind
     * @param config its config as its codec writes it
     * @return the base distribution
     * @throws UnknownNameException for an unknown kind
     */
    public static BaseDistribution base(Backend be, String kind, ObjectNode config) { return base(be, kind, config, ParamSource.fresh(be)); }

    /**
     * The config of a layer (its codec's {@link Codec#write}).
     *
     * @param t the layer
     * @return its config JSON
     * @throws UnknownNameException when no codec writes the layer's class
     */
    public static ObjectNode config(Transform t) { return write(LAYERS, t, t.kind()); }

    /**
     * The config of a base distribution.
     *
     * @param d the base distribution
     * @return its config JSON
     * @throws UnknownNameException when no codec writes its class
     */
    public static ObjectNode config(BaseDistribution d) { return write(BASES, d, d.kind()); }
}
