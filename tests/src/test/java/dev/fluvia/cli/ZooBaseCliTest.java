package dev.fluvia.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code fluvia train --base …} with the bases of issue 11, then sample and info on the model; bad bases and temperatures. */
class ZooBaseCliTest {
    @TempDir Path dir;

    @Test void trainWithEachNewBaseThenSample() throws Exception {
        for (String base : new String[] {"logistic", "beta", "gmm:3"}) {
            Path out = dir.resolve(base.replace(':', '_'));
            CliTest.Out t = CliTest.run("train", "--data", "moons", "--samples", "1000", "--flow", "realnvp", "--layers", "2", "--hidden", "8",
                    "--steps", "30", "--batch", "64", "--base", base, "--threads", "1", "--no-plots", "--out", out.toString(), "--quiet");
            assertEquals(0, t.code(), base + ": " + t.err());
            Path model = out.resolve("model.safetensors");
            CliTest.Out s = CliTest.run("sample", "--model", model.toString(), "-n", "20", "--output", out.resolve("s.csv").toString(), "--threads", "1");
            assertEquals(0, s.code(), base + ": " + s.err());
            assertEquals(21, Files.readAllLines(out.resolve("s.csv")).size());
            CliTest.Out i = CliTest.run("info", "--model", model.toString());
            assertEquals(0, i.code(), i.err());
            if (base.equals("beta")) {
                CliTest.Out cold = CliTest.run("sample", "--model", model.toString(), "-n", "5", "--temperature", "0.5",
                        "--output", out.resolve("cold.csv").toString(), "--threads", "1");
                assertEquals(2, cold.code());
                assertTrue(cold.err().contains("T = 1 only"), cold.err());
            }
        }
        CliTest.Out bad = CliTest.run("train", "--data", "moons", "--base", "cauchy", "--steps", "5", "--out", dir.resolve("bad").toString(), "--quiet");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("unknown base distribution"), bad.err());
    }
}
