package dev.fluvia.backend;

import static org.junit.jupiter.api.Assertions.fail;

import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.oracle.ResidualHostOracle;
import dev.fluvia.tensor.Tensor;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The residual ops ({@code be.residual()}) against {@link ResidualHostOracle}, the float64 per-sample host code the layers
 * ran before the op family: outputs, log-dets and every gradient (input and parameters, both directions), with the
 * accumulated arguments starting from non-zero values. The ops compute in float64 and round to float32 once, so the
 * tolerance is float32 rounding: {@code 1e-6 + 1e-6·|ref|} (batches of 70 and 130 rows cross the 64-row chunks of the
 * parameter-gradient partials). {@link #check} takes the backend, so a device run can call it unchanged.
 */
class ResidualOpsTest {
    private CpuBackend be;

    @BeforeEach void open() { be = new CpuBackend(2); }

    @AfterEach void close() { be.close(); }

    private static float[] rand(SplittableRandom r, int n, double lo, double hi) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (lo + (hi - lo) * r.nextDouble());
        return a;
    }

    private static void close(String what, float[] got, float[] start, double[] ref) {
        for (int i = 0; i < ref.length; i++) {
            double g = (double) got[i] - (start == null ? 0 : start[i]);
            if (!(Math.abs(g - ref[i]) <= 1e-6 + 1e-6 * Math.abs(ref[i]) + (start == null ? 0 : 6e-8 * Math.abs(got[i]))))
                fail(what + "[" + i + "]: got " + g + ", oracle " + ref[i]);
        }
    }

    @ParameterizedTest(name = "planar D={0} N={1} variant {2}")
    @CsvSource({"1, 5, 0", "3, 70, 1", "7, 130, 2", "2, 64, 0"})
    void planar(int d, int n, int variant) { planarCheck(be, d, n, variant); }

    @ParameterizedTest(name = "radial D={0} N={1} beta_raw {2}")
    @CsvSource({"1, 5, 0.3", "3, 70, -4", "7, 130, 3"})
    void radial(int d, int n, float betaRaw) { radialCheck(be, d, n, betaRaw); }

    @ParameterizedTest(name = "sylvester D={0} K={1} N={2}")
    @CsvSource({"1, 1, 5", "3, 2, 70", "5, 5, 66", "4, 7, 9"})
    void sylvester(int d, int k, int n) { sylvesterCheck(be, d, k, n); }

    /** Planar at one size; variant 0 random, 1 near the invertibility boundary (wᵀû ≈ −0.9975), 2 large u. */
    static void planarCheck(Backend be, int d, int n, int variant) {
        SplittableRandom r = new SplittableRandom(31L * d + n + variant);
        float[] w = rand(r, d, -1, 1), u = rand(r, d, -1, 1), b = rand(r, 1, -1, 1);
        double n2 = 0;
        for (float v : w) n2 += (double) v * v;
        for (int j = 0; j < d; j++) u[j] = variant == 1 ? (float) (-6 * w[j] / n2 + 0.05 * u[j]) : variant == 2 ? 8 * u[j] : u[j];
        for (boolean inv : new boolean[] {false, true}) {
            String dir = inv ? "planarInverse" : "planarForward";
            float[] in = rand(r, n * d, -3, 3), ld0 = rand(r, n, -2, 2), g = rand(r, n * d, -1, 1), gl = rand(r, n, -1, 1);
            float[] gu0 = rand(r, d, -1, 1), gw0 = rand(r, d, -1, 1), gb0 = rand(r, 1, -1, 1);
            Tensor x = be.fromHost(in, n, d), out = be.alloc(n, d), ld = be.fromHost(ld0, n), tu = be.fromHost(u, d), tw = be.fromHost(w, d),
                    tb = be.fromHost(b, 1);
            if (inv) be.residual().planarInverse(x, tu, tw, tb, out, ld);
            else be.residual().planarForward(x, tu, tw, tb, out, ld);
            double[][] ref = ResidualHostOracle.planar(u, w, b[0], in, n, inv);
            close(dir + " out", be.toHost(out), null, ref[0]);
            close(dir + " ld", be.toHost(ld), ld0, ref[1]);
            Tensor gin = be.fromHost(g, n, d), gout = be.alloc(n, d), tgl = be.fromHost(gl, n), gu = be.fromHost(gu0, d), gw = be.fromHost(gw0, d),
                    gb = be.fromHost(gb0, 1);
            if (inv) be.residual().planarInverseBackward(x, tu, tw, tb, gin, tgl, gout, gu, gw, gb);
            else be.residual().planarBackward(x, tu, tw, tb, gin, tgl, gout, gu, gw, gb);
            double[][] gref = ResidualHostOracle.planarBackward(u, w, b[0], in, g, gl, n, inv);
            close(dir + " backward gin", be.toHost(gout), null, gref[0]);
            close(dir + " backward gu", be.toHost(gu), gu0, gref[1]);
            close(dir + " backward gw", be.toHost(gw), gw0, gref[2]);
            close(dir + " backward gb", be.toHost(gb), gb0, gref[3]);
        }
    }

    /** Radial at one size, with one row exactly on z0 (radius 0). */
    static void radialCheck(Backend be, int d, int n, float betaRaw) {
        SplittableRandom r = new SplittableRandom(17L * d + n);
        float[] z0 = rand(r, d, -1, 1), ar = rand(r, 1, -1, 1), br = {betaRaw};
        for (boolean inv : new boolean[] {false, true}) {
            String dir = inv ? "radialInverse" : "radialForward";
            float[] in = rand(r, n * d, -3, 3), ld0 = rand(r, n, -2, 2), g = rand(r, n * d, -1, 1), gl = rand(r, n, -1, 1);
            System.arraycopy(z0, 0, in, 0, d);
            float[] gz00 = rand(r, d, -1, 1), ga0 = rand(r, 1, -1, 1), gb0 = rand(r, 1, -1, 1);
            Tensor x = be.fromHost(in, n, d), out = be.alloc(n, d), ld = be.fromHost(ld0, n), tz = be.fromHost(z0, d), ta = be.fromHost(ar, 1),
                    tb = be.fromHost(br, 1);
            if (inv) be.residual().radialInverse(x, tz, ta, tb, out, ld);
            else be.residual().radialForward(x, tz, ta, tb, out, ld);
            double[][] ref = ResidualHostOracle.radial(z0, ar[0], br[0], in, n, inv);
            close(dir + " out", be.toHost(out), null, ref[0]);
            close(dir + " ld", be.toHost(ld), ld0, ref[1]);
            Tensor gin = be.fromHost(g, n, d), gout = be.alloc(n, d), tgl = be.fromHost(gl, n), gz0 = be.fromHost(gz00, d), ga = be.fromHost(ga0, 1),
                    gb = be.fromHost(gb0, 1);
            if (inv) be.residual().radialInverseBackward(x, tz, ta, tb, gin, tgl, gout, gz0, ga, gb);
            else be.residual().radialBackward(x, tz, ta, tb, gin, tgl, gout, gz0, ga, gb);
            double[][] gref = ResidualHostOracle.radialBackward(z0, ar[0], br[0], in, g, gl, n, inv);
            close(dir + " backward gin", be.toHost(gout), null, gref[0]);
            close(dir + " backward gz0", be.toHost(gz0), gz00, gref[1]);
            close(dir + " backward galpha", be.toHost(ga), ga0, gref[2]);
            close(dir + " backward gbeta", be.toHost(gb), gb0, gref[3]);
        }
    }

    /** Sylvester (generative direction) at one size; K may exceed D. */
    static void sylvesterCheck(Backend be, int d, int k, int n) {
        SplittableRandom r = new SplittableRandom(13L * d + 7L * k + n);
        float[] v = rand(r, k * d, -1, 1), rr = rand(r, d * d, -1, 1), rt = rand(r, d * d, -1, 1), b = rand(r, d, -1, 1);
        float[] in = rand(r, n * d, -3, 3), ld0 = rand(r, n, -2, 2), g = rand(r, n * d, -1, 1), gl = rand(r, n, -1, 1);
        Tensor z = be.fromHost(in, n, d), out = be.alloc(n, d), ld = be.fromHost(ld0, n), tv = be.fromHost(v, k, d), tr = be.fromHost(rr, d, d),
                trt = be.fromHost(rt, d, d), tb = be.fromHost(b, d);
        be.residual().sylvesterInverse(z, tv, tr, trt, tb, out, ld);
        double[][] ref = ResidualHostOracle.sylvester(v, rr, rt, b, k, in, n);
        close("sylvesterInverse x", be.toHost(out), null, ref[0]);
        close("sylvesterInverse ld", be.toHost(ld), ld0, ref[1]);
        float[] gv0 = rand(r, k * d, -1, 1), gr0 = rand(r, d * d, -1, 1), grt0 = rand(r, d * d, -1, 1), gb0 = rand(r, d, -1, 1);
        Tensor gx = be.fromHost(g, n, d), gz = be.alloc(n, d), tgl = be.fromHost(gl, n), gv = be.fromHost(gv0, k, d), gr = be.fromHost(gr0, d, d),
                grt = be.fromHost(grt0, d, d), gb = be.fromHost(gb0, d);
        be.residual().sylvesterInverseBackward(z, tv, tr, trt, tb, gx, tgl, gz, gv, gr, grt, gb);
        double[][] gref = ResidualHostOracle.sylvesterBackward(v, rr, rt, b, k, in, g, gl, n);
        close("sylvesterInverseBackward gz", be.toHost(gz), null, gref[0]);
        close("sylvesterInverseBackward gv", be.toHost(gv), gv0, gref[1]);
        close("sylvesterInverseBackward gr", be.toHost(gr), gr0, gref[2]);
        close("sylvesterInverseBackward grt", be.toHost(grt), grt0, gref[3]);
        close("sylvesterInverseBackward gb", be.toHost(gb), gb0, gref[4]);
    }
}
