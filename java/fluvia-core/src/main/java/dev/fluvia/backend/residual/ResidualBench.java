package dev.fluvia.backend.residual;

import static dev.fluvia.backend.check.KernelCase.rand;

import dev.fluvia.backend.check.FamilyBench;
import dev.fluvia.backend.check.KernelCase;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The residual family's validate-and-benchmark entries (kernels/residual.cu against {@link CpuResidual}). Every op at odd
 * sizes; the planar parameters range from a mild map to one near the invertibility boundary ({@code wᵀû} close to −1, a
 * stiff root find), the radial ones from a strong contraction ({@code β ≈ −α}) to an expansion, and one row of each radial
 * batch sits exactly on {@code z0} (radius 0). Both sides compute in float64, so the element-wise tolerance
 * (1e-5 + 1e-4·|ref|) holds with room to spare; the parameter gradients are sums over the batch in a fixed order.
 */
public final class ResidualBench implements FamilyBench {
    @Override public String family() { return "residual"; }

    /** D × N of the planar and radial entries, and D × K × N of the Sylvester ones (odd, not multiples of 32). */
    static final int[] DIMS = {2, 3, 63}, BATCHES = {1, 37, 333}, SYL_DIMS = {2, 3, 17}, SYL_BATCHES = {1, 37, 131};

    /** Planar u, w for variant v: 0 random, 1 wᵀu ≈ −6 (c ≈ −0.9975), 2 large u (c ≫ 1). */
    static float[][] planarParams(SplittableRandom rng, int d, int variant) {
        float[] w = rand(rng, d, -1, 1), u = rand(rng, d, -1, 1);
        if (variant == 1) {
            double n2 = 0;
            for (float v : w) n2 += (double) v * v;
            for (int j = 0; j < d; j++) u[j] = (float) (-6 * w[j] / n2 + 0.05 * u[j]);
        } else if (variant == 2) {
            for (int j = 0; j < d; j++) u[j] *= 8;
        }
        return new float[][] {u, w, rand(rng, 1, -1, 1)};
    }

    /** Rows uniform in [−3, 3] with row 0 set to {@code center} when given. */
    static float[] rows(SplittableRandom rng, int n, int d, float[] center) {
        float[] x = rand(rng, n * d, -3, 3);
        if (center != null) System.arraycopy(center, 0, x, 0, d);
        return x;
    }

    @Override public List<KernelCase> parity(SplittableRandom rng) {
        List<KernelCase> cs = new ArrayList<>();
        int variant = 0;
        for (int d : DIMS) for (int n : BATCHES) {
            int v = variant++ % 3;
            String nd = n + "x" + d + " v" + v;
            float[][] pp = planarParams(rng, d, v);
            for (boolean gen : new boolean[] {false, true}) {
                String fwd = gen ? "planarInverse" : "planarForward", bwd = gen ? "planarInverseBackward" : "planarBackward";
                String in = gen ? "z" : "x", out = gen ? "x" : "z", gin = gen ? "gx" : "gz", gout = gen ? "gz" : "gx";
                cs.add(KernelCase.of(fwd, nd).in(in, rows(rng, n, d, null), n, d).in("u", pp[0], d).in("w", pp[1], d).in("b", pp[2], 1)
                        .out(out, n, d).acc("ld", rand(rng, n, -5, 5), n)
                        .run((be, a) -> {
                            if (gen) be.residual().planarInverse(a.t(in), a.t("u"), a.t("w"), a.t("b"), a.t(out), a.t("ld"));
                            else be.residual().planarForward(a.t(in), a.t("u"), a.t("w"), a.t("b"), a.t(out), a.t("ld"));
                        }));
                cs.add(KernelCase.of(bwd, nd).in(in, rows(rng, n, d, null), n, d).in("u", pp[0], d).in("w", pp[1], d).in("b", pp[2], 1)
                        .in(gin, rand(rng, n * d, -1, 1), n, d).in("gLd", rand(rng, n, -1, 1), n).out(gout, n, d)
                        .acc("gu", rand(rng, d, -1, 1), d).acc("gw", rand(rng, d, -1, 1), d).acc("gb", rand(rng, 1, -1, 1), 1)
                        .run((be, a) -> {
                            if (gen) be.residual().planarInverseBackward(a.t(in), a.t("u"), a.t("w"), a.t("b"), a.t(gin), a.t("gLd"), a.t(gout),
                                    a.t("gu"), a.t("gw"), a.t("gb"));
                            else be.residual().planarBackward(a.t(in), a.t("u"), a.t("w"), a.t("b"), a.t(gin), a.t("gLd"), a.t(gout),
                                    a.t("gu"), a.t("gw"), a.t("gb"));
                        }));
            }
            // radial: β̂ = −4 (β ≈ −α, contraction), random, 3 (expansion)
            float[] z0 = rand(rng, d, -1, 1), ar = rand(rng, 1, -1, 1), br = {v == 0 ? -4f : v == 1 ? rand(rng, 1, -1, 1)[0] : 3f};
            for (boolean gen : new boolean[] {false, true}) {
                String fwd = gen ? "radialInverse" : "radialForward", bwd = gen ? "radialInverseBackward" : "radialBackward";
                String in = gen ? "z" : "x", out = gen ? "x" : "z", gin = gen ? "gx" : "gz", gout = gen ? "gz" : "gx";
                cs.add(KernelCase.of(fwd, nd).in(in, rows(rng, n, d, z0), n, d).in("z0", z0, d).in("alphaRaw", ar, 1).in("betaRaw", br, 1)
                        .out(out, n, d).acc("ld", rand(rng, n, -5, 5), n)
                        .run((be, a) -> {
                            if (gen) be.residual().radialInverse(a.t(in), a.t("z0"), a.t("alphaRaw"), a.t("betaRaw"), a.t(out), a.t("ld"));
                            else be.residual().radialForward(a.t(in), a.t("z0"), a.t("alphaRaw"), a.t("betaRaw"), a.t(out), a.t("ld"));
                        }));
                cs.add(KernelCase.of(bwd, nd).in(in, rows(rng, n, d, z0), n, d).in("z0", z0, d).in("alphaRaw", ar, 1).in("betaRaw", br, 1)
                        .in(gin, rand(rng, n * d, -1, 1), n, d).in("gLd", rand(rng, n, -1, 1), n).out(gout, n, d)
                        .acc("gz0", rand(rng, d, -1, 1), d).acc("galpha", rand(rng, 1, -1, 1), 1).acc("gbeta", rand(rng, 1, -1, 1), 1)
                        .run((be, a) -> {
                            if (gen) be.residual().radialInverseBackward(a.t(in), a.t("z0"), a.t("alphaRaw"), a.t("betaRaw"), a.t(gin), a.t("gLd"),
                                    a.t(gout), a.t("gz0"), a.t("galpha"), a.t("gbeta"));
                            else be.residual().radialBackward(a.t(in), a.t("z0"), a.t("alphaRaw"), a.t("betaRaw"), a.t(gin), a.t("gLd"),
                                    a.t(gout), a.t("gz0"), a.t("galpha"), a.t("gbeta"));
                        }));
            }
        }
        variant = 0;
        for (int d : SYL_DIMS) for (int n : SYL_BATCHES) {
            int k = switch (variant++ % 3) { case 0 -> 1; case 1 -> Math.max(1, d / 2); default -> d; };
            cs.addAll(sylvester(rng, n, d, k, false));
        }
        return cs;
    }

    /** sylvesterInverse and sylvesterInverseBackward at n × d with k reflections (raw triangles in [−1, 1]). */
    private static List<KernelCase> sylvester(SplittableRandom rng, int n, int d, int k, boolean bench) {
        String nd = n + "x" + d + " K" + k;
        float[] v = rand(rng, k * d, -1, 1), r = rand(rng, d * d, -1, 1), rt = rand(rng, d * d, -1, 1), b = rand(rng, d, -1, 1);
        double nd1 = (double) n * d, dd = (double) d * d;
        List<KernelCase> cs = new ArrayList<>();
        KernelCase.Builder inv = KernelCase.of("sylvesterInverse", nd).in("z", rand(rng, n * d, -3, 3), n, d).in("v", v, k, d)
                .in("r", r, d, d).in("rt", rt, d, d).in("b", b, d).out("x", n, d).acc("ld", bench ? new float[n] : rand(rng, n, -5, 5), n);
        KernelCase.Builder bwd = KernelCase.of("sylvesterInverseBackward", nd).in("z", rand(rng, n * d, -3, 3), n, d).in("v", v, k, d)
                .in("r", r, d, d).in("rt", rt, d, d).in("b", b, d).in("gx", rand(rng, n * d, -1, 1), n, d).in("gLd", rand(rng, n, -1, 1), n)
                .out("gz", n, d).acc("gv", rand(rng, k * d, -1, 1), k, d).acc("gr", rand(rng, d * d, -1, 1), d, d)
                .acc("grt", rand(rng, d * d, -1, 1), d, d).acc("gb", rand(rng, d, -1, 1), d);
        if (bench) {
            // bytes: z, x, ld (+ gx, gz, gLd, the rows' 7D doubles written and read); FLOPs: Qᵀz, R̃s, Rh, Qp (4D² per row), the
            // backward about 3× that plus 3 outer products per row (6D²) and the Householder chain (8KD² once)
            inv.traffic(4 * (2 * nd1 + n) + 8 * nd1, nd1 * 2 * (3 * d));
            bwd.traffic(4 * (3 * nd1 + n) + 8 * 2 * 7 * nd1, nd1 * 2 * (6 * d) + 6 * n * dd + 8.0 * k * dd);
        }
        cs.add(inv.run((be, a) -> be.residual().sylvesterInverse(a.t("z"), a.t("v"), a.t("r"), a.t("rt"), a.t("b"), a.t("x"), a.t("ld"))));
        cs.add(bwd.run((be, a) -> be.residual().sylvesterInverseBackward(a.t("z"), a.t("v"), a.t("r"), a.t("rt"), a.t("b"), a.t("gx"),
                a.t("gLd"), a.t("gz"), a.t("gv"), a.t("gr"), a.t("grt"), a.t("gb"))));
        return cs;
    }

    @Override public List<KernelCase> bench(int n, SplittableRandom rng) {
        int d = 64;
        String nd = n + "x" + d;
        double nd1 = (double) n * d, f = 4.0;
        float[][] pp = planarParams(rng, d, 0);
        float[] z0 = rand(rng, d, -1, 1), ar = {0.3f}, br = {0.2f};
        List<KernelCase> cs = new ArrayList<>();
        // planar: read in, write out (+ ld); FLOPs 6 per element (dot, axpy) + ~20 transcendental per row for the root find
        cs.add(KernelCase.of("planarForward", nd).in("x", rand(rng, n * d, -3, 3), n, d).in("u", pp[0], d).in("w", pp[1], d).in("b", pp[2], 1)
                .out("z", n, d).acc("ld", new float[n], n).traffic(f * (2 * nd1 + 2.0 * n), 6 * nd1 + 200.0 * n)
                .run((be, a) -> be.residual().planarForward(a.t("x"), a.t("u"), a.t("w"), a.t("b"), a.t("z"), a.t("ld"))));
        cs.add(KernelCase.of("planarInverse", nd).in("z", rand(rng, n * d, -3, 3), n, d).in("u", pp[0], d).in("w", pp[1], d).in("b", pp[2], 1)
                .out("x", n, d).acc("ld", new float[n], n).traffic(f * (2 * nd1 + 2.0 * n), 6 * nd1 + 20.0 * n)
                .run((be, a) -> be.residual().planarInverse(a.t("z"), a.t("u"), a.t("w"), a.t("b"), a.t("x"), a.t("ld"))));
        for (boolean gen : new boolean[] {false, true}) {
            String in = gen ? "z" : "x", gin = gen ? "gx" : "gz", gout = gen ? "gz" : "gx";
            cs.add(KernelCase.of(gen ? "planarInverseBackward" : "planarBackward", nd).in(in, rand(rng, n * d, -3, 3), n, d).in("u", pp[0], d)
                    .in("w", pp[1], d).in("b", pp[2], 1).in(gin, rand(rng, n * d, -1, 1), n, d).in("gLd", rand(rng, n, -1, 1), n).out(gout, n, d)
                    .acc("gu", new float[d], d).acc("gw", new float[d], d).acc("gb", new float[1], 1)
                    .traffic(f * (3 * nd1 + n), 12 * nd1 + (gen ? 20.0 : 200.0) * n)
                    .run((be, a) -> {
                        if (gen) be.residual().planarInverseBackward(a.t(in), a.t("u"), a.t("w"), a.t("b"), a.t(gin), a.t("gLd"), a.t(gout),
                                a.t("gu"), a.t("gw"), a.t("gb"));
                        else be.residual().planarBackward(a.t(in), a.t("u"), a.t("w"), a.t("b"), a.t(gin), a.t("gLd"), a.t(gout),
                                a.t("gu"), a.t("gw"), a.t("gb"));
                    }));
        }
        cs.add(KernelCase.of("radialForward", nd).in("x", rand(rng, n * d, -3, 3), n, d).in("z0", z0, d).in("alphaRaw", ar, 1).in("betaRaw", br, 1)
                .out("z", n, d).acc("ld", new float[n], n).traffic(f * (2 * nd1 + 2.0 * n), 6 * nd1 + 30.0 * n)
                .run((be, a) -> be.residual().radialForward(a.t("x"), a.t("z0"), a.t("alphaRaw"), a.t("betaRaw"), a.t("z"), a.t("ld"))));
        cs.add(KernelCase.of("radialInverse", nd).in("z", rand(rng, n * d, -3, 3), n, d).in("z0", z0, d).in("alphaRaw", ar, 1).in("betaRaw", br, 1)
                .out("x", n, d).acc("ld", new float[n], n).traffic(f * (2 * nd1 + 2.0 * n), 6 * nd1 + 30.0 * n)
                .run((be, a) -> be.residual().radialInverse(a.t("z"), a.t("z0"), a.t("alphaRaw"), a.t("betaRaw"), a.t("x"), a.t("ld"))));
        for (boolean gen : new boolean[] {false, true}) {
            String in = gen ? "z" : "x", gin = gen ? "gx" : "gz", gout = gen ? "gz" : "gx";
            cs.add(KernelCase.of(gen ? "radialInverseBackward" : "radialBackward", nd).in(in, rand(rng, n * d, -3, 3), n, d).in("z0", z0, d)
                    .in("alphaRaw", ar, 1).in("betaRaw", br, 1).in(gin, rand(rng, n * d, -1, 1), n, d).in("gLd", rand(rng, n, -1, 1), n)
                    .out(gout, n, d).acc("gz0", new float[d], d).acc("galpha", new float[1], 1).acc("gbeta", new float[1], 1)
                    .traffic(f * (3 * nd1 + n), 12 * nd1 + 60.0 * n)
                    .run((be, a) -> {
                        if (gen) be.residual().radialInverseBackward(a.t(in), a.t("z0"), a.t("alphaRaw"), a.t("betaRaw"), a.t(gin), a.t("gLd"),
                                a.t(gout), a.t("gz0"), a.t("galpha"), a.t("gbeta"));
                        else be.residual().radialBackward(a.t(in), a.t("z0"), a.t("alphaRaw"), a.t("betaRaw"), a.t(gin), a.t("gLd"),
                                a.t(gout), a.t("gz0"), a.t("galpha"), a.t("gbeta"));
                    }));
        }
        cs.addAll(sylvester(rng, n, 32, 32, true));
        return cs;
    }
}
