package dev.fluvia.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.data.images.ImageDatasets;
import dev.fluvia.flow.ConditionalFlows;
import dev.fluvia.flow.Flow;
import dev.fluvia.io.Checkpoint;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fluvia train --data digits --condition-on-label}, a short run: the label-conditional densities tell the held-out
 * digits' classes apart (Bayes accuracy far above chance), the conditional NLL lies well below the marginal (label-free)
 * NLL of the same model, the model is a conditional flow with a 10-wide context, samples.png has one row per class.
 * Skipped when the digits are not installed.
 */
class ConditionalDigitsTest {
    @TempDir Path dir;

    @Test void shortConditionalRunSeparatesTheClasses() throws Exception {
        if (!ImageDatasets.isInstalled("digits")) {
            System.out.println("ConditionalDigitsTest: skipped, sklearn digits not installed (scripts/install-data.sh)");
            Assumptions.abort("digits not installed");
        }
        Path out = dir.resolve("run");
        CliTest.Out r = CliTest.run("train", "--data", "digits", "--condition-on-label", "--flow", "maf", "--layers", "2", "--hidden", "64",
                "--steps", "270", "--lr", "3e-3", "--grid", "3", "--threads", "1", "--quiet", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        JsonNode m = new ObjectMapper().readTree(out.resolve("metrics.json").toFile());
        double acc = m.get("test_label_accuracy").asDouble(), rank = m.get("test_mean_true_label_rank").asDouble();
        double cond = m.get("test_nll").asDouble(), marg = m.get("test_nll_marginal").asDouble();
        System.out.printf("[ConditionalDigitsTest] 270 steps: test −log p(x|y) %.2f nats (%.3f bits/dim), marginal %.2f, accuracy %.3f, mean rank %.2f%n",
                cond, m.get("test_bits_per_dim").asDouble(), marg, acc, rank);
        assertTrue(acc > 0.6, "label accuracy " + acc + " (chance 0.1)");
        assertTrue(rank < 2, "mean rank of the true label " + rank);
        assertTrue(cond < marg - 0.5, "conditional NLL " + cond + " vs marginal " + marg);
        assertTrue(m.get("test_bits_per_dim").asDouble() < 3.5, m.toString());   // uniform over 17 levels: 4.09
        Flow f = Checkpoint.load(out.resolve("model.safetensors"), new CpuBackend(1)).flow();
        assertEquals(10, ConditionalFlows.base(f).context());
        assertEquals(64, ConditionalFlows.base(f).dim());
        BufferedImage png = ImageIO.read(out.resolve("samples.png").toFile());
        assertTrue(png.getHeight() > png.getWidth() + 100, "10 rows of 3: " + png.getWidth() + "x" + png.getHeight());

        CliTest.Out bad = CliTest.run("train", "--data", "digits", "--condition-on-label", "--flow", "planar", "--steps", "1", "--quiet",
                "--out", dir.resolve("bad").toString());
        assertNotEquals(0, bad.code());
        assertTrue(bad.err().contains("'planar'"), bad.err());
        // --flow glow: the multi-scale conditional Glow, a very short run (1 level × 2 steps, width 8): it trains, classifies
        // above chance, and its saved model scores and samples given a label through the CLI
        Path g = dir.resolve("glow");
        CliTest.Out rg = CliTest.run("train", "--data", "digits", "--condition-on-label", "--flow", "glow", "--levels", "1", "--steps-per-level", "2",
                "--width", "8", "--steps", "60", "--grid", "2", "--threads", "1", "--quiet", "--out", g.toString());
        assertEquals(0, rg.code(), rg.err());
        JsonNode mg = new ObjectMapper().readTree(g.resolve("metrics.json").toFile());
        System.out.printf("[ConditionalDigitsTest] glow 60 steps: %.3f bits/dim, marginal %.3f, accuracy %.3f%n", mg.get("test_bits_per_dim").asDouble(),
                mg.get("test_bits_per_dim_marginal").asDouble(), mg.get("test_label_accuracy").asDouble());
        assertEquals("conditional glow", mg.get("flow").asText());
        assertTrue(mg.get("test_label_accuracy").asDouble() > 0.5, mg.toString());   // measured 0.82 (chance 0.1)
        assertTrue(mg.get("test_nll").asDouble() < mg.get("test_nll_marginal").asDouble(), mg.toString());
        Flow fg = Checkpoint.load(g.resolve("model.safetensors"), new CpuBackend(1)).flow();
        assertEquals(64, ConditionalFlows.dataDim(fg));
        assertEquals(10, ConditionalFlows.base(fg).context());
        String three = "0,0,0,1,0,0,0,0,0,0";
        CliTest.Out sg = CliTest.run("sample", "--model", g.resolve("model.safetensors").toString(), "--context", three, "-n", "4", "-o", dir.resolve("s.csv").toString());
        assertEquals(0, sg.code(), sg.err());
        List<String> lines = Files.readAllLines(dir.resolve("s.csv"));
        assertEquals(5, lines.size(), "header + 4 rows");
        assertEquals(64, lines.get(1).split(",").length);
        Files.write(dir.resolve("x.csv"), lines);
        CliTest.Out lg = CliTest.run("logprob", "--model", g.resolve("model.safetensors").toString(), "--input", dir.resolve("x.csv").toString(),
                "--context", three, "-o", dir.resolve("lp.csv").toString());
        assertEquals(0, lg.code(), lg.err());
        List<String> lp = Files.readAllLines(dir.resolve("lp.csv"));
        assertEquals(5, lp.size());
        for (String v : lp.subList(1, 5)) assertTrue(Double.isFinite(Double.parseDouble(v)), v);
        CliTest.Out wrong = CliTest.run("sample", "--model", g.resolve("model.safetensors").toString(), "--context", "1,0", "-n", "2", "-o", dir.resolve("w.csv").toString());
        assertNotEquals(0, wrong.code());
        // a conditional image model also samples straight to a .png grid (n images of 8×8 given the context)
        CliTest.Out pg = CliTest.run("sample", "--model", g.resolve("model.safetensors").toString(), "--context", three, "-n", "9",
                "-o", dir.resolve("three.png").toString());
        assertEquals(0, pg.code(), pg.err());
        BufferedImage grid = ImageIO.read(dir.resolve("three.png").toFile());
        assertTrue(grid.getWidth() >= 3 * 8 * 2 && grid.getHeight() >= 3 * 8 * 2, "3×3 grid of 8×8 images: " + grid.getWidth() + "x" + grid.getHeight());
        long lit = 0;
        for (int yy = 0; yy < grid.getHeight(); yy++) for (int xx = 0; xx < grid.getWidth(); xx++) if ((grid.getRGB(xx, yy) & 0xff) > 128) lit++;
        assertTrue(lit > 0, "the sampled digits have bright pixels");

        Path csv = dir.resolve("t.csv");
        Files.writeString(csv, "1,2\n3,4\n5,6\n");
        CliTest.Out bad2 = CliTest.run("train", "--data", csv.toString(), "--condition-on-label", "--steps", "1", "--quiet", "--out", dir.resolve("bad2").toString());
        assertNotEquals(0, bad2.code());
        assertTrue(bad2.err().contains("--condition-on-label"), bad2.err());
    }
}
