package dev.fluvia.plot;

import dev.fluvia.FluviaException;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.function.Function;
import org.knowm.xchart.AnnotationText;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * PNG figures for the {@code fluvia} CLI: loss curves, 2-D density heat maps and samples-over-data scatter plots.
 *
 * <p>Every function is a pure function of plain arrays (no dependency on training code), renders headless with XChart,
 * and writes its PNG atomically (temporary file in the target directory, then an atomic rename). Non-finite values in the
 * inputs never crash a plot: they are left out of lines and scatters (and counted in the legend), and a non-finite
 * log-density is drawn as zero density. Inconsistent array lengths raise {@link FluviaException.ShapeException}.
 */
public final class Plots {

    static {
        System.setProperty("java.awt.headless", "true");
    }

    /** Figure width in pixels. */
    public static final int WIDTH = 800;
    /** Figure height in pixels. */
    public static final int HEIGHT = 600;
    /** Default y-axis label of {@link #lossCurves}: negative log-likelihood in nats. */
    public static final String NLL_NATS = "NLL (nats)";
    /** Default EMA smoothing weight of the training-loss curve (TensorBoard-style, bias-corrected). */
    public static final double DEFAULT_SMOOTHING = 0.9;
    /** The default smoothing is applied only when the training curve has at least this many finite points. */
    public static final int MIN_POINTS_FOR_SMOOTHING = 20;
    /** Scatter plots draw at most this many points per series (an even stride subsample of larger inputs). */
    public static final int MAX_SCATTER_POINTS = 20_000;
    /** Largest accepted heat-map grid resolution (the grid has resolution² points). */
    public static final int MAX_RESOLUTION = 2048;

    private static final Font TITLE_FONT = new Font(Font.SANS_SERIF, Font.BOLD, 18);
    private static final Font AXIS_TITLE_FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 16);
    private static final Font TICK_FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 13);
    private static final Font LEGEND_FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 14);

    private static final Color TRAIN_RAW = new Color(31, 119, 180, 70);
    private static final Color TRAIN = new Color(31, 119, 180);
    private static final Color VALIDATION = new Color(214, 39, 40);
    private static final Color DATA = new Color(90, 90, 90, 55);
    private static final Color SAMPLES = new Color(230, 85, 13, 150);

    /** Nats of log-density the heat map's colour scale spans below its maximum (a factor e^10 ≈ 22,000 in density). */
    public static final double LOG_DENSITY_RANGE = 10.0;
    /** Quantiles of the data that set a 2-D plot's view (so that a few outliers cannot set the axes). */
    public static final double VIEW_LOW_QUANTILE = 0.005, VIEW_HIGH_QUANTILE = 0.995;
    /** Padding of a view, as a fraction of its quantile range on each side. */
    public static final double VIEW_PAD = 0.1;
    private static final Color BEST = new Color(44, 160, 44);

    /** Pixels to the right of the heat map's XChart figure reserved for the colour bar. */
    private static final int COLORBAR_MARGIN = 110;
    /** An irrational fraction (1/φ²) used to place invisible helper points off any regular grid. */
    private static final double ODD_FRACTION = 0.3819660112501051;

    private Plots() {}

    // ------------------------------------------------------------------------------------------------------------------
    // Loss curves

    /**
     * Loss curves with the y-axis labelled {@value #NLL_NATS} and {@link #DEFAULT_SMOOTHING default smoothing}; see
     * {@link #lossCurves(Path, String, double[], double[], double[], double[], String, double)}.
     */
    public static void lossCurves(Path png, String title, double[] trainSteps, double[] trainLoss,
                                  double[] valSteps, double[] valLoss) throws IOException {
        lossCurves(png, title, trainSteps, trainLoss, valSteps, valLoss, NLL_NATS, DEFAULT_SMOOTHING);
    }

    /**
     * Plots the training loss per step and the validation loss per epoch against the step axis.
     *
     * <p>When {@code smoothing > 0} and the training curve has at least {@value #MIN_POINTS_FOR_SMOOTHING} finite points,
     * the raw training loss is drawn in a light colour and its bias-corrected exponential moving average
     * ({@code ema ← s·ema + (1−s)·x}) is drawn over it in the full colour. Non-finite points are left out (and counted in
     * the legend).
     *
     * @param png        output file (parent directories are created)
     * @param title      figure title
     * @param trainSteps step of each training-loss value
     * @param trainLoss  training loss, same length as {@code trainSteps}
     * @param valSteps   step at which each validation value was measured (may be null or empty: no validation curve)
     * @param valLoss    validation loss, same length as {@code valSteps} (null iff {@code valSteps} is null)
     * @param yLabel     y-axis label, e.g. {@value #NLL_NATS} or {@code "bits/dim"}
     * @param smoothing  EMA weight in [0, 1); 0 draws the raw curve only
     * @throws FluviaException.ShapeException if paired arrays differ in length
     * @throws FluviaException if {@code smoothing} is outside [0, 1)
     */
    public static void lossCurves(Path png, String title, double[] trainSteps, double[] trainLoss,
                                  double[] valSteps, double[] valLoss, String yLabel, double smoothing)
            throws IOException {
        double[] ts = orEmpty(trainSteps), tl = orEmpty(trainLoss), vs = orEmpty(valSteps), vl = orEmpty(valLoss);
        requireSameLength("lossCurves train", ts, tl);
        requireSameLength("lossCurves validation", vs, vl);
        if (!(smoothing >= 0 && smoothing < 1)) {
            throw new FluviaException("lossCurves: smoothing must be in [0, 1), got " + smoothing);
        }
        XYChart chart = newChart(title, "step", yLabel);
        chart.getStyler().setDefaultSeriesRenderStyle(org.knowm.xchart.XYSeries.XYSeriesRenderStyle.Line);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);

        double[][] train = finitePairs(ts, tl);
        int trainDropped = ts.length - train[0].length;
        boolean smooth = smoothing > 0 && train[0].length >= MIN_POINTS_FOR_SMOOTHING;
        boolean any = false;
        if (train[0].length > 0) {
            String raw = (smooth ? "train (raw)" : "train") + droppedNote(trainDropped, "non-finite");
            XYSeries s = chart.addSeries(raw, train[0], train[1]);
            s.setMarker(SeriesMarkers.NONE);
            s.setLineColor(smooth ? TRAIN_RAW : TRAIN);
            s.setLineWidth(smooth ? 1.2f : 2f);
            if (smooth) {
                XYSeries e = chart.addSeries("train (EMA " + smoothing + ")",
                        train[0], ema(train[1], smoothing));
                e.setMarker(SeriesMarkers.NONE);
                e.setLineColor(TRAIN);
                e.setLineWidth(2.2f);
            }
            any = true;
        }
        double[][] val = finitePairs(vs, vl);
        double[] yr = lossYRange(train[1], val[1]);
        if (val[0].length > 0) {
            int above = 0;
            for (double v : val[1]) if (v > yr[1]) above++;
            XYSeries s = chart.addSeries("validation" + droppedNote(vs.length - val[0].length, "non-finite")
                            + (above > 0 ? " (" + above + " above the view)" : ""), val[0], val[1]);
            s.setMarker(SeriesMarkers.CIRCLE);
            s.setMarkerColor(VALIDATION);
            s.setLineColor(VALIDATION);
            s.setLineWidth(2f);
            int best = 0;
            for (int i = 1; i < val[1].length; i++) if (val[1][i] < val[1][best]) best = i;
            XYSeries b = chart.addSeries(String.format(Locale.ROOT, "best validation %.4g at step %.0f", val[1][best], val[0][best]),
                    new double[] {val[0][best], val[0][best]}, new double[] {yr[0], yr[1]});
            b.setMarker(SeriesMarkers.NONE);
            b.setLineColor(BEST);
            b.setLineStyle(new BasicStroke(1.6f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {6f, 4f}, 0f));
            XYSeries bm = chart.addSeries("   ", new double[] {val[0][best]}, new double[] {val[1][best]});
            bm.setXYSeriesRenderStyle(org.knowm.xchart.XYSeries.XYSeriesRenderStyle.Scatter);
            bm.setMarker(SeriesMarkers.DIAMOND);
            bm.setMarkerColor(BEST);
            bm.setShowInLegend(false);
            any = true;
        }
        if (any && yr[1] > yr[0]) chart.getStyler().setYAxisMin(yr[0]).setYAxisMax(yr[1]);
        if (any) {
            double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
            for (double x : train[0]) { lo = Math.min(lo, x); hi = Math.max(hi, x); }
            for (double x : val[0]) { lo = Math.min(lo, x); hi = Math.max(hi, x); }
            avoidDataPointTicks(chart, lo, hi, train[1].length > 0 ? train[1][0] : val[1][0]);
        } else {
            addInvisibleExtent(chart, 0, 1, 0, 1);
            chart.getStyler().setLegendVisible(false);
            chart.addAnnotation(new AnnotationText("no finite loss values", 0.5, 0.5, false));
        }
        PngFiles.writeAtomically(BitmapEncoder.getBufferedImage(chart), png);
    }

    /**
     * The y-range of a loss plot, {lo, hi}: set by the training curve, so that a validation blow-up (or a few raw spikes)
     * cannot flatten it. With q(a) the a-quantile of the finite training losses, the bottom is the lower of q(0.005) and
     * the lowest validation value, the top q(0.99) + ¼·(q(0.99) − q(0.005)) but no higher than the highest training loss
     * (room for the first steps' descent); 5 % padding on each side. Without training values, the validation values'
     * minimum and 0.9-quantile. Non-finite values are ignored; {0, 1} when nothing is finite.
     */
    public static double[] lossYRange(double[] trainLoss, double[] valLoss) {
        double[] t = finiteSorted(trainLoss), v = finiteSorted(valLoss);
        double lo, hi;
        if (t.length > 0) {
            double qlo = quantile(t, 0.005), qhi = quantile(t, 0.99);
            hi = Math.min(t[t.length - 1], qhi + 0.25 * (qhi - qlo));
            lo = v.length > 0 ? Math.min(qlo, v[0]) : qlo;
            hi = Math.max(hi, lo);
        } else if (v.length > 0) {
            lo = v[0];
            hi = quantile(v, 0.9);
        } else {
            return new double[] {0, 1};
        }
        double pad = hi > lo ? 0.05 * (hi - lo) : Math.max(1e-3, 0.05 * Math.abs(lo));
        return new double[] {lo - pad, hi + pad};
    }

    /**
     * The view of a 2-D plot of row-major {@code [n, 2]} points, {xmin, xmax, ymin, ymax}: per axis the
     * {@value #VIEW_LOW_QUANTILE}–{@value #VIEW_HIGH_QUANTILE} quantiles of the finite points, padded by {@value #VIEW_PAD}
     * of that range on each side, so that a few outliers cannot set the axes. [-1, 1]² when no point is finite.
     */
    public static double[] robustView(float[] xy, int n) {
        requirePoints("points", xy, n);
        double[][] p = finitePoints(xy, n);
        if (p[0].length == 0) return new double[] {-1, 1, -1, 1};
        double[] b = new double[4];
        for (int axis = 0; axis < 2; axis++) {
            double[] v = p[axis].clone();
            Arrays.sort(v);
            double lo = quantile(v, VIEW_LOW_QUANTILE), hi = quantile(v, VIEW_HIGH_QUANTILE);
            double pad = hi > lo ? VIEW_PAD * (hi - lo) : Math.max(1.0, Math.abs(lo) * VIEW_PAD);
            b[2 * axis] = lo - pad;
            b[2 * axis + 1] = hi + pad;
        }
        return b;
    }

    /** The q-quantile of sorted values (linear interpolation between order statistics); NaN when empty. */
    static double quantile(double[] sorted, double q) {
        if (sorted.length == 0) return Double.NaN;
        double pos = q * (sorted.length - 1);
        int i = (int) Math.floor(pos);
        if (i >= sorted.length - 1) return sorted[sorted.length - 1];
        return sorted[i] + (pos - i) * (sorted[i + 1] - sorted[i]);
    }

    private static double[] finiteSorted(double[] a) {
        if (a == null) return new double[0];
        double[] f = Arrays.stream(a).filter(Double::isFinite).toArray();
        Arrays.sort(f);
        return f;
    }

    /** Bias-corrected exponential moving average: {@code m ← s·m + (1−s)·x; out = m / (1 − s^t)}. */
    static double[] ema(double[] x, double s) {
        double[] out = new double[x.length];
        double m = 0, w = 1;
        for (int i = 0; i < x.length; i++) {
            m = s * m + (1 - s) * x[i];
            w *= s;
            out[i] = m / (1 - w);
        }
        return out;
    }

    // ------------------------------------------------------------------------------------------------------------------
    // Density heat map

    /**
     * Renders the model density on a {@code resolution × resolution} grid as a colour image with XChart axes. The colour
     * scale is logarithmic: it maps {@code log p} from {@value #LOG_DENSITY_RANGE} nats below the grid's maximum (or the grid's
     * minimum, if higher) up to the maximum onto a viridis-like colour map, with a colour bar labelled in log-density. Both axes use the same
     * scale (one data unit is as long in x as in y) unless the range is more than about 3:1, where the short side is
     * kept at a third of the figure.
     *
     * <p>The grid points are the cell centres. {@code logDensityOfGridPoints} is called exactly once with a row-major
     * {@code [G, 2]} array of G = resolution² points (point {@code k = r·resolution + c} has x at the centre of column
     * {@code c} counted from {@code xmin} and y at the centre of row {@code r} counted from {@code ymin}) and must return
     * G log-densities. A non-finite log-density is drawn as zero density.
     *
     * @throws FluviaException.ShapeException if the resolution is outside [2, {@value #MAX_RESOLUTION}] or the function
     *                                        returns null or the wrong number of values
     * @throws FluviaException.NonFiniteException if a bound is not finite
     * @throws FluviaException if {@code xmin >= xmax} or {@code ymin >= ymax}
     */
    public static void densityHeatmap(Path png, String title, Function<float[], float[]> logDensityOfGridPoints,
                                      double xmin, double xmax, double ymin, double ymax, int resolution)
            throws IOException {
        requireRange("x", xmin, xmax);
        requireRange("y", ymin, ymax);
        if (resolution < 2 || resolution > MAX_RESOLUTION) {
            throw new FluviaException.ShapeException("densityHeatmap: resolution must be in [2, " + MAX_RESOLUTION
                    + "], got " + resolution);
        }
        int g = resolution * resolution;
        float[] pts = new float[2 * g];
        for (int r = 0; r < resolution; r++) {
            float y = (float) (ymin + (r + 0.5) * (ymax - ymin) / resolution);
            for (int c = 0; c < resolution; c++) {
                int k = r * resolution + c;
                pts[2 * k] = (float) (xmin + (c + 0.5) * (xmax - xmin) / resolution);
                pts[2 * k + 1] = y;
            }
        }
        float[] logp = logDensityOfGridPoints.apply(pts);
        if (logp == null || logp.length != g) {
            throw new FluviaException.ShapeException("densityHeatmap: the log-density function must return " + g
                    + " values (one per grid point), got " + (logp == null ? "null" : logp.length));
        }
        double maxLogp = Double.NEGATIVE_INFINITY, minLogp = Double.POSITIVE_INFINITY;
        for (float v : logp) if (Float.isFinite(v)) { maxLogp = Math.max(maxLogp, v); minLogp = Math.min(minLogp, v); }
        double floor = Math.max(minLogp, maxLogp - LOG_DENSITY_RANGE);
        double span = maxLogp > floor ? maxLogp - floor : 1.0;

        // Position on the log scale in [0, 1]; image row 0 is the top (y = ymax).
        BufferedImage field = new BufferedImage(resolution, resolution, BufferedImage.TYPE_INT_RGB);
        for (int r = 0; r < resolution; r++) {
            for (int c = 0; c < resolution; c++) {
                float v = logp[r * resolution + c];
                double rel = Float.isFinite(v) ? Math.clamp((v - floor) / span, 0.0, 1.0) : 0.0;
                field.setRGB(c, resolution - 1 - r, ColorMap.argb(rel));
            }
        }

        XYChart chart = newChart(title, "x", "y");
        var st = chart.getStyler();
        st.setLegendVisible(false);
        st.setPlotMargin(0);
        st.setPlotGridLinesVisible(false);
        st.setPlotBorderVisible(false);         // the image gets its own frame instead of XChart's padded plot box
        st.setAxisTicksLineVisible(false);      // (that padding would also leave the axis lines off the image)
        st.setXAxisMin(xmin).setXAxisMax(xmax).setYAxisMin(ymin).setYAxisMax(ymax);
        addInvisibleExtent(chart, xmin, xmax, ymin, ymax);

        BufferedImage img = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g2 = img.createGraphics();
        try {
            g2.setColor(Color.WHITE);
            g2.fillRect(0, 0, WIDTH, HEIGHT);
            g2.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g2.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            int[] rect = paintWithEqualAspect(g2, chart, WIDTH - COLORBAR_MARGIN, HEIGHT, xmin, xmax, ymin, ymax);
            int left = rect[0], top = rect[1], right = rect[2], bottom = rect[3];
            g2.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
            g2.drawImage(field, left, top, right - left, bottom - top, null);
            g2.setColor(Color.DARK_GRAY);
            g2.setStroke(new BasicStroke(1f));
            g2.drawRect(left, top, right - left, bottom - top);

            drawColorBar(g2, right + 30, top, bottom, floor, maxLogp);
        } finally {
            g2.dispose();
        }
        PngFiles.writeAtomically(img, png);
    }

    /**
     * Paints {@code chart} into at most {@code maxW × maxH} pixels so that one data unit has the same length on both axes
     * (a density plot should not stretch its support), centred horizontally and vertically. The chart is painted once to
     * measure its margins, then again with the width or height reduced. Returns the plot rectangle {left, top, right,
     * bottom} of the data box in image pixels.
     */
    private static int[] paintWithEqualAspect(Graphics2D g2, XYChart chart, int maxW, int maxH,
                                              double xmin, double xmax, double ymin, double ymax) {
        BufferedImage scratch = new BufferedImage(maxW, maxH, BufferedImage.TYPE_INT_RGB);
        Graphics2D sg = scratch.createGraphics();
        chart.paint(sg, maxW, maxH);
        sg.dispose();
        double pw = chart.getScreenXFromChart(xmax) - chart.getScreenXFromChart(xmin);
        double ph = chart.getScreenYFromChart(ymin) - chart.getScreenYFromChart(ymax);
        double want = (xmax - xmin) / (ymax - ymin);
        int w = maxW, h = maxH;
        if (pw / ph > want) w = (int) Math.round(maxW - (pw - ph * want));
        else h = (int) Math.round(maxH - (ph - pw / want));
        w = Math.max(w, maxW / 3);
        h = Math.max(h, maxH / 3);
        int dx = (maxW - w) / 2, dy = (maxH - h) / 2;
        g2.translate(dx, dy);
        chart.paint(g2, w, h);
        g2.translate(-dx, -dy);
        return new int[] {
            dx + (int) Math.round(chart.getScreenXFromChart(xmin)), dy + (int) Math.round(chart.getScreenYFromChart(ymax)),
            dx + (int) Math.round(chart.getScreenXFromChart(xmax)), dy + (int) Math.round(chart.getScreenYFromChart(ymin)),
        };
    }

    /** Vertical colour bar from log-density {@code floor} (bottom) to {@code maxLogp} (top), with five labelled ticks. */
    private static void drawColorBar(Graphics2D g2, int x, int top, int bottom, double floor, double maxLogp) {
        int w = 20, h = bottom - top;
        for (int i = 0; i <= h; i++) {
            g2.setColor(ColorMap.color(1.0 - (double) i / h));
            g2.fillRect(x, top + i, w, 1);
        }
        g2.setColor(Color.DARK_GRAY);
        g2.drawRect(x, top, w, h);
        g2.setFont(TICK_FONT);
        FontMetrics fm = g2.getFontMetrics();
        boolean absolute = Double.isFinite(maxLogp) && Double.isFinite(floor);
        for (int k = 0; k <= 4; k++) {
            double f = k / 4.0;
            int y = (int) Math.round(bottom - f * h);
            g2.drawLine(x + w, y, x + w + 4, y);
            String label = absolute ? String.format(Locale.ROOT, "%.3g", floor + f * (maxLogp - floor))
                                    : String.format(Locale.ROOT, "%.2f", f);
            g2.drawString(label, x + w + 7, y + fm.getAscent() / 2 - 1);
        }
        g2.setFont(AXIS_TITLE_FONT);
        String name = absolute ? "log density" : "rel. log p";
        g2.drawString(name, x - 26, top - 10);
    }

    // ------------------------------------------------------------------------------------------------------------------
    // Samples over data

    /**
     * Scatter plot of data points (small, grey, translucent) with model samples (coloured) on the same axes.
     *
     * <p>Both arrays are row-major {@code [n, 2]}; only the first {@code 2·n} entries are read. The view is
     * {@link #robustView} of the finite data points (of the samples when there is no data); points outside it and
     * non-finite points are left out and counted in the legend. Series larger than {@value #MAX_SCATTER_POINTS} points are
     * subsampled with an even stride.
     *
     * @throws FluviaException.ShapeException if a count is negative or an array holds fewer than {@code 2·n} values
     */
    public static void samplesOverData(Path png, String title, float[] data, int nData, float[] samples, int nSamples)
            throws IOException {
        requirePoints("data", data, nData);
        requirePoints("samples", samples, nSamples);
        double[][] d = finitePoints(data, nData);
        double[][] s = finitePoints(samples, nSamples);
        double[] box = d[0].length > 0 ? robustView(data, nData) : robustView(samples, nSamples);

        XYChart chart = newChart(title, "x", "y");
        var st = chart.getStyler();
        st.setDefaultSeriesRenderStyle(org.knowm.xchart.XYSeries.XYSeriesRenderStyle.Scatter);
        st.setLegendPosition(Styler.LegendPosition.OutsideS);
        st.setLegendLayout(Styler.LegendLayout.Horizontal);
        st.setXAxisMin(box[0]).setXAxisMax(box[1]).setYAxisMin(box[2]).setYAxisMax(box[3]);
        st.setPlotMargin(0);

        boolean any = false;
        double[][] dIn = inside(d, box);
        if (dIn[0].length > 0) {
            double[][] shown = stride(dIn);
            XYSeries sd = chart.addSeries(String.format(Locale.ROOT, "data (n=%d%s%s)", nData,
                    d[0].length < nData ? ", " + (nData - d[0].length) + " non-finite left out" : "",
                    dIn[0].length < d[0].length ? ", " + (d[0].length - dIn[0].length) + " outside view" : ""),
                    shown[0], shown[1]);
            sd.setMarker(SeriesMarkers.CIRCLE);
            sd.setMarkerColor(DATA);
            st.setMarkerSize(4);
            any = true;
        }
        double[][] inView = inside(s, box);
        int outside = s[0].length - inView[0].length, nonFinite = nSamples - s[0].length;
        if (inView[0].length > 0) {
            double[][] shown = stride(inView);
            StringBuilder label = new StringBuilder(String.format(Locale.ROOT, "model samples (n=%d", nSamples));
            if (nonFinite > 0) label.append(", ").append(nonFinite).append(" non-finite");
            if (outside > 0) label.append(", ").append(outside).append(" outside view");
            XYSeries ss = chart.addSeries(label.append(')').toString(), shown[0], shown[1]);
            ss.setMarker(SeriesMarkers.CIRCLE);
            ss.setMarkerColor(SAMPLES);
            any = true;
        }
        if (!any) {
            addInvisibleExtent(chart, box[0], box[1], box[2], box[3]);
            st.setLegendVisible(false);
            chart.addAnnotation(new AnnotationText("no finite points to show", 0.5 * (box[0] + box[1]),
                    0.5 * (box[2] + box[3]), false));
        }
        st.setMarkerSize(4);
        PngFiles.writeAtomically(BitmapEncoder.getBufferedImage(chart), png);
    }

    // ------------------------------------------------------------------------------------------------------------------
    // Shared helpers

    /** An XY chart of the standard size with white backgrounds, light grid and readable fonts. */
    private static XYChart newChart(String title, String xLabel, String yLabel) {
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT)
                .title(title == null ? "" : title).xAxisTitle(xLabel).yAxisTitle(yLabel).build();
        var st = chart.getStyler();
        st.setChartBackgroundColor(Color.WHITE);
        st.setPlotBackgroundColor(Color.WHITE);
        st.setPlotBorderColor(Color.DARK_GRAY);
        st.setPlotGridLinesColor(new Color(225, 225, 225));
        st.setChartTitleFont(TITLE_FONT);
        st.setChartTitleBoxVisible(false);
        st.setAxisTitleFont(AXIS_TITLE_FONT);
        st.setAxisTickLabelsFont(TICK_FONT);
        st.setLegendFont(LEGEND_FONT);
        st.setLegendBorderColor(Color.LIGHT_GRAY);
        st.setAntiAlias(true);
        st.setLocale(Locale.ROOT);
        return chart;
    }

    /**
     * A series that draws nothing but makes the axes span the given box (XChart needs one series to draw axes). Its three
     * x values are unequally spaced on purpose: see {@link #avoidDataPointTicks}.
     */
    private static void addInvisibleExtent(XYChart chart, double xmin, double xmax, double ymin, double ymax) {
        XYSeries s = chart.addSeries(" ", new double[] {xmin, xmin + ODD_FRACTION * (xmax - xmin), xmax},
                new double[] {ymin, ymin + ODD_FRACTION * (ymax - ymin), ymax});
        s.setXYSeriesRenderStyle(org.knowm.xchart.XYSeries.XYSeriesRenderStyle.Scatter);
        s.setMarker(SeriesMarkers.NONE);
        s.setShowInLegend(false);
    }

    /**
     * XChart places x ticks at the data points themselves when all x values are equally spaced (e.g. steps 0..1999 give
     * ticks at 0, 112, 224, ...). One invisible point at an irrational fraction of the x range breaks the equal spacing,
     * so XChart falls back to round-number ticks.
     */
    private static void avoidDataPointTicks(XYChart chart, double xmin, double xmax, double y) {
        XYSeries s = chart.addSeries("  ", new double[] {xmin + ODD_FRACTION * (xmax - xmin)}, new double[] {y});
        s.setXYSeriesRenderStyle(org.knowm.xchart.XYSeries.XYSeriesRenderStyle.Scatter);
        s.setMarker(SeriesMarkers.NONE);
        s.setShowInLegend(false);
    }

    private static double[] orEmpty(double[] a) {
        return a == null ? new double[0] : a;
    }

    private static void requireSameLength(String what, double[] steps, double[] values) {
        if (steps.length != values.length) {
            throw new FluviaException.ShapeException(what + ": " + steps.length + " steps but " + values.length
                    + " loss values");
        }
    }

    private static void requireRange(String axis, double lo, double hi) {
        if (!Double.isFinite(lo) || !Double.isFinite(hi)) {
            throw new FluviaException.NonFiniteException("densityHeatmap: " + axis + " range [" + lo + ", " + hi
                    + "] is not finite");
        }
        if (!(lo < hi)) {
            throw new FluviaException("densityHeatmap: " + axis + " range is empty: min " + lo + " >= max " + hi);
        }
    }

    private static void requirePoints(String what, float[] a, int n) {
        if (n < 0) throw new FluviaException.ShapeException("samplesOverData: negative " + what + " count " + n);
        int have = a == null ? 0 : a.length;
        if ((long) 2 * n > have) {
            throw new FluviaException.ShapeException("samplesOverData: " + what + " holds " + have
                    + " floats but n=" + n + " 2-D points need " + 2L * n);
        }
    }

    /** The (step, value) pairs where both are finite, as {xs, ys}. */
    private static double[][] finitePairs(double[] xs, double[] ys) {
        double[] ox = new double[xs.length], oy = new double[xs.length];
        int m = 0;
        for (int i = 0; i < xs.length; i++) {
            if (Double.isFinite(xs[i]) && Double.isFinite(ys[i])) {
                ox[m] = xs[i];
                oy[m++] = ys[i];
            }
        }
        return new double[][] {Arrays.copyOf(ox, m), Arrays.copyOf(oy, m)};
    }

    /** The finite rows of a row-major [n, 2] array, as {xs, ys}. */
    private static double[][] finitePoints(float[] a, int n) {
        double[] ox = new double[n], oy = new double[n];
        int m = 0;
        for (int i = 0; i < n; i++) {
            float x = a[2 * i], y = a[2 * i + 1];
            if (Float.isFinite(x) && Float.isFinite(y)) {
                ox[m] = x;
                oy[m++] = y;
            }
        }
        return new double[][] {Arrays.copyOf(ox, m), Arrays.copyOf(oy, m)};
    }

    private static double[][] inside(double[][] p, double[] box) {
        double[] ox = new double[p[0].length], oy = new double[p[0].length];
        int m = 0;
        for (int i = 0; i < p[0].length; i++) {
            double x = p[0][i], y = p[1][i];
            if (x >= box[0] && x <= box[1] && y >= box[2] && y <= box[3]) {
                ox[m] = x;
                oy[m++] = y;
            }
        }
        return new double[][] {Arrays.copyOf(ox, m), Arrays.copyOf(oy, m)};
    }

    /** At most {@value #MAX_SCATTER_POINTS} points, taken with an even stride. */
    private static double[][] stride(double[][] p) {
        int n = p[0].length;
        if (n <= MAX_SCATTER_POINTS) return p;
        double[] ox = new double[MAX_SCATTER_POINTS], oy = new double[MAX_SCATTER_POINTS];
        for (int i = 0; i < MAX_SCATTER_POINTS; i++) {
            int j = (int) ((long) i * n / MAX_SCATTER_POINTS);
            ox[i] = p[0][j];
            oy[i] = p[1][j];
        }
        return new double[][] {ox, oy};
    }

    private static String droppedNote(int dropped, String why) {
        return dropped > 0 ? " (" + dropped + " " + why + " left out)" : "";
    }
}
