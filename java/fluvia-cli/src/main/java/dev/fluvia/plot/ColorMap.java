package dev.fluvia.plot;

import java.awt.Color;

/**
 * A perceptually uniform, colour-blind-friendly sequential colour map (viridis-like: dark purple → blue → green → yellow),
 * defined by nine anchor colours and linear interpolation between them.
 */
public final class ColorMap {

    /** Anchor colours at t = 0, 1/8, ..., 1 as 0xRRGGBB. */
    private static final int[] ANCHORS = {
        0x440154, 0x482878, 0x3E4989, 0x31688E, 0x26828E, 0x1F9E89, 0x35B779, 0x6DCD59, 0xFDE725,
    };

    private ColorMap() {}

    /**
     * The colour for a value {@code t} in [0, 1] as an opaque 0xFFRRGGBB ARGB int. Values below 0 (and NaN) map to the
     * darkest colour, values above 1 to the brightest.
     */
    public static int argb(double t) {
        if (!(t > 0)) t = 0;           // also catches NaN
        if (t > 1) t = 1;
        double pos = t * (ANCHORS.length - 1);
        int i = Math.min((int) pos, ANCHORS.length - 2);
        double f = pos - i;
        int a = ANCHORS[i], b = ANCHORS[i + 1];
        int r = lerp((a >> 16) & 0xFF, (b >> 16) & 0xFF, f);
        int g = lerp((a >> 8) & 0xFF, (b >> 8) & 0xFF, f);
        int bl = lerp(a & 0xFF, b & 0xFF, f);
        return 0xFF000000 | (r << 16) | (g << 8) | bl;
    }

    /** The colour for {@code t} as an AWT colour; see {@link #argb(double)}. */
    public static Color color(double t) {
        return new Color(argb(t), false);
    }

    private static int lerp(int a, int b, double f) {
        return (int) Math.round(a + (b - a) * f);
    }
}
