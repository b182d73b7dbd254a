package dev.fluvia.plot;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Function;
import javax.imageio.ImageIO;

/** Two density heat maps of the same box in one PNG, left and right (fit-target: learned density beside the target's). */
public final class SideBySide {
    private SideBySide() {}

    /**
     * Renders {@link Plots#densityHeatmap} of both log-densities over the box {@code view = {xmin, xmax, ymin, ymax}} and
     * writes them next to each other into {@code png}.
     */
    public static void densities(Path png, String leftTitle, Function<float[], float[]> left, String rightTitle,
                                 Function<float[], float[]> right, double[] view, int resolution) throws IOException {
        Path dir = png.toAbsolutePath().getParent();
        Path a = Files.createTempFile(dir, ".left", ".png"), b = Files.createTempFile(dir, ".right", ".png");
        try {
            Plots.densityHeatmap(a, leftTitle, left, view[0], view[1], view[2], view[3], resolution);
            Plots.densityHeatmap(b, rightTitle, right, view[0], view[1], view[2], view[3], resolution);
            BufferedImage l = ImageIO.read(a.toFile()), r = ImageIO.read(b.toFile());
            BufferedImage out = new BufferedImage(l.getWidth() + r.getWidth(), Math.max(l.getHeight(), r.getHeight()), BufferedImage.TYPE_INT_RGB);
            Graphics2D g = out.createGraphics();
            try {
                g.setColor(Color.WHITE);
                g.fillRect(0, 0, out.getWidth(), out.getHeight());
                g.drawImage(l, 0, 0, null);
                g.drawImage(r, l.getWidth(), 0, null);
            } finally {
                g.dispose();
            }
            PngFiles.writeAtomically(out, png);
        } finally {
            Files.deleteIfExists(a);
            Files.deleteIfExists(b);
        }
    }

    /**
     * log of a normalised 2-D histogram of samples evaluated at the given grid-cell centres (a density estimate for
     * flows without a density of data, e.g. Sylvester): cells of a {@code cells × cells} grid over the view; empty cells
     * give −∞ (drawn as zero density).
     */
    public static float[] histogramLogDensity(float[] samples, int n, double[] view, int cells, float[] pts) {
        double hx = (view[1] - view[0]) / cells, hy = (view[3] - view[2]) / cells;
        long[] count = new long[cells * cells];
        for (int i = 0; i < n; i++) {
            int c = (int) Math.floor((samples[2 * i] - view[0]) / hx), r = (int) Math.floor((samples[2 * i + 1] - view[2]) / hy);
            if (c >= 0 && c < cells && r >= 0 && r < cells) count[r * cells + c]++;
        }
        float[] out = new float[pts.length / 2];
        for (int k = 0; k < out.length; k++) {
            int c = (int) Math.floor((pts[2 * k] - view[0]) / hx), r = (int) Math.floor((pts[2 * k + 1] - view[2]) / hy);
            c = Math.clamp(c, 0, cells - 1);
            r = Math.clamp(r, 0, cells - 1);
            long m = count[r * cells + c];
            out[k] = m == 0 ? Float.NEGATIVE_INFINITY : (float) Math.log(m / (n * hx * hy));
        }
        return out;
    }
}
