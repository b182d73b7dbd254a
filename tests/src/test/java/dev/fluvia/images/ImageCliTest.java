package dev.fluvia.images;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.fluvia.app.ImageFlowOps;
import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.cli.Main;
import dev.fluvia.data.images.ImageDataset;
import dev.fluvia.data.images.ImageDatasets;
import dev.fluvia.flow.Flow;
import dev.fluvia.io.Checkpoint;
import dev.fluvia.plot.ImageGrid;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The image commands end to end on the 8×8 digits (a few training steps): train → model, checkpoint, metrics, grids;
 * sample to PNG; encode (safetensors and CSV) → decode reproduces the encoded images; interpolate; attribute.
 * Skipped when the digits are not installed (scripts/install-data.sh installs them).
 */
class ImageCliTest {
    @TempDir Path dir;

    record Out(int code, String out, String err) {}

    static synchronized Out run(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
        System.setOut(new PrintStream(o, true));
        System.setErr(new PrintStream(e, true));
        try {
            return new Out(Main.execute(args), o.toString(), e.toString());
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    static int width(Path png) throws Exception {
        BufferedImage im = ImageIO.read(png.toFile());
        return im.getWidth();
    }

    @Test void trainSampleEncodeDecodeInterpolateAttribute() throws Exception {
        if (!ImageDatasets.isInstalled("digits")) {
            System.out.println("ImageCliTest: skipped, sklearn digits not installed (scripts/install-data.sh)");
            Assumptions.abort("digits not installed");
        }
        Path out = dir.resolve("run");
        Out t = run("train", "--data", "digits", "--flow", "glow", "--levels", "2", "--steps-per-level", "1", "--width", "8",
                "--max-images", "200", "--batch", "64", "--epochs", "2", "--threads", "1", "--out", out.toString(), "-q");
        assertEquals(0, t.code(), t.err());
        for (String f : new String[] {"model.safetensors", "checkpoint.safetensors", "metrics.json", "loss.png", "samples.png",
                "samples/epoch_001.png", "samples/epoch_002.png"})
            assertTrue(Files.size(out.resolve(f)) > 100, f);
        JsonNode m = new ObjectMapper().readTree(out.resolve("metrics.json").toFile());
        assertEquals(2, m.get("epochs").size());
        assertEquals(17, m.get("levels").asInt());
        for (JsonNode e : m.get("epochs")) assertTrue(e.get("val_bits_per_dim").asDouble() > 0 && e.get("val_bits_per_dim").asDouble() < 20, e.toString());
        assertTrue(Double.isFinite(m.get("test_bits_per_dim").asDouble()));
        assertTrue(Double.isFinite(m.get("best").get("val_bits_per_dim").asDouble()));
        // the grid: 3 temperatures × 8 samples of 8×8 pixels upscaled 12×
        int cell = 8 * 12;
        assertEquals(8 * cell + 9 * ImageGrid.GAP, width(out.resolve("samples/epoch_001.png")));

        String model = out.resolve("model.safetensors").toString();
        Path png = dir.resolve("s.png");
        assertEquals(0, run("sample", "--model", model, "-n", "16", "-t", "0.7", "--output", png.toString(), "-q").code());
        assertEquals(4 * cell + 5 * ImageGrid.GAP, width(png));

        // encode → decode gives back the images (their bin-centre values, quantised)
        for (String ext : new String[] {"safetensors", "csv"}) {
            Path z = dir.resolve("z." + ext), back = dir.resolve("back_" + ext + ".png");
            Out e = run("encode", "--model", model, "--data", "digits", "--index", "3,10", "--output", z.toString(), "-q");
            assertEquals(0, e.code(), e.err());
            Out dcd = run("decode", "--model", model, "--latents", z.toString(), "--output", back.toString(), "-q");
            assertEquals(0, dcd.code(), dcd.err());
            assertEquals(2 * cell + 3 * ImageGrid.GAP, width(back));
        }
        try (CpuBackend be = new CpuBackend(1)) {
            Checkpoint.Loaded ck = Checkpoint.load(out.resolve("model.safetensors"), be);
            ImageFlowOps.ImageInfo info = ImageFlowOps.ImageInfo.of(ck);
            ImageDataset d = ImageDatasets.load("digits", "all");
            Flow f = ck.flow();
            var lat = ImageFlowOps.readLatents(dir.resolve("z.safetensors"), f);
            float[] x = ImageFlowOps.decode(f, lat.levels(), lat.n()), want = ImageFlowOps.centred(d, new int[] {3, 10}, info);
            for (int i = 0; i < want.length; i++) assertEquals(want[i], x[i], 1e-3, "decoded value " + i);
            var csv = ImageFlowOps.readLatents(dir.resolve("z.csv"), f);
            for (int k = 0; k < lat.levels().size(); k++)
                for (int i = 0; i < lat.levels().get(k).length; i++)
                    assertEquals(lat.levels().get(k)[i], csv.levels().get(k)[i], 1e-6 * Math.max(1, Math.abs(lat.levels().get(k)[i])), "csv latent");
            // interpolation ends are the two images; attribute strength 0 is the image itself
            float[] xa = ImageFlowOps.centred(d, new int[] {3}, info), xb = ImageFlowOps.centred(d, new int[] {10}, info);
            float[] path = ImageFlowOps.interpolate(f, xa, xb, 3);
            for (int j = 0; j < 64; j++) {
                assertEquals(xa[j], path[j], 1e-3, "interpolation start, value " + j);
                assertEquals(xb[j], path[2 * 64 + j], 1e-3, "interpolation end, value " + j);
            }
            float[] same = ImageFlowOps.attribute(f, d, info, 3, 8, 3, new double[] {0});
            for (int j = 0; j < 64; j++) assertEquals(xa[j], same[j], 1e-3, "attribute at strength 0, value " + j);
        }
        Path ip = dir.resolve("interp.png"), at = dir.resolve("attr.png");
        Out i = run("interpolate", "--model", model, "--data", "digits", "--from", "3", "--to", "10", "--steps", "6", "--output", ip.toString(), "-q");
        assertEquals(0, i.code(), i.err());
        assertEquals(6 * cell + 7 * ImageGrid.GAP, width(ip));
        Out a = run("attribute", "--model", model, "--data", "digits", "--from-class", "3", "--to-class", "8", "--index", "3",
                "--strengths", "-1,-0.5,0,0.5,1", "--output", at.toString(), "-q");
        assertEquals(0, a.code(), a.err());
        assertTrue(width(at) >= 5 * cell + 6 * ImageGrid.GAP);
        // a tabular-only error path: an image command on a bad index is one clear line
        Out bad = run("interpolate", "--model", model, "--data", "digits", "--from", "99999", "--to", "1", "--output", ip.toString());
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("--from 99999"), bad.err());
    }
}
