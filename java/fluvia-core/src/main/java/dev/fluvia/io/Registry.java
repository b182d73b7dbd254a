package dev.fluvia.io;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fluvia.FluviaException.UnknownNameException;
import dev.fluvia.backend.Backend;
import dev.fluvia.distributions.BaseDistribution;
import dev.fluvia.distributions.DiagonalGaussian;
import dev.fluvia.distributions.StandardNormal;
import dev.fluvia.transforms.ActNorm;
import dev.fluvia.transforms.AdditiveCoupling;
import dev.fluvia.transforms.AffineCoupling;
import dev.fluvia.transforms.DiagScale;
import dev.fluvia.transforms.Iaf;
import dev.fluvia.transforms.InvertibleLinear;
import dev.fluvia.transforms.Maf;
import dev.fluvia.transforms.Permutation;
import dev.fluvia.transforms.Planar;
import dev.fluvia.transforms.PlainLinear;
import dev.fluvia.transforms.Radial;
import dev.fluvia.transforms.Standardize;
import dev.fluvia.transforms.Transform;

/** Builds layers (io reads and writes layers; transforms never use io) and base distributions from their checkpoint description (kind + config); parameters are loaded afterwards by name. */
public final class Registry {
    private Registry() {}

    public static Transform transform(Backend be, String kind, ObjectNode config) {
        return switch (kind) {
            case AffineCoupling.KIND -> AffineCoupling.fromConfig(be, config);
            case Maf.KIND -> Maf.fromConfig(be, config);
            case Iaf.KIND -> Iaf.fromConfig(be, config);
            case AdditiveCoupling.KIND -> AdditiveCoupling.fromConfig(be, config);
            case DiagScale.KIND -> DiagScale.fromConfig(be, config);
            case ActNorm.KIND -> ActNorm.fromConfig(be, config);
            case Standardize.KIND -> Standardize.fromConfig(be, config);
            case Permutation.KIND -> Permutation.fromConfig(be, config);
            case InvertibleLinear.KIND -> InvertibleLinear.fromConfig(be, config);
            case PlainLinear.KIND -> PlainLinear.fromConfig(be, config);
            case Planar.KIND -> Planar.fromConfig(be, config);
            case Radial.KIND -> Radial.fromConfig(be, config);
            case dev.fluvia.transforms.Sylvester.KIND -> dev.fluvia.transforms.Sylvester.fromConfig(be, config);
            case dev.fluvia.transforms.MixCdf.KIND -> dev.fluvia.transforms.MixCdf.fromConfig(be, config);
            case dev.fluvia.transforms.Sigmoid.KIND -> dev.fluvia.transforms.Sigmoid.fromConfig(be, config);
            case dev.fluvia.transforms.LogitMap.KIND -> dev.fluvia.transforms.LogitMap.fromConfig(be, config);
            case dev.fluvia.transforms.Tanh.KIND -> dev.fluvia.transforms.Tanh.fromConfig(be, config);
            case dev.fluvia.transforms.LeakyRelu.KIND -> dev.fluvia.transforms.LeakyRelu.fromConfig(be, config);
            case dev.fluvia.transforms.ScalarAffine.KIND -> dev.fluvia.transforms.ScalarAffine.fromConfig(be, config);
            case dev.fluvia.transforms.image.Squeeze.KIND -> dev.fluvia.transforms.image.Squeeze.fromConfig(be, config);
            case dev.fluvia.transforms.image.Split.KIND -> dev.fluvia.transforms.image.Split.fromConfig(be, config);
            case dev.fluvia.transforms.image.ImageAffineCoupling.KIND -> dev.fluvia.transforms.image.ImageAffineCoupling.fromConfig(be, config);
            case dev.fluvia.transforms.image.ImageAdditiveCoupling.KIND -> dev.fluvia.transforms.image.ImageAdditiveCoupling.fromConfig(be, config);
            case dev.fluvia.transforms.image.InvertibleConv1x1.KIND -> dev.fluvia.transforms.image.InvertibleConv1x1.fromConfig(be, config);
            case dev.fluvia.transforms.image.Conv1x1.KIND -> dev.fluvia.transforms.image.Conv1x1.fromConfig(be, config);
            case dev.fluvia.transforms.image.LogitPreprocess.KIND -> dev.fluvia.transforms.image.LogitPreprocess.fromConfig(be, config);
            default -> throw new UnknownNameException("unknown layer kind '" + kind + "'");
        };
    }

    public static BaseDistribution base(Backend be, String kind, ObjectNode config) {
        return switch (kind) {
            case StandardNormal.KIND -> StandardNormal.fromConfig(be, config);
            case DiagonalGaussian.KIND -> DiagonalGaussian.fromConfig(be, config);
            case dev.fluvia.distributions.UniformBox.KIND -> dev.fluvia.distributions.UniformBox.fromConfig(be, config);
            case dev.fluvia.distributions.Logistic.KIND -> dev.fluvia.distributions.Logistic.fromConfig(be, config);
            case dev.fluvia.distributions.BetaDist.KIND -> dev.fluvia.distributions.BetaDist.fromConfig(be, config);
            case dev.fluvia.distributions.GaussianMixture.KIND -> dev.fluvia.distributions.GaussianMixture.fromConfig(be, config);
            default -> throw new UnknownNameException("unknown base distribution '" + kind + "'");
        };
    }
}
