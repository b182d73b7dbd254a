package dev.fluvia.train.targets;

import dev.fluvia.FluviaException.UnknownNameException;
import java.util.List;

/**
 * The built-in targets of {@code fluvia fit-target} (FLOWS.md extension "Reverse-KL targets"): the energy densities
 * U1–U4 of Rezende &amp; Mohamed (2015), {@code p̃ = exp(−U)}; a banana; a 4-component Gaussian mixture; and
 * {@code gauss:D}, a correlated D-dimensional Gaussian with exact log Z.
 */
public final class Targets {
    /** The names {@link #byName} accepts ({@code gauss:D}: D an integer in [1, 4096]). */
    public static final List<String> NAMES = List.of("u1", "u2", "u3", "u4", "banana", "mixture", "gauss:D");

    private Targets() {}

    /**
     * The built-in target of that name.
     *
     * @param name one of {@link #NAMES}, case-insensitive, surrounding blanks ignored
     * @return the target
     * @throws UnknownNameException for an unknown name or a bad {@code gauss:D}
     */
    public static Target byName(String name) {
        String n = name == null ? "" : name.trim().toLowerCase(java.util.Locale.ROOT);
        if (n.startsWith("gauss:")) {
            int d;
            try {
                d = Integer.parseInt(n.substring(6));
            } catch (NumberFormatException e) {
                throw new UnknownNameException("target '" + name + "': gauss:D needs an integer dimension D >= 1, e.g. gauss:4");
            }
            if (d < 1 || d > 4096) throw new UnknownNameException("target '" + name + "': D must be in [1, 4096]");
            return new GaussianTarget(d);
        }
        return switch (n) {
            case "u1", "u2", "u3", "u4" -> new EnergyTarget(n.charAt(1) - '0');
            case "banana" -> new BananaTarget();
            case "mixture" -> new MixtureTarget();
            default -> throw new UnknownNameException("unknown target '" + name + "' (known: " + String.join(", ", NAMES) + ")");
        };
    }

    /**
     * log ∫ p̃ over the target's 2-D view box by the midpoint rule on a {@code g × g} grid, in float64 with log-sum-exp
     * (the reference for the log Z estimates of targets without a closed form).
     *
     * @param t a 2-D target
     * @param g grid points per axis
     * @return log Z over the view box
     * @throws IllegalArgumentException when the target is not 2-D
     */
    public static double gridLogZ(Target t, int g) {
        if (t.dim() != 2) throw new IllegalArgumentException("gridLogZ: a 2-D target is needed, got D = " + t.dim());
        double[] v = t.view();
        double hx = (v[1] - v[0]) / g, hy = (v[3] - v[2]) / g;
        double[] x = new double[2 * g], lp = new double[g];
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        double[] all = new double[g * g];
        for (int r = 0; r < g; r++) {
            for (int c = 0; c < g; c++) {
                x[2 * c] = v[0] + (c + 0.5) * hx;
                x[2 * c + 1] = v[2] + (r + 0.5) * hy;
            }
            t.logDensity(x, g, lp, null);
            for (int c = 0; c < g; c++) { all[r * g + c] = lp[c]; max = Math.max(max, lp[c]); }
        }
        for (double a : all) sum += Math.exp(a - max);
        return max + Math.log(sum * hx * hy);
    }

    static double logAddExp(double a, double b) {
        double m = Math.max(a, b);
        if (m == Double.NEGATIVE_INFINITY) return m;
        return m + Math.log(Math.exp(a - m) + Math.exp(b - m));
    }
}
