package dev.fluvia.plot;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fluvia.FluviaException;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The PNG figures: valid images of the stated size whose pixels show what the inputs say; bad input is typed. */
class PlotsTest {

    @TempDir Path dir;

    // ---------------------------------------------------------------- helpers

    static BufferedImage read(Path png) throws IOException {
        BufferedImage img = ImageIO.read(png.toFile());
        assertNotNull(img, "ImageIO could not decode " + png);
        assertEquals(Plots.WIDTH, img.getWidth());
        assertEquals(Plots.HEIGHT, img.getHeight());
        return img;
    }

    static int distinctColours(BufferedImage img) {
        Set<Integer> s = new HashSet<>();
        for (int y = 0; y < img.getHeight(); y += 2) for (int x = 0; x < img.getWidth(); x += 2) s.add(img.getRGB(x, y) & 0xFFFFFF);
        return s.size();
    }

    static int count(BufferedImage img, java.util.function.IntPredicate rgbTest) {
        int n = 0;
        for (int y = 0; y < img.getHeight(); y++) for (int x = 0; x < img.getWidth(); x++) if (rgbTest.test(img.getRGB(x, y))) n++;
        return n;
    }

    static int r(int rgb) { return (rgb >> 16) & 0xFF; }
    static int g(int rgb) { return (rgb >> 8) & 0xFF; }
    static int b(int rgb) { return rgb & 0xFF; }
    static double luminance(int rgb) { return 0.2126 * r(rgb) + 0.7152 * g(rgb) + 0.0722 * b(rgb); }

    static void assertNoTempFiles(Path d) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            List<Path> left = s.filter(p -> p.getFileName().toString().endsWith(".tmp")).toList();
            assertTrue(left.isEmpty(), "temporary files left behind: " + left);
        }
    }

    // ---------------------------------------------------------------- loss curves

    @Test
    void lossCurvesDrawsTrainAndValidationCurves() throws IOException {
        int n = 400;
        double[] ts = new double[n], tl = new double[n];
        SplittableRandom rng = new SplittableRandom(1);
        for (int i = 0; i < n; i++) { ts[i] = i; tl[i] = 3 * Math.exp(-i / 100.0) + 0.3 * rng.nextGaussian(); }
        double[] vs = {100, 200, 300, 399}, vl = {2.0, 1.4, 1.1, 1.0};
        Path png = dir.resolve("loss.png");
        Plots.lossCurves(png, "loss", ts, tl, vs, vl);
        BufferedImage img = read(png);
        assertTrue(distinctColours(img) > 20, "image is nearly flat");
        // dark blue EMA line (31,119,180) and red validation line (214,39,40) are both drawn
        int blue = count(img, c -> Math.abs(r(c) - 31) < 25 && Math.abs(g(c) - 119) < 25 && Math.abs(b(c) - 180) < 25);
        int red = count(img, c -> r(c) > 180 && g(c) < 90 && b(c) < 90);
        assertTrue(blue > 300, "EMA line pixels: " + blue);
        assertTrue(red > 100, "validation line pixels: " + red);
        assertNoTempFiles(dir);
    }

    @Test
    void lossCurvesSurvivesNonFiniteAndEmptyInputs() throws IOException {
        double[] ts = {0, 1, 2, 3, 4}, tl = {5, Double.NaN, Double.POSITIVE_INFINITY, 3, 2.5};
        Path a = dir.resolve("a.png");
        Plots.lossCurves(a, "nan", ts, tl, null, null, "bits/dim", 0.0);
        assertTrue(distinctColours(read(a)) > 10);

        Path b = dir.resolve("b.png");
        Plots.lossCurves(b, "all nan", new double[] {0, 1}, new double[] {Double.NaN, Double.NaN},
                new double[0], new double[0]);
        assertTrue(distinctColours(read(b)) > 5);
    }

    @Test
    void lossCurvesRejectsMismatchedLengthsAndBadSmoothing() {
        assertThrows(FluviaException.ShapeException.class, () -> Plots.lossCurves(dir.resolve("x.png"), "t",
                new double[] {0, 1}, new double[] {1}, null, null));
        assertThrows(FluviaException.ShapeException.class, () -> Plots.lossCurves(dir.resolve("x.png"), "t",
                new double[] {0}, new double[] {1}, new double[] {0, 1}, new double[] {1}));
        FluviaException e = assertThrows(FluviaException.class, () -> Plots.lossCurves(dir.resolve("x.png"), "t",
                new double[] {0}, new double[] {1}, null, null, "nll", 1.0));
        assertTrue(e.getMessage().contains("smoothing"));
        assertTrue(Files.notExists(dir.resolve("x.png")));
    }

    @Test
    void emaIsTheBiasCorrectedWeightedAverage() {
        double s = 0.8;
        double[] x = {3, -1, 4, 1, 5, 9, 2, 6};
        double[] got = Plots.ema(x, s);
        for (int t = 1; t <= x.length; t++) {
            double num = 0, den = 0;                        // independent form: sum_i s^(t-i) x_i / sum_i s^(t-i)
            for (int i = 1; i <= t; i++) { num += Math.pow(s, t - i) * x[i - 1]; den += Math.pow(s, t - i); }
            assertEquals(num / den, got[t - 1], 1e-12, "t=" + t);
        }
        assertArrayEquals(new double[] {7, 7, 7}, Plots.ema(new double[] {7, 7, 7}, 0.9), 1e-12);
    }

    // ---------------------------------------------------------------- density heat map

    /** log N(p; mean, sigma² I) in 2-D. */
    static Function<float[], float[]> gaussian(double mx, double my, double sigma, AtomicInteger calls) {
        return pts -> {
            calls.incrementAndGet();
            float[] out = new float[pts.length / 2];
            for (int k = 0; k < out.length; k++) {
                double dx = pts[2 * k] - mx, dy = pts[2 * k + 1] - my;
                out[k] = (float) (-(dx * dx + dy * dy) / (2 * sigma * sigma) - Math.log(2 * Math.PI * sigma * sigma));
            }
            return out;
        };
    }

    /** Bounding box {x0, y0, x1, y1} of the pixels in the left 85 % of the image that have the darkest colour-map colour. */
    static int[] darkBox(BufferedImage img) {
        int dark = ColorMap.argb(0) & 0xFFFFFF;
        int x0 = Integer.MAX_VALUE, y0 = Integer.MAX_VALUE, x1 = -1, y1 = -1;
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth() * 85 / 100; x++) {
                if ((img.getRGB(x, y) & 0xFFFFFF) == dark) {
                    x0 = Math.min(x0, x); y0 = Math.min(y0, y); x1 = Math.max(x1, x); y1 = Math.max(y1, y);
                }
            }
        }
        assertTrue(x1 > x0 + 200 && y1 > y0 + 200, "no plot area found");
        return new int[] {x0, y0, x1, y1};
    }

    @Test
    void heatmapOfCentredGaussianHasBrightCentreAndDarkCorners() throws IOException {
        AtomicInteger calls = new AtomicInteger();
        Path png = dir.resolve("heat.png");
        Plots.densityHeatmap(png, "gaussian", gaussian(0, 0, 0.6, calls), -3, 3, -3, 3, 80);
        assertEquals(1, calls.get(), "the density must be evaluated in one batched call");
        BufferedImage img = read(png);
        int[] box = darkBox(img);
        int cx = (box[0] + box[2]) / 2, cy = (box[1] + box[3]) / 2;
        int w = box[2] - box[0], h = box[3] - box[1];
        assertTrue(w > 400 && h > 350, "plot area too small: " + w + "x" + h);
        double centre = luminance(img.getRGB(cx, cy));
        assertTrue(centre > 180, "centre should be bright (yellow), luminance " + centre);
        int[][] corners = {{box[0] + w / 10, box[1] + h / 10}, {box[2] - w / 10, box[1] + h / 10},
                           {box[0] + w / 10, box[3] - h / 10}, {box[2] - w / 10, box[3] - h / 10}};
        for (int[] c : corners) {
            double l = luminance(img.getRGB(c[0], c[1]));
            assertTrue(l < 40, "corner " + c[0] + "," + c[1] + " should be dark, luminance " + l);
        }
        assertNoTempFiles(dir);
    }

    @Test
    void heatmapOrientationFollowsTheAxes() throws IOException {
        // Peak at (1.5, -1.5) on [-3,3]²: right of centre and BELOW centre on screen (y grows upward on the axis).
        Path png = dir.resolve("off.png");
        Plots.densityHeatmap(png, "offset", gaussian(1.5, -1.5, 0.4, new AtomicInteger()), -3, 3, -3, 3, 120);
        BufferedImage img = read(png);
        int[] box = darkBox(img);
        int bx = -1, by = -1;
        double best = -1;
        for (int y = box[1]; y <= box[3]; y++) {
            for (int x = box[0]; x <= box[2]; x++) {
                double l = luminance(img.getRGB(x, y));
                if (l > best) { best = l; bx = x; by = y; }
            }
        }
        double fx = (bx - box[0]) / (double) (box[2] - box[0]), fy = (by - box[1]) / (double) (box[3] - box[1]);
        assertEquals(0.75, fx, 0.03, "peak x fraction");
        assertEquals(0.75, fy, 0.03, "peak y fraction (from the top)");
    }

    @Test
    void heatmapGridPointsAreRowMajorCellCentres() throws IOException {
        float[][] seen = new float[1][];
        Plots.densityHeatmap(dir.resolve("g.png"), "grid", pts -> { seen[0] = pts.clone(); return new float[pts.length / 2]; },
                0, 4, 10, 12, 4);
        float[] p = seen[0];
        assertEquals(2 * 16, p.length);
        // k = r*4 + c: x = 0.5 + c, y = 10.25 + 0.5 r
        for (int r = 0; r < 4; r++) {
            for (int c = 0; c < 4; c++) {
                int k = r * 4 + c;
                assertEquals(0.5f + c, p[2 * k], 1e-6f);
                assertEquals(10.25f + 0.5f * r, p[2 * k + 1], 1e-6f);
            }
        }
    }

    @Test
    void heatmapDrawsNonFiniteLogDensityAsZero() throws IOException {
        AtomicInteger calls = new AtomicInteger();
        Function<float[], float[]> g = gaussian(0, 0, 1.0, calls);
        // NaN on the left half, +inf and -inf sprinkled on the right: no crash; the left half is drawn as zero density.
        Function<float[], float[]> broken = pts -> {
            float[] lp = g.apply(pts);
            for (int k = 0; k < lp.length; k++) {
                if (pts[2 * k] < 0) lp[k] = Float.NaN;
                else if (k % 7 == 0) lp[k] = Float.POSITIVE_INFINITY;
                else if (k % 11 == 0) lp[k] = Float.NEGATIVE_INFINITY;
            }
            return lp;
        };
        Path png = dir.resolve("nan.png");
        Plots.densityHeatmap(png, "nan", broken, -3, 3, -3, 3, 60);
        BufferedImage img = read(png);
        int[] box = darkBox(img);
        int w = box[2] - box[0], cy = (box[1] + box[3]) / 2;
        double leftMid = luminance(img.getRGB(box[0] + w / 2 - w / 12, cy));
        double rightMid = luminance(img.getRGB(box[0] + w / 2 + w / 12, cy));
        assertTrue(leftMid < 40, "NaN region should be dark: " + leftMid);
        assertTrue(rightMid > 120, "finite region near the mode should be bright: " + rightMid);

        Path all = dir.resolve("allnan.png");
        Plots.densityHeatmap(all, "all nan", pts -> { float[] o = new float[pts.length / 2]; java.util.Arrays.fill(o, Float.NaN); return o; },
                -1, 1, -1, 1, 10);
        read(all);
    }

    @Test
    void heatmapRejectsBadArguments() {
        Path png = dir.resolve("bad.png");
        Function<float[], float[]> ok = pts -> new float[pts.length / 2];
        assertThrows(FluviaException.ShapeException.class, () -> Plots.densityHeatmap(png, "t", pts -> new float[3], -1, 1, -1, 1, 10));
        assertThrows(FluviaException.ShapeException.class, () -> Plots.densityHeatmap(png, "t", pts -> null, -1, 1, -1, 1, 10));
        assertThrows(FluviaException.ShapeException.class, () -> Plots.densityHeatmap(png, "t", ok, -1, 1, -1, 1, 1));
        assertThrows(FluviaException.NonFiniteException.class, () -> Plots.densityHeatmap(png, "t", ok, Double.NaN, 1, -1, 1, 10));
        FluviaException e = assertThrows(FluviaException.class, () -> Plots.densityHeatmap(png, "t", ok, -1, 1, 2, 2, 10));
        assertTrue(e.getMessage().contains("y range"));
        assertTrue(Files.notExists(png));
    }

    // ---------------------------------------------------------------- samples over data

    static float[] ring(int n, double radius, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        float[] a = new float[2 * n];
        for (int i = 0; i < n; i++) {
            double t = rng.nextDouble(2 * Math.PI), rr = radius + 0.1 * rng.nextGaussian();
            a[2 * i] = (float) (rr * Math.cos(t));
            a[2 * i + 1] = (float) (rr * Math.sin(t));
        }
        return a;
    }

    @Test
    void samplesOverDataDrawsGreyDataAndColouredSamples() throws IOException {
        float[] data = ring(3000, 2, 1), samples = ring(1000, 2, 2);
        Path png = dir.resolve("s.png");
        Plots.samplesOverData(png, "ring", data, 3000, samples, 1000);
        BufferedImage img = read(png);
        int orange = count(img, c -> r(c) > 200 && r(c) - g(c) > 50 && r(c) - b(c) > 90);
        int grey = count(img, c -> r(c) < 225 && r(c) > 60 && Math.abs(r(c) - g(c)) < 6 && Math.abs(g(c) - b(c)) < 6);
        assertTrue(orange > 2000, "sample pixels: " + orange);
        assertTrue(grey > 2000, "data pixels: " + grey);
        assertNoTempFiles(dir);
    }

    @Test
    void samplesOverDataHandlesNonFiniteOutliersAndEmptyInput() throws IOException {
        float[] data = ring(500, 1, 3), samples = ring(200, 1, 4);
        samples[0] = Float.NaN; samples[3] = Float.POSITIVE_INFINITY; samples[10] = 1e30f;
        data[7] = Float.NEGATIVE_INFINITY;
        Path png = dir.resolve("nf.png");
        Plots.samplesOverData(png, "nonfinite", data, 500, samples, 200);
        assertTrue(distinctColours(read(png)) > 20);

        Path empty = dir.resolve("empty.png");
        Plots.samplesOverData(empty, "empty", new float[0], 0, new float[] {Float.NaN, 1}, 1);
        read(empty);
    }

    @Test
    void samplesOverDataRejectsShortArrays() {
        assertThrows(FluviaException.ShapeException.class,
                () -> Plots.samplesOverData(dir.resolve("x.png"), "t", new float[5], 3, new float[2], 1));
        assertThrows(FluviaException.ShapeException.class,
                () -> Plots.samplesOverData(dir.resolve("x.png"), "t", new float[6], 3, new float[2], -1));
    }

    @Test
    void writesReplaceAnExistingFile() throws IOException {
        Path png = dir.resolve("sub/dir/o.png");
        Plots.samplesOverData(png, "first", ring(50, 1, 5), 50, ring(50, 1, 6), 50);
        long first = Files.size(png);
        Plots.lossCurves(png, "second", new double[] {0, 1, 2}, new double[] {3, 2, 1}, null, null);
        read(png);
        assertTrue(Files.size(png) != first);
        assertNoTempFiles(png.getParent());
    }

    @Test
    void colorMapRunsDarkToBright() {
        double prev = -1;
        for (int i = 0; i <= 20; i++) {
            double l = luminance(ColorMap.argb(i / 20.0));
            assertTrue(l > prev, "luminance must increase monotonically");
            prev = l;
        }
        assertEquals(ColorMap.argb(0), ColorMap.argb(Double.NaN));
        assertEquals(ColorMap.argb(1), ColorMap.argb(5));
    }
}
