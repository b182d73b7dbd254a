package dev.fluvia.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.data.CsvReader;
import dev.fluvia.data.Dataset;
import dev.fluvia.flow.ConditionalFlows;
import dev.fluvia.flow.Flow;
import dev.fluvia.io.Checkpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fluvia logprob / sample / info} on a conditional model trained with {@code --context-columns}: the context is read
 * from the stored training columns (or given), the numbers are the library's, samples follow their context, and every
 * misuse is a one-line error.
 */
class ConditionalScoringCliTest {
    @TempDir static Path dir;
    static Path data, model;
    /** Class k: x0 ~ N(∓2, 0.5²), x1 ~ N(±1, 0.7²); the label is the middle column. */
    static final double[][] MEANS = {{-2, 1}, {2, -1}};

    @BeforeAll static void train() throws Exception {
        SplittableRandom r = new SplittableRandom(5);
        StringBuilder csv = new StringBuilder("x0,label,x1\n");
        for (int i = 0; i < 1500; i++) {
            int k = i % 2;
            csv.append(MEANS[k][0] + 0.5 * CpuBackend.gaussian(r)).append(',').append(k).append(',')
               .append(MEANS[k][1] + 0.7 * CpuBackend.gaussian(r)).append('\n');
        }
        data = dir.resolve("two_class.csv");
        Files.writeString(data, csv.toString());
        Path out = dir.resolve("run");
        CliTest.Out t = CliTest.run("train", "--data", data.toString(), "--context-columns", "1", "--flow", "maf", "--layers", "2",
                "--hidden", "16", "--steps", "200", "--lr", "5e-3", "--batch", "128", "--threads", "1", "--out", out.toString(), "--quiet");
        assertEquals(0, t.code(), t.err());
        model = out.resolve("model.safetensors");
    }

    private static Flow load() { return Checkpoint.load(model, new CpuBackend(1)).flow(); }

    private static void assertOneLineError(CliTest.Out o, String... mustContain) {
        assertNotEquals(0, o.code(), o.err());
        assertEquals(1, o.err().strip().lines().count(), o.err());
        assertTrue(!o.err().contains("Exception") && !o.err().contains("\tat "), o.err());
        for (String s : mustContain) assertTrue(o.err().contains(s), "'" + s + "' not in: " + o.err());
    }

    @Test void logprobReadsTheStoredContextColumnsAndMatchesTheLibrary() throws Exception {
        Path pts = dir.resolve("pts.csv");
        Files.writeString(pts, "x0,label,x1\n-2,0,1\n-2,1,1\n2,1,-1\n0.5,0,0.3\n");
        Path lp = dir.resolve("lp.csv");
        CliTest.Out o = CliTest.run("logprob", "--model", model.toString(), "--data", pts.toString(), "-o", lp.toString(), "--threads", "1", "-q");
        assertEquals(0, o.code(), o.err());
        float[] cli = CsvReader.read(lp).data();
        float[] lib = ConditionalFlows.logProb(load(), new float[] {-2, 1, -2, 1, 2, -1, 0.5f, 0.3f}, new float[] {0, 1, 1, 0}, 4);
        assertEquals(4, cli.length);
        for (int i = 0; i < 4; i++) assertEquals(lib[i], cli[i], 1e-5 * Math.max(1, Math.abs(lib[i])), "row " + i);
        // the trained model prefers the right class: (-2, 1) is class 0's mode, far from class 1's
        assertTrue(cli[0] > cli[1] + 3, cli[0] + " vs " + cli[1]);

        // the same points with the columns reordered (label first), told with --context-columns
        Path moved = dir.resolve("moved.csv");
        Files.writeString(moved, "0,-2,1\n1,-2,1\n1,2,-1\n0,0.5,0.3\n");
        Path lp2 = dir.resolve("lp2.csv");
        o = CliTest.run("logprob", "--model", model.toString(), "--input", moved.toString(), "--context-columns", "0", "-o", lp2.toString(), "--threads", "1", "-q");
        assertEquals(0, o.code(), o.err());
        assertArrayEquals(cli, CsvReader.read(lp2).data(), 1e-5f);

        // x-only rows with one context for all of them
        Path xOnly = dir.resolve("x.csv");
        Files.writeString(xOnly, "-2,1\n0.5,0.3\n");
        Path lp3 = dir.resolve("lp3.csv");
        o = CliTest.run("logprob", "--model", model.toString(), "--input", xOnly.toString(), "--context", "0", "-o", lp3.toString(), "--threads", "1", "-q");
        assertEquals(0, o.code(), o.err());
        assertArrayEquals(new float[] {cli[0], cli[3]}, CsvReader.read(lp3).data(), 1e-5f);
    }

    @Test void sampleWithAContextLandsNearThatClassAndIsTheLibrarysDraw() throws Exception {
        Flow f = load();
        for (int k = 0; k < 2; k++) {
            Path s = dir.resolve("s" + k + ".csv");
            CliTest.Out o = CliTest.run("sample", "--model", model.toString(), "-n", "800", "--context", Integer.toString(k), "--seed", "7",
                    "-o", s.toString(), "--threads", "1");
            assertEquals(0, o.code(), o.err());
            Dataset d = CsvReader.read(s);
            assertEquals(2, d.dim(), "x columns only, not [x | c]");
            assertEquals(800, d.n());
            for (int j = 0; j < 2; j++) {
                double m = 0;
                for (int i = 0; i < d.n(); i++) m += d.data()[i * 2 + j];
                m /= d.n();
                assertEquals(MEANS[k][j], m, 0.3, "class " + k + ", x" + j + " mean");
            }
            float[] c = new float[800];
            java.util.Arrays.fill(c, k);
            assertArrayEquals(ConditionalFlows.sample(f, c, 800, 1f, 7), d.data(), 1e-5f, "class " + k);
        }
        // one draw per context row, in the file's order
        StringBuilder ctx = new StringBuilder("label\n");
        for (int i = 0; i < 600; i++) ctx.append(i < 300 ? 0 : 1).append('\n');
        Path cf = dir.resolve("ctx.csv");
        Files.writeString(cf, ctx.toString());
        Path s = dir.resolve("sf.csv");
        CliTest.Out o = CliTest.run("sample", "--model", model.toString(), "--context-file", cf.toString(), "-o", s.toString(), "--threads", "1");
        assertEquals(0, o.code(), o.err());
        Dataset d = CsvReader.read(s);
        assertEquals(600, d.n());
        double m0 = 0, m1 = 0;
        for (int i = 0; i < 300; i++) { m0 += d.data()[i * 2] / 300.0; m1 += d.data()[(i + 300) * 2] / 300.0; }
        assertEquals(MEANS[0][0], m0, 0.3);
        assertEquals(MEANS[1][0], m1, 0.3);
    }

    @Test void infoSaysTheModelIsConditional() {
        CliTest.Out o = CliTest.run("info", "--model", model.toString());
        assertEquals(0, o.code(), o.err());
        assertTrue(o.out().contains("conditional model p(x | c): x has 2 dims, the context c has 1; training data columns: x = 0,2, c = 1"), o.out());
    }

    @Test void misuseIsAOneLineError() throws Exception {
        String m = model.toString(), out = dir.resolve("never.csv").toString();
        Path two = dir.resolve("two.csv"), one = dir.resolve("one.csv"), ctx2 = dir.resolve("ctx2.csv");
        Files.writeString(two, "1,2\n3,4\n");
        Files.writeString(one, "1\n3\n");
        Files.writeString(ctx2, "0,1\n");
        assertOneLineError(CliTest.run("logprob", "--model", m, "--input", two.toString(), "-o", out), "rows have 2 columns", "expects 3", "column 1");
        assertOneLineError(CliTest.run("logprob", "--model", m, "--input", one.toString(), "-o", out), "has no column 1");
        assertOneLineError(CliTest.run("logprob", "--model", m, "--input", data.toString(), "--context-columns", "0,1", "-o", out), "context has 1");
        assertOneLineError(CliTest.run("logprob", "--model", m, "--input", data.toString(), "--context-columns", "7", "-o", out), "--context-columns", "column 7");
        assertOneLineError(CliTest.run("logprob", "--model", m, "--input", two.toString(), "--context", "0", "--context-columns", "1", "-o", out), "give one");
        assertOneLineError(CliTest.run("sample", "--model", m, "-o", out), "conditional model", "--context");
        assertOneLineError(CliTest.run("sample", "--model", m, "--context", "1,0", "-o", out), "gives 2 values", "context has 1");
        assertOneLineError(CliTest.run("sample", "--model", m, "--context", "one", "-o", out), "'one' is not a number");
        assertOneLineError(CliTest.run("sample", "--model", m, "--context-file", ctx2.toString(), "-o", out), "rows have 2 columns");
        assertOneLineError(CliTest.run("sample", "--model", m, "--context", "0", "--context-file", ctx2.toString(), "-o", out), "give one");
        assertOneLineError(CliTest.run("sample", "--model", m, "--context", "0", "-o", dir.resolve("x.png").toString()), ".png");
        assertTrue(!Files.exists(Path.of(out)));

        // an unconditional model refuses a context
        Path run = dir.resolve("plain");
        CliTest.Out t = CliTest.run("train", "--data", "moons", "--samples", "300", "--flow", "realnvp", "--layers", "2", "--hidden", "8",
                "--steps", "5", "--batch", "64", "--threads", "1", "--out", run.toString(), "--quiet", "--no-plots");
        assertEquals(0, t.code(), t.err());
        String plain = run.resolve("model.safetensors").toString();
        assertOneLineError(CliTest.run("sample", "--model", plain, "--context", "1", "-o", out), "not a conditional model");
        assertOneLineError(CliTest.run("sample", "--model", plain, "--context-file", ctx2.toString(), "-o", out), "not a conditional model");
        assertOneLineError(CliTest.run("logprob", "--model", plain, "--input", two.toString(), "--context-columns", "1", "-o", out), "not a conditional model");
        assertOneLineError(CliTest.run("logprob", "--model", plain, "--input", two.toString(), "--context", "1", "-o", out), "not a conditional model");
    }
}
