package dev.fluvia.oracle;

import dev.fluvia.backend.CouplingScale;
import dev.fluvia.oracle.ImageOracles.Conditioner;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A whole multi-scale image flow in float64: the {@link ImageOracles} of its layers in flow order and the base density,
 * {@code log p(x) = log p_Z(z) + Σ_k ld_k} (FLOWS.md; docs/CHECKPOINT.md section 4), where a split's {@code ld} is the
 * log-density of the half it factors out. The layer sequence is built from the architecture that docs/IMAGES.md
 * describes for the {@code glow} and {@code realnvp} presets, not read from a flow; only the LU permutations (drawn at
 * initialisation) come from outside.
 */
public final class ImageFlowOracle {
    /** One layer: its checkpoint kind, input shape and oracle. */
    public record Layer(String kind, int[] shape, TransformOracle oracle) {}

    /**
     * One sample through the chain: {@code log p(x)}; the part of it from the bijective layers ({@code Σ ld} of every
     * layer but the splits, i.e. log|det| of x → all latents); the latents in encode order (each split's factored-out
     * channels, then the base's z).
     */
    public record Pass(double logProb, double bijectiveLogDet, List<double[]> latents) {}

    private final List<Layer> layers;
    private final boolean diagBase;

    private ImageFlowOracle(List<Layer> layers, boolean diagBase) {
        this.layers = List.copyOf(layers);
        this.diagBase = diagBase;
    }

    public List<Layer> layers() { return layers; }

    /** The layers' kinds in order. */
    public List<String> kinds() {
        List<String> k = new ArrayList<>();
        for (Layer l : layers) k.add(l.kind());
        return k;
    }

    /**
     * The glow preset: logit(λ); per level Squeeze → K × [ActNorm → LU 1×1 conv → channel-mask affine coupling with
     * parity s mod 2], then (except after the last level) a split under the conditional prior; base: learned diagonal
     * Gaussian ({@code mu}, {@code log_sigma}). {@code perms} holds the LU permutations in layer order.
     */
    public static ImageFlowOracle glow(int[] chw, int levels, int k, CouplingScale scale, double clamp, Conditioner net, double lambda,
                                       List<int[]> perms) {
        List<Layer> ls = new ArrayList<>();
        int[] shape = chw.clone();
        ls.add(new Layer("logit", shape, ImageOracles.logit(lambda)));
        int lu = 0;
        for (int l = 0; l < levels; l++) {
            ls.add(new Layer("squeeze", shape, ImageOracles.squeeze(shape[0], shape[1], shape[2])));
            shape = new int[] {4 * shape[0], shape[1] / 2, shape[2] / 2};
            for (int s = 0; s < k; s++) {
                ls.add(new Layer("actnorm", shape, ImageOracles.actNorm(shape)));
                ls.add(new Layer("lu_conv1x1", shape, ImageOracles.luConv1x1(shape, perms.get(lu++))));
                ls.add(new Layer("image_affine_coupling", shape, ImageOracles.affineCoupling(shape, "channel", s % 2, scale, clamp, net)));
            }
            if (l < levels - 1) {
                ls.add(new Layer("split", shape, ImageOracles.split(shape, true)));
                shape = new int[] {shape[0] / 2, shape[1], shape[2]};
            }
        }
        return new ImageFlowOracle(ls, true);
    }

    /**
     * The realnvp preset: logit(λ); per level K × checkerboard affine coupling (parity s mod 2) → Squeeze → K × channel
     * affine coupling, then (except after the last level) a split under N(0, I); base N(0, I).
     */
    public static ImageFlowOracle realNvp(int[] chw, int levels, int k, CouplingScale scale, double clamp, Conditioner net, double lambda) {
        List<Layer> ls = new ArrayList<>();
        int[] shape = chw.clone();
        ls.add(new Layer("logit", shape, ImageOracles.logit(lambda)));
        for (int l = 0; l < levels; l++) {
            for (int s = 0; s < k; s++)
                ls.add(new Layer("image_affine_coupling", shape, ImageOracles.affineCoupling(shape, "checkerboard", s % 2, scale, clamp, net)));
            ls.add(new Layer("squeeze", shape, ImageOracles.squeeze(shape[0], shape[1], shape[2])));
            shape = new int[] {4 * shape[0], shape[1] / 2, shape[2] / 2};
            for (int s = 0; s < k; s++)
                ls.add(new Layer("image_affine_coupling", shape, ImageOracles.affineCoupling(shape, "channel", s % 2, scale, clamp, net)));
            if (l < levels - 1) {
                ls.add(new Layer("split", shape, ImageOracles.split(shape, false)));
                shape = new int[] {shape[0] / 2, shape[1], shape[2]};
            }
        }
        return new ImageFlowOracle(ls, false);
    }

    /** Base log-density: N(0, I), or the diagonal Gaussian {@code Σ −½((z−μ)e^{−log σ})² − log σ − ½ log 2π}. */
    double baseLogProb(double[] z, Map<String, double[]> p) {
        double s = 0;
        for (int i = 0; i < z.length; i++) {
            double mu = diagBase ? p.get("mu")[i] : 0, logSigma = diagBase ? p.get("log_sigma")[i] : 0;
            double u = (z[i] - mu) * Math.exp(-logSigma);
            s += -0.5 * u * u - logSigma - 0.5 * Math.log(2 * Math.PI);
        }
        return s;
    }

    /** One sample x through the chain; {@code params.get(k)} are layer k's tensors by name, {@code base} the base's. */
    public Pass run(double[] x, List<Map<String, double[]>> params, Map<String, double[]> base) {
        double[] h = x;
        double ld = 0, bijective = 0;
        List<double[]> latents = new ArrayList<>();
        for (int k = 0; k < layers.size(); k++) {
            Layer l = layers.get(k);
            TransformOracle.Out o = l.oracle().forward(h, params.get(k));
            if (l.kind().equals("split")) {
                double[] z2 = new double[h.length - o.v().length];
                System.arraycopy(h, o.v().length, z2, 0, z2.length);   // channels [C₁, C) of the split's input
                latents.add(z2);
            } else {
                bijective += o.ld();
            }
            ld += o.ld();
            h = o.v();
        }
        latents.add(h);
        return new Pass(baseLogProb(h, base) + ld, bijective, latents);
    }
}
