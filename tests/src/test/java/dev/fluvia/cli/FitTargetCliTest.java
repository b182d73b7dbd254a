package dev.fluvia.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code fluvia fit-target} end to end: model, metrics.json, the side-by-side density PNG; the Sylvester model samples but scores no data; errors. */
class FitTargetCliTest {
    @TempDir Path dir;

    @Test void gaussianTargetWritesModelAndMetrics() throws Exception {
        Path out = dir.resolve("g");
        CliTest.Out r = CliTest.run("fit-target", "--target", "gauss:2", "--flow", "iaf", "--layers", "2", "--hidden", "8", "--steps", "60",
                "--batch", "64", "--eval-samples", "2000", "--threads", "1", "--out", out.toString(), "--quiet");
        assertEquals(0, r.code(), r.err());
        assertTrue(Files.size(out.resolve("model.safetensors")) > 0);
        JsonNode m = new ObjectMapper().readTree(out.resolve("metrics.json").toFile());
        for (String k : new String[] {"loss", "elbo", "log_z_estimate", "ess", "ess_fraction", "exact_log_z", "kl_q_p"})
            assertTrue(m.get(k).isNumber(), k + " in " + m);
        assertEquals(-m.get("loss").asDouble(), m.get("elbo").asDouble(), 1e-12);
        assertEquals(60, m.get("train_loss").size());
        assertTrue(Files.exists(out.resolve("density.png")));
        assertTrue(r.out().contains("log Z estimate"), r.out());
        // the model is a flow like any other: logprob works
        Path csv = dir.resolve("x.csv");
        Files.writeString(csv, "a,b\n0.1,0.2\n-1,0.5\n");
        CliTest.Out lp = CliTest.run("logprob", "--model", out.resolve("model.safetensors").toString(), "--input", csv.toString(),
                "--output", dir.resolve("lp.csv").toString(), "--threads", "1");
        assertEquals(0, lp.code(), lp.err());
    }

    @Test void sylvesterFitsAndSamplesButScoresNoData() throws Exception {
        Path out = dir.resolve("s");
        CliTest.Out r = CliTest.run("fit-target", "--target", "u2", "--flow", "sylvester", "--layers", "3", "--steps", "40",
                "--batch", "64", "--eval-samples", "1000", "--resolution", "40", "--threads", "1", "--out", out.toString(), "--quiet");
        assertEquals(0, r.code(), r.err());
        BufferedImage img = ImageIO.read(out.resolve("density.png").toFile());
        assertTrue(img.getWidth() > img.getHeight(), "side by side: " + img.getWidth() + "x" + img.getHeight());
        Path model = out.resolve("model.safetensors");
        CliTest.Out s = CliTest.run("sample", "--model", model.toString(), "-n", "5", "--output", dir.resolve("s.csv").toString(), "--threads", "1");
        assertEquals(0, s.code(), s.err());
        Path csv = dir.resolve("x.csv");
        Files.writeString(csv, "a,b\n0.1,0.2\n");
        CliTest.Out lp = CliTest.run("logprob", "--model", model.toString(), "--input", csv.toString(), "--output", dir.resolve("lp2.csv").toString(),
                "--threads", "1");
        assertEquals(2, lp.code(), lp.out() + lp.err());
        assertTrue(lp.err().contains("no tractable inverse"), lp.err());
    }

    /** The spline presets fit through fit-target, every layer with its closed-form generative backward (none on the implicit path). */
    @Test void splineFitsThroughTheCli() throws Exception {
        Path out = dir.resolve("sp");
        CliTest.Out r = CliTest.run("fit-target", "--target", "u1", "--flow", "spline-ar", "--layers", "2", "--hidden", "8", "--steps", "30",
                "--batch", "64", "--eval-samples", "1000", "--no-plots", "--threads", "1", "--out", out.toString(), "--quiet");
        assertEquals(0, r.code(), r.err());
        JsonNode m = new ObjectMapper().readTree(out.resolve("metrics.json").toFile());
        assertTrue(Double.isFinite(m.get("loss").asDouble()), m.toString());
        assertTrue(m.get("steps_per_second").asDouble() > 0, m.toString());
        assertEquals(0, m.get("layers_with_implicit_inverse_backward").size(), m.toString());
        CliTest.Out r2 = CliTest.run("fit-target", "--target", "u1", "--flow", "spline", "--layers", "2", "--hidden", "8", "--steps", "5",
                "--batch", "32", "--eval-samples", "100", "--no-plots", "--threads", "1", "--out", dir.resolve("mf").toString(), "--quiet");
        assertEquals(0, r2.code(), r2.err());
        assertEquals(0, new ObjectMapper().readTree(dir.resolve("mf").resolve("metrics.json").toFile()).get("layers_with_implicit_inverse_backward").size());
    }

    @Test void badArgumentsAreOneLineErrors() {
        CliTest.Out a = CliTest.run("fit-target", "--target", "u7", "--out", dir.resolve("a").toString());
        assertEquals(2, a.code());
        assertTrue(a.err().contains("unknown target"), a.err());
        CliTest.Out b = CliTest.run("fit-target", "--target", "u1", "--flow", "glow", "--out", dir.resolve("b").toString());
        assertEquals(2, b.code());
        assertTrue(b.err().contains("--flow"), b.err());
        CliTest.Out c = CliTest.run("fit-target", "--target", "gauss:0", "--out", dir.resolve("c").toString());
        assertEquals(2, c.code());
    }
}
