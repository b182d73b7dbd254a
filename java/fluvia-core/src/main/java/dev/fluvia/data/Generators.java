package dev.fluvia.data;

import dev.fluvia.FluviaException.UnknownNameException;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The two-dimensional toy densities of the normalizing-flow literature (as used for the FFJORD / NSF toy
 * experiments). Every generator returns exactly {@code n} points, rows in random order, and is a pure function of
 * {@code (name, n, seed)}. Below, {@code N(0,1)} is a standard normal draw, {@code U(a,b)} a uniform draw.
 *
 * <ul>
 * <li>{@code moons} — two interleaved half circles. Half of the points lie on the upper unit half circle
 *     {@code (cos t, sin t)}, the other half on the lower one shifted right and down, {@code (1 − cos t, 0.5 − sin t)},
 *     with {@code t} evenly spaced over {@code [0, π]}; each point gets isotropic Gaussian noise of std 0.1
 *     (scikit-learn's {@code make_moons(noise=0.1)}, unscaled: the noiseless points fill {@code [−1, 2] × [−0.5, 1]};
 *     its differential entropy is about 1.007 nats, the reference the quality tests use).</li>
 * <li>{@code circles} — two concentric rings: half of the points evenly spaced in angle on the unit circle, half on
 *     the circle of radius 0.5, noise of std 0.08 per coordinate, then everything scaled by 3 (radii 3 and 1.5).</li>
 * <li>{@code 8gaussians} — a ring of eight Gaussian blobs. The centres are the eight compass directions on the
 *     unit circle ((±1, 0), (0, ±1), (±1/√2, ±1/√2)) scaled to radius 4; a point is a uniformly chosen centre plus
 *     {@code 0.5·N(0,1)} per coordinate, and the result is divided by √2 (≈ 1.414), so the centres sit at radius
 *     {@code 4/√2 ≈ 2.83} with per-blob std {@code 0.5/√2 ≈ 0.354}.</li>
 * <li>{@code checkerboard} — uniform on the dark squares of a 4×4 board: {@code u ~ U(−2, 2)};
 *     {@code v = U(0,1) − 2k} with {@code k} a fair 0/1 coin, then shifted up by 1 when {@code ⌊u⌋} is odd; the point
 *     is {@code 2·(u, v)}, so it lies in {@code [−4, 4]²} and only in cells where the parity of the two cell indices agrees.</li>
 * <li>{@code pinwheel} — five curved arms. For arm {@code c ∈ {0..4}} (points assigned round-robin), draw
 *     {@code r = 1 + 0.3·N(0,1)} (radial) and {@code s = 0.1·N(0,1)} (tangential); rotate the vector {@code (r, s)} by the
 *     angle {@code 2πc/5 + 0.25·exp(r)} (the growing twist makes the arms spiral) and scale by 2.</li>
 * <li>{@code 2spirals} — two interleaved spirals. Draw an angle {@code t = 3π·√U(0,1)} (1.5 turns, denser towards the
 *     tip); the first spiral's point is {@code (−t·cos t + 0.5·U(0,1), t·sin t + 0.5·U(0,1))}, the second spiral is the
 *     first reflected through the origin (half of the points each); everything is divided by 3 and gets
 *     {@code 0.1·N(0,1)} noise per coordinate.</li>
 * </ul>
 */
public final class Generators {
    /** Known generator names, in the order listed above. */
    public static final List<String> NAMES = List.of("moons", "circles", "8gaussians", "checkerboard", "pinwheel", "2spirals");

    private Generators() {}

    /**
     * {@code n} points of the named 2-D toy density; reproducible for a seed. Unknown names raise {@link UnknownNameException}.
     *
     * @param name one of {@link #NAMES}, case-insensitive, surrounding blanks ignored
     * @param n    the number of points (≥ 1)
     * @param seed the seed
     * @return n rows of 2 values, in shuffled order, named after the generator
     * @throws UnknownNameException for an unknown name
     * @throws IllegalArgumentException when {@code n < 1}
     */
    public static Dataset generate(String name, int n, long seed) {
        if (n < 1) throw new IllegalArgumentException("Generators: need at least 1 point, got " + n);
        String key = name == null ? "" : name.trim().toLowerCase(java.util.Locale.ROOT);
        SplittableRandom r = new SplittableRandom(seed);
        float[] xy = switch (key) {
            case "moons" -> moons(n, r);
            case "circles" -> circles(n, r);
            case "8gaussians" -> eightGaussians(n, r);
            case "checkerboard" -> checkerboard(n, r);
            case "pinwheel" -> pinwheel(n, r);
            case "2spirals" -> twoSpirals(n, r);
            default -> throw new UnknownNameException("unknown toy dataset '" + name + "' (known: " + String.join(", ", NAMES) + ")");
        };
        shuffleRows(xy, n, r);
        return new Dataset(key, xy, n, 2);
    }

    /** A standard normal draw (Box–Muller, one of the pair). */
    static double normal(SplittableRandom r) {
        double u1 = r.nextDouble(), u2 = r.nextDouble();
        if (u1 < Double.MIN_NORMAL) u1 = Double.MIN_NORMAL;
        return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }

    private static void put(float[] xy, int i, double x, double y) {
        xy[2 * i] = (float) x;
        xy[2 * i + 1] = (float) y;
    }

    private static float[] moons(int n, SplittableRandom r) {
        float[] xy = new float[2 * n];
        int upper = n / 2, lower = n - upper;
        for (int i = 0; i < n; i++) {
            boolean up = i < upper;
            int k = up ? i : i - upper, m = up ? upper : lower;
            double t = m == 1 ? 0 : Math.PI * k / (m - 1);
            double x = up ? Math.cos(t) : 1 - Math.cos(t), y = up ? Math.sin(t) : 0.5 - Math.sin(t);
            x += 0.1 * normal(r);
            y += 0.1 * normal(r);
            put(xy, i, x, y);
        }
        return xy;
    }

    private static float[] circles(int n, SplittableRandom r) {
        float[] xy = new float[2 * n];
        int outer = n / 2, inner = n - outer;
        for (int i = 0; i < n; i++) {
            boolean out = i < outer;
            int k = out ? i : i - outer, m = out ? outer : inner;
            double t = 2 * Math.PI * k / m, rad = out ? 1.0 : 0.5;
            double x = rad * Math.cos(t) + 0.08 * normal(r), y = rad * Math.sin(t) + 0.08 * normal(r);
            put(xy, i, 3 * x, 3 * y);
        }
        return xy;
    }

    private static float[] eightGaussians(int n, SplittableRandom r) {
        float[] xy = new float[2 * n];
        double h = 1 / Math.sqrt(2);
        double[][] dirs = {{1, 0}, {-1, 0}, {0, 1}, {0, -1}, {h, h}, {h, -h}, {-h, h}, {-h, -h}};
        for (int i = 0; i < n; i++) {
            double[] c = dirs[r.nextInt(8)];
            double x = 4 * c[0] + 0.5 * normal(r), y = 4 * c[1] + 0.5 * normal(r);
            put(xy, i, x / Math.sqrt(2), y / Math.sqrt(2));
        }
        return xy;
    }

    private static float[] checkerboard(int n, SplittableRandom r) {
        float[] xy = new float[2 * n];
        for (int i = 0; i < n; i++) {
            double u = r.nextDouble() * 4 - 2;
            double v = r.nextDouble() - 2 * r.nextInt(2);
            v += Math.floorMod((long) Math.floor(u), 2L);
            put(xy, i, 2 * u, 2 * v);
        }
        return xy;
    }

    private static float[] pinwheel(int n, SplittableRandom r) {
        float[] xy = new float[2 * n];
        int arms = 5;
        for (int i = 0; i < n; i++) {
            int c = i % arms;
            double rad = 1 + 0.3 * normal(r), tan = 0.1 * normal(r);
            double angle = 2 * Math.PI * c / arms + 0.25 * Math.exp(rad);
            double cos = Math.cos(angle), sin = Math.sin(angle);
            put(xy, i, 2 * (rad * cos - tan * sin), 2 * (rad * sin + tan * cos));
        }
        return xy;
    }

    private static float[] twoSpirals(int n, SplittableRandom r) {
        float[] xy = new float[2 * n];
        int first = n / 2;
        for (int i = 0; i < n; i++) {
            double t = 3 * Math.PI * Math.sqrt(r.nextDouble());
            double x = -Math.cos(t) * t + 0.5 * r.nextDouble(), y = Math.sin(t) * t + 0.5 * r.nextDouble();
            if (i >= first) { x = -x; y = -y; }
            put(xy, i, x / 3 + 0.1 * normal(r), y / 3 + 0.1 * normal(r));
        }
        return xy;
    }

    private static void shuffleRows(float[] xy, int n, SplittableRandom r) {
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            float a = xy[2 * i], b = xy[2 * i + 1];
            xy[2 * i] = xy[2 * j];
            xy[2 * i + 1] = xy[2 * j + 1];
            xy[2 * j] = a;
            xy[2 * j + 1] = b;
        }
    }
}
