package dev.fluvia.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.data.CsvReader;
import dev.fluvia.data.Dataset;
import dev.fluvia.io.Checkpoint;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI end to end, as a user runs it: train → files; logprob, sample, info on the saved model; errors as one line. */
class CliTest {
    @TempDir Path dir;

    record Out(int code, String out, String err) {}

    static synchronized Out run(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
        System.setOut(new PrintStream(o, true));
        System.setErr(new PrintStream(e, true));
        try {
            int code = Main.execute(args);
            return new Out(code, o.toString(), e.toString());
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @Test void trainThenQueryTheModel() throws Exception {
        Path out = dir.resolve("run");
        Out t = run("train", "--data", "moons", "--samples", "2000", "--flow", "realnvp", "--layers", "4", "--hidden", "16",
                "--steps", "60", "--batch", "64", "--threads", "2", "--out", out.toString(), "--quiet");
        assertEquals(0, t.code(), t.err());
        for (String f : new String[] {"model.safetensors", "checkpoint.safetensors", "metrics.json", "loss.png", "density.png", "samples.png"})
            assertTrue(Files.size(out.resolve(f)) > 100, f);
        assertEquals(800, ImageIO.read(out.resolve("density.png").toFile()).getWidth());
        JsonNode m = new ObjectMapper().readTree(out.resolve("metrics.json").toFile());
        for (String k : new String[] {"train_nll", "val_nll", "test_nll", "wall_seconds", "samples_per_second"})
            assertTrue(Double.isFinite(m.get(k).asDouble()), k + " = " + m.get(k));
        assertEquals(60, m.get("steps").asInt());

        Path pts = dir.resolve("pts.csv");
        Files.writeString(pts, "x,y\n0.0,0.5\n1.0,-0.2\n0.5,0.25\n");
        Path lp = dir.resolve("lp.csv");
        assertEquals(0, run("logprob", "--model", out.resolve("model.safetensors").toString(), "--input", pts.toString(),
                "--output", lp.toString(), "-q").code());
        Dataset logp = CsvReader.read(lp);
        assertEquals(3, logp.n());
        // the CLI's numbers are the library's numbers
        float[] direct = Checkpoint.load(out.resolve("model.safetensors"), new CpuBackend(1)).flow()
                .logProb(new float[] {0f, 0.5f, 1f, -0.2f, 0.5f, 0.25f}, 3);
        for (int i = 0; i < 3; i++) assertEquals(direct[i], logp.get(i, 0), 1e-5);

        Path s = dir.resolve("s.csv");
        assertEquals(0, run("sample", "--model", out.resolve("model.safetensors").toString(), "-n", "50", "-t", "0.7",
                "--output", s.toString()).code());
        Dataset samples = CsvReader.read(s);
        assertEquals(50, samples.n());
        assertEquals(2, samples.dim());

        Out info = run("info", "--model", out.resolve("model.safetensors").toString());
        assertEquals(0, info.code());
        assertTrue(info.out().contains("affine_coupling") && info.out().contains("standardize"), info.out());

        // resume continues from the checkpoint
        Out r = run("train", "--data", "moons", "--samples", "2000", "--steps", "60", "--batch", "64", "--threads", "2",
                "--resume", out.resolve("checkpoint.safetensors").toString(), "--out", dir.resolve("resumed").toString(), "-q", "--no-plots");
        assertEquals(0, r.code(), r.err());
    }

    /**
     * MAF end to end (regression: sampling a MAF model on more than one thread threw WrongThreadException, so train exited 1
     * after saving the model, without samples.png, and {@code sample -n 1000} failed).
     */
    @Test void mafTrainsAndSamplesOnSeveralThreads() throws Exception {
        Path out = dir.resolve("maf");  // the default width (64) makes the sampling GEMMs parallel
        Out t = run("train", "--data", "moons", "--samples", "1000", "--flow", "maf", "--layers", "3",
                "--steps", "20", "--batch", "64", "--threads", "4", "--out", out.toString(), "--quiet");
        assertEquals(0, t.code(), t.err());
        for (String f : new String[] {"model.safetensors", "metrics.json", "samples.png", "density.png"})
            assertTrue(Files.size(out.resolve(f)) > 100, f);
        for (String threads : new String[] {"0", "3"}) {  // 0 = the default (all cores)
            Path s = dir.resolve("maf-samples-" + threads + ".csv");
            Out r = run("sample", "--model", out.resolve("model.safetensors").toString(), "-n", "1000", "--threads", threads,
                    "--output", s.toString());
            assertEquals(0, r.code(), r.err());
            Dataset samples = CsvReader.read(s);
            assertEquals(1000, samples.n());
            assertEquals(2, samples.dim());
        }
    }

    @Test void badInputIsOneClearLine() throws Exception {
        Path bad = dir.resolve("bad.csv");
        Files.writeString(bad, "1.0,2.0\n3.0,oops\n4.0\n");
        Out o = run("train", "--data", bad.toString(), "--steps", "5", "--out", dir.resolve("x").toString(), "-q");
        assertEquals(2, o.code());
        assertTrue(o.err().contains("bad.csv:2") && o.err().contains("bad.csv:3"), o.err());
        assertTrue(!o.err().contains("\tat "), "no stack trace: " + o.err());

        Out u = run("train", "--data", "moons", "--flow", "nosuchflow", "--steps", "5", "--out", dir.resolve("y").toString(), "-q");
        assertEquals(2, u.code());
        assertTrue(u.err().contains("nosuchflow"), u.err());

        Path corrupt = dir.resolve("m.safetensors");
        Files.write(corrupt, new byte[] {1, 2, 3});
        Out c = run("info", "--model", corrupt.toString());
        assertEquals(2, c.code());
        assertTrue(c.err().contains("m.safetensors"), c.err());
    }
}
