package dev.fluvia.plot;

import static org.junit.jupiter.api.Assertions.*;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 10, plots: a few outliers (as in real 2-D data such as zip-code locations) must not set the axes of the density
 * and scatter plots, and a validation blow-up must not flatten the training curve.
 */
class RobustPlotsTest {
    @TempDir Path dir;

    /** 10,000 points from N(0, 1)² plus 20 outliers at ±200 (0.2 %, inside the 0.5 % tails). */
    static float[] withOutliers() {
        SplittableRandom r = new SplittableRandom(7);
        int n = 10_020;
        float[] xy = new float[2 * n];
        for (int i = 0; i < 10_000; i++) {
            xy[2 * i] = (float) gauss(r);
            xy[2 * i + 1] = (float) (0.5 * gauss(r));
        }
        for (int i = 10_000; i < n; i++) {
            xy[2 * i] = (i % 2 == 0 ? 200f : -200f);
            xy[2 * i + 1] = (i % 3 == 0 ? 150f : -180f);
        }
        return xy;
    }

    static double gauss(SplittableRandom r) {
        return Math.sqrt(-2 * Math.log(1 - r.nextDouble())) * Math.cos(2 * Math.PI * r.nextDouble());
    }

    @Test void theViewIsSetByQuantilesNotByOutliers() {
        float[] xy = withOutliers();
        double[] v = Plots.robustView(xy, xy.length / 2);
        // 0.5–99.5 % of N(0,1) is ±2.58; of N(0, 0.5²) ±1.29; padded by 10 % of the range on each side
        assertEquals(-2.58 * 1.2, v[0], 0.35);
        assertEquals(2.58 * 1.2, v[1], 0.35);
        assertEquals(-1.29 * 1.2, v[2], 0.2);
        assertEquals(1.29 * 1.2, v[3], 0.2);
        // non-finite points are ignored; nothing finite gives the unit box
        float[] nan = {Float.NaN, 1f, 2f, Float.POSITIVE_INFINITY};
        assertArrayEquals(new double[] {-1, 1, -1, 1}, Plots.robustView(nan, 2));
        assertEquals(0.5, Plots.quantile(new double[] {0, 1}, 0.5), 1e-12);
    }

    @Test void theLossRangeFollowsTheTrainingCurve() {
        double[] train = new double[500];
        for (int i = 0; i < train.length; i++) train[i] = 1 + Math.exp(-i / 50.0) + (i == 300 ? 1e4 : 0);   // one raw spike
        double[] val = {1.8, 1.3, 1.1, 1.05, 5e6, Double.NaN};                                            // a blow-up
        double[] r = Plots.lossYRange(train, val);
        assertTrue(r[0] < 1.0 && r[0] > 0.8, "bottom " + r[0]);
        assertTrue(r[1] < 2.5 && r[1] >= 1.9, "top " + r[1]);   // neither the spike nor the blow-up
        assertArrayEquals(new double[] {0, 1}, Plots.lossYRange(null, new double[] {Double.NaN}));
    }

    @Test void pngsAreWrittenWithTheRobustView() throws IOException {
        float[] xy = withOutliers();
        int n = xy.length / 2;
        double[] v = Plots.robustView(xy, n);
        Path density = dir.resolve("density.png"), samples = dir.resolve("samples.png"), loss = dir.resolve("loss.png");
        Plots.densityHeatmap(density, "outliers", pts -> {
            float[] lp = new float[pts.length / 2];
            for (int k = 0; k < lp.length; k++) {
                double x = pts[2 * k], y = pts[2 * k + 1];
                lp[k] = (float) (-0.5 * x * x - 2 * y * y - Math.log(2 * Math.PI * 0.5));
            }
            return lp;
        }, v[0], v[1], v[2], v[3], 120);
        Plots.samplesOverData(samples, "outliers", xy, n, xy, 2000);
        double[] steps = new double[400], train = new double[400];
        for (int i = 0; i < 400; i++) { steps[i] = i + 1; train[i] = 1 + Math.exp(-i / 40.0); }
        Plots.lossCurves(loss, "blow-up", steps, train, new double[] {100, 200, 300, 400}, new double[] {1.5, 1.1, 1.2, 900});
        for (Path p : new Path[] {density, samples, loss}) {
            BufferedImage img = ImageIO.read(p.toFile());
            assertNotNull(img, p.toString());
            assertEquals(Plots.WIDTH, img.getWidth());
            assertTrue(Files.size(p) > 5000, p + " " + Files.size(p));
        }
        String keep = System.getProperty("fluvia.plots.keep");
        if (keep != null)
            for (Path p : new Path[] {density, samples, loss}) Files.copy(p, Path.of(keep).resolve(p.getFileName()),
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
}
