package dev.fluvia.nn;

import dev.fluvia.param.Param;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.tensor.Tensor;
import dev.fluvia.io.Registry;
import dev.fluvia.param.Stash;
import dev.fluvia.transforms.image.ImageAdditiveCoupling;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Glow's conditioner with inner ActNorms ("glow_actnorm"): the data-dependent initialisation against a float64 reference
 * (conv → per-channel population mean/std → logs = −log(std + 1e-6), bias = −mean·exp(logs), for both ActNorms), the
 * flags, no re-initialisation, the default "glow" network unchanged, and the initialisation reaching the conditioner
 * through a coupling's {@code initialize}. Gradients and round trips of couplings using it are in ImageLayersTest.
 */
class GlowConvNetActNormTest {
    static final CpuBackend be = new CpuBackend(2);

    @AfterAll static void close() { be.close(); }

    static Map<String, float[]> host(ConvConditioner net) {
        Map<String, float[]> m = new HashMap<>();
        for (Param p : net.params()) m.put(p.name(), be.toHost(p.value()));
        return m;
    }

    /** y[n,o,h,w] = b[o] + Σ w[o,c,i,j]·x[n,c,h+i−k/2,w+j−k/2], zero padding, float64. */
    static double[] conv(double[] x, int n, int ci, int hh, int ww, float[] w, float[] b, int co, int k) {
        double[] y = new double[n * co * hh * ww];
        for (int r = 0; r < n; r++)
            for (int o = 0; o < co; o++)
                for (int y0 = 0; y0 < hh; y0++)
                    for (int x0 = 0; x0 < ww; x0++) {
                        double s = b[o];
                        for (int c = 0; c < ci; c++)
                            for (int i = 0; i < k; i++)
                                for (int j = 0; j < k; j++) {
                                    int yy = y0 + i - k / 2, xx = x0 + j - k / 2;
                                    if (yy < 0 || yy >= hh || xx < 0 || xx >= ww) continue;
                                    s += w[((o * ci + c) * k + i) * k + j] * x[((r * ci + c) * hh + yy) * ww + xx];
                                }
                        y[((r * co + o) * hh + y0) * ww + x0] = s;
                    }
        return y;
    }

    /** Checks logs/bias of ActNorm {@code an} against the statistics of z, and returns relu(actnorm(z)) in float64. */
    static double[] checkNorm(Map<String, float[]> p, String an, double[] z, int n, int c, int hw) {
        float[] logs = p.get("net." + an + ".logs"), bias = p.get("net." + an + ".bias");
        assertArrayEquals(new float[] {1f}, p.get("net." + an + ".initialized"), an + " flag");
        double[] out = new double[z.length];
        for (int ch = 0; ch < c; ch++) {
            double mean = 0, var = 0;
            for (int r = 0; r < n; r++) for (int q = 0; q < hw; q++) mean += z[(r * c + ch) * hw + q];
            mean /= n * hw;
            for (int r = 0; r < n; r++) for (int q = 0; q < hw; q++) { double d = z[(r * c + ch) * hw + q] - mean; var += d * d; }
            double ls = -Math.log(Math.sqrt(var / (n * hw)) + 1e-6), bs = -mean * Math.exp(ls);
            assertEquals(ls, logs[ch], 1e-4 + 1e-4 * Math.abs(ls), an + ".logs[" + ch + "]");
            assertEquals(bs, bias[ch], 1e-4 + 1e-4 * Math.abs(bs), an + ".bias[" + ch + "]");
            for (int r = 0; r < n; r++)
                for (int q = 0; q < hw; q++) {
                    int i = (r * c + ch) * hw + q;
                    out[i] = Math.max(0, z[i] * Math.exp(logs[ch]) + bias[ch]);
                }
        }
        return out;
    }

    @Test void dataDependentInitialisationMatchesFloat64Reference() {
        int n = 4, ci = 3, width = 5, hh = 4, ww = 3, hw = hh * ww;
        GlowConvNet net = new GlowConvNet(be, "net.", ci, width, 2, true, new SplittableRandom(7));
        assertFalse(net.isInitialized());
        SplittableRandom r = new SplittableRandom(9);
        double[] xd = new double[n * ci * hw];
        float[] xf = new float[xd.length];
        for (int i = 0; i < xd.length; i++) { xf[i] = (float) (1.5 + 3 * CpuBackend.gaussian(r)); xd[i] = xf[i]; }
        Tensor x = be.fromHost(xf, n, ci, hh, ww);
        net.initialize(x);
        assertTrue(net.isInitialized());
        Map<String, float[]> p = host(net);
        double[] a0 = checkNorm(p, "an0", conv(xd, n, ci, hh, ww, p.get("net.conv0.w"), p.get("net.conv0.b"), width, 3), n, width, hw);
        checkNorm(p, "an1", conv(a0, n, width, hh, ww, p.get("net.conv1.w"), p.get("net.conv1.b"), width, 1), n, width, hw);
        // a second batch does not re-initialise
        float[] other = new float[xf.length];
        for (int i = 0; i < other.length; i++) other[i] = (float) CpuBackend.gaussian(r);
        net.initialize(be.fromHost(other, n, ci, hh, ww));
        Map<String, float[]> q = host(net);
        for (String k : p.keySet()) assertArrayEquals(p.get(k), q.get(k), k + " changed by a second initialize");
        // the last conv is zero-initialised: the output starts at 0 whatever the ActNorms
        for (float v : be.toHost(net.forward(x, Stash.none(), "net"))) assertEquals(0f, v);
        assertEquals("glow_actnorm", net.type());
    }

    @Test void defaultGlowNetHasNoActNormsAndItsConfigIsUnchanged() {
        GlowConvNet net = new GlowConvNet(be, "net.", 2, 4, 2, new SplittableRandom(1));
        assertEquals(6, net.params().size());
        for (Param p : net.params()) assertFalse(p.name().contains(".an"), p.name());
        assertEquals("glow", net.type());
        assertEquals(4, net.width());
        assertFalse(net.isInitialized());
    }

    @Test void couplingInitializeReachesTheConditionerAndFlagsSurviveACheckpointRebuild() {
        ImageAdditiveCoupling c = new ImageAdditiveCoupling(be, new int[] {4, 2, 2}, "channel", 0, "glow_actnorm", 3, 0, new SplittableRandom(2));
        SplittableRandom r = new SplittableRandom(4);
        float[] x = new float[5 * 16];
        for (int i = 0; i < x.length; i++) x[i] = (float) (1 + 2 * CpuBackend.gaussian(r));
        c.initialize(be.fromHost(x, 5, 4, 2, 2));
        Map<String, float[]> p = new HashMap<>();
        for (Param q : c.params()) p.put(q.name(), be.toHost(q.value()));
        assertArrayEquals(new float[] {1f}, p.get("net.an0.initialized"));
        assertArrayEquals(new float[] {1f}, p.get("net.an1.initialized"));
        assertTrue(Math.abs(p.get("net.an0.logs")[0]) > 1e-3, "an0 was set from the data");
        var rebuilt = Registry.transform(be, c.kind(), Registry.config(c));
        for (Param q : rebuilt.params()) be.upload(p.get(q.name()), q.value());
        for (int i = 0; i < x.length; i++) x[i] = -x[i] * 3;
        rebuilt.initialize(be.fromHost(x, 5, 4, 2, 2));
        for (Param q : rebuilt.params()) assertArrayEquals(p.get(q.name()), be.toHost(q.value()), q.name() + " re-initialised after loading");
    }
}
