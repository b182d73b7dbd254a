package dev.fluvia.plot;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.function.Function;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** 1-D data: the model density drawn over a density-normalised histogram of the data (fluvia train on one column). */
public final class DensityHistogram {
    private DensityHistogram() {}

    /**
     * Writes the PNG. The view is the data's 0.5–99.5 % quantile range padded by 10 %; {@code bins} histogram bins over it
     * (normalised so that the bars integrate to the share of data inside the view); the density is evaluated at 400 points
     * by {@code logDensity} (called once with all points).
     */
    public static void write(Path png, String title, float[] data, int n, Function<float[], float[]> logDensity, int bins) throws IOException {
        double[] sorted = new double[n];
        int m = 0;
        for (int i = 0; i < n; i++) if (Float.isFinite(data[i])) sorted[m++] = data[i];
        sorted = Arrays.copyOf(sorted, m);
        Arrays.sort(sorted);
        if (m == 0) throw new dev.fluvia.FluviaException("density plot: no finite data values");
        double lo = Plots.quantile(sorted, Plots.VIEW_LOW_QUANTILE), hi = Plots.quantile(sorted, Plots.VIEW_HIGH_QUANTILE);
        if (!(hi > lo)) { lo -= 1; hi += 1; }
        double pad = Plots.VIEW_PAD * (hi - lo);
        lo -= pad;
        hi += pad;
        double w = (hi - lo) / bins;
        double[] count = new double[bins];
        for (double v : sorted) {
            int b = (int) Math.floor((v - lo) / w);
            if (b >= 0 && b < bins) count[b]++;
        }
        // a step outline: two points per bin edge
        double[] hx = new double[2 * bins + 2], hy = new double[2 * bins + 2];
        hx[0] = lo;
        for (int b = 0; b < bins; b++) {
            hx[2 * b + 1] = lo + b * w;
            hx[2 * b + 2] = lo + (b + 1) * w;
            hy[2 * b + 1] = count[b] / (m * w);
            hy[2 * b + 2] = count[b] / (m * w);
        }
        hx[2 * bins + 1] = hi;
        int g = 400;
        float[] pts = new float[g];
        double[] dx = new double[g], dy = new double[g];
        for (int i = 0; i < g; i++) { dx[i] = lo + (i + 0.5) * (hi - lo) / g; pts[i] = (float) dx[i]; }
        float[] lp = logDensity.apply(pts);
        for (int i = 0; i < g; i++) dy[i] = Float.isFinite(lp[i]) ? Math.exp(lp[i]) : 0;

        XYChart chart = new XYChartBuilder().width(Plots.WIDTH).height(Plots.HEIGHT).title(title).xAxisTitle("x").yAxisTitle("density").build();
        var st = chart.getStyler();
        st.setChartBackgroundColor(Color.WHITE);
        st.setPlotBackgroundColor(Color.WHITE);
        st.setLegendPosition(Styler.LegendPosition.InsideNE);
        st.setXAxisMin(lo).setXAxisMax(hi).setYAxisMin(0.0);
        XYSeries h = chart.addSeries(String.format(Locale.ROOT, "data histogram (n=%d, %d bins)", m, bins), hx, hy);
        h.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Area);
        h.setMarker(SeriesMarkers.NONE);
        h.setFillColor(new Color(150, 150, 150, 120));
        h.setLineColor(new Color(110, 110, 110));
        XYSeries d = chart.addSeries("model density", dx, dy);
        d.setMarker(SeriesMarkers.NONE);
        d.setLineColor(new Color(214, 39, 40));
        d.setLineStyle(new BasicStroke(2.5f));
        PngFiles.writeAtomically(BitmapEncoder.getBufferedImage(chart), png);
    }
}
