package dev.fluvia.cli;

import static org.junit.jupiter.api.Assertions.*;

import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.data.CsvReader;
import dev.fluvia.data.Dataset;
import dev.fluvia.flow.Flow;
import dev.fluvia.io.Checkpoint;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 10, data input, outputs and options: every bad value or path is one clear line, before any work. */
class HostileCliTest {
    @TempDir static Path shared;
    @TempDir Path dir;
    static Path model;

    @BeforeAll static void train() {
        Path out = shared.resolve("run");
        CliTest.Out t = CliTest.run("train", "--data", "moons", "--samples", "1000", "--layers", "2", "--hidden", "8", "--steps", "20",
                "--batch", "64", "--threads", "1", "--no-plots", "--out", out.toString(), "-q");
        assertEquals(0, t.code(), t.err());
        model = out.resolve("model.safetensors");
    }

    static void oneLine(CliTest.Out o, String... contains) {
        assertEquals(2, o.code(), o.err());
        String err = o.err().strip();
        assertFalse(err.contains("\n"), "one line: " + err);
        assertFalse(err.contains("\tat ") || err.contains("Exception"), "no stack trace or class name: " + err);
        for (String c : contains) assertTrue(err.contains(c), "'" + c + "' in: " + err);
    }

    Path points() throws IOException {
        Path p = dir.resolve("pts.csv");
        Files.writeString(p, "x,y\n0.0,0.5\n1.0,-0.2\n");
        return p;
    }

    @Test void everyNumericOptionHasARange() throws IOException {
        String m = model.toString(), in = points().toString(), o = dir.resolve("lp.csv").toString(), out = dir.resolve("t").toString();
        oneLine(CliTest.run("logprob", "-m", m, "-i", in, "-o", o, "--batch", "0"), "--batch must be between 1 and");
        oneLine(CliTest.run("logprob", "-m", m, "-i", in, "-o", o, "--batch", "-1"), "--batch must be between 1 and", "got -1");
        oneLine(CliTest.run("logprob", "-m", m, "-i", in, "-o", o, "--threads", "-3"), "--threads");
        oneLine(CliTest.run("train", "--data", "moons", "--layers", "-2", "--out", out, "-q"), "--layers must be between 0 and");
        oneLine(CliTest.run("train", "--data", "moons", "--threads", "-3", "--out", out, "-q"), "--threads");
        oneLine(CliTest.run("train", "--data", "moons", "--steps", "0", "--epochs", "0", "--out", out, "-q"), "nothing to train");
        oneLine(CliTest.run("train", "--data", "moons", "--samples", "2000000000", "--out", out, "-q"), "--samples must be between");
        oneLine(CliTest.run("train", "--data", "moons", "--hidden", "2000000000", "--out", out, "-q"), "--hidden must be between");
        oneLine(CliTest.run("train", "--data", "moons", "--lr", "-1", "--out", out, "-q"), "--lr");
        oneLine(CliTest.run("sample", "-m", m, "-n", "0", "-o", o), "-n must be between 1 and");
        assertFalse(Files.exists(dir.resolve("t").resolve("model.safetensors")));
    }

    @Test void noArgumentsPrintsUsageAndFails() {
        CliTest.Out o = CliTest.run();
        assertNotEquals(0, o.code());
        assertTrue(o.err().contains("Usage: fluvia"), o.err());
    }

    @Test void missingModelFileIsOneClearLine() throws IOException {
        Path missing = dir.resolve("nope.safetensors");
        oneLine(CliTest.run("logprob", "-m", missing.toString(), "-i", points().toString(), "-o", dir.resolve("lp.csv").toString()),
                missing.toString(), "no such file");
        oneLine(CliTest.run("info", "-m", missing.toString()), "no such file");
    }

    @Test void logprobReadsNpyAndWritesMinusInfinityRows() throws IOException {
        Path npy = dir.resolve("pts.npy");
        String header = "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }";
        header = header + " ".repeat(63 - (10 + header.length()) % 64) + "\n";
        ByteBuffer b = ByteBuffer.allocate(10 + header.length() + 24).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0}).putShort((short) header.length()).put(header.getBytes(StandardCharsets.ISO_8859_1));
        b.putFloat(0f).putFloat(0.5f).putFloat(1f).putFloat(-0.2f).putFloat(1e20f).putFloat(1e20f);
        Files.write(npy, b.array());
        Path lp = dir.resolve("lp.csv");
        CliTest.Out o = CliTest.run("logprob", "-m", model.toString(), "-i", npy.toString(), "-o", lp.toString(), "-q");
        assertEquals(0, o.code(), o.err());
        List<String> rows = Files.readAllLines(lp);
        assertEquals(4, rows.size(), rows.toString());
        try (CpuBackend be = new CpuBackend(1)) {
            Flow f = Checkpoint.load(model, be).flow();
            float[] want = f.logProb(new float[] {0f, 0.5f, 1f, -0.2f}, 2);
            assertEquals(Float.toString(want[0]), rows.get(1));
            assertEquals(Float.toString(want[1]), rows.get(2));
        }
        assertEquals("-Infinity", rows.get(3));
    }

    @Test void nonUtf8CsvIsNamed() throws IOException {
        Path latin = dir.resolve("latin.csv");
        Files.write(latin, "caf\u00e9,x\n1,2\n".getBytes(StandardCharsets.ISO_8859_1));
        oneLine(CliTest.run("logprob", "-m", model.toString(), "-i", latin.toString(), "-o", dir.resolve("lp.csv").toString()), "not UTF-8");
    }

    @Test void outputsThatMustNotBeReplacedAreRefused() throws Exception {
        Path in = points();
        byte[] before = Files.readAllBytes(in);
        oneLine(CliTest.run("logprob", "-m", model.toString(), "-i", in.toString(), "-o", in.toString()), "is the input file");
        assertArrayEquals(before, Files.readAllBytes(in));
        oneLine(CliTest.run("logprob", "-m", model.toString(), "-i", in.toString(), "-o", "/dev/null"), "not a regular file");
        Path target = Files.writeString(dir.resolve("real.csv"), "keep\n");
        Path link = Files.createSymbolicLink(dir.resolve("link.csv"), target);
        oneLine(CliTest.run("sample", "-m", model.toString(), "-n", "5", "-o", link.toString()), "symbolic link");
        assertEquals("keep\n", Files.readString(target));
        Path fifo = dir.resolve("fifo");
        if (new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor() == 0)
            oneLine(CliTest.run("sample", "-m", model.toString(), "-n", "5", "-o", fifo.toString()), "not a regular file");
        Path file = Files.writeString(dir.resolve("afile"), "x");
        oneLine(CliTest.run("train", "--data", "moons", "--steps", "5", "--out", file.toString(), "-q"), "--out", "not a directory");
        oneLine(CliTest.run("train", "--data", "moons", "--steps", "5", "--out", file.resolve("sub").toString(), "-q"), "--out", "cannot create");
    }

    @Test void sampleStreamsInChunksWithTheSameSamples() throws IOException {
        Path o = dir.resolve("s.csv");
        int n = SampleCommand.CHUNK + 10;
        CliTest.Out r = CliTest.run("sample", "-m", model.toString(), "-n", Integer.toString(n), "--seed", "7", "-o", o.toString(), "-q");
        assertEquals(0, r.code(), r.err());
        Dataset d = CsvReader.read(o);
        assertEquals(n, d.n());
        try (CpuBackend be = new CpuBackend(1)) {
            Flow f = Checkpoint.load(model, be).flow();
            float[] first = f.sampleHost(3, 1f, 7);
            for (int i = 0; i < first.length; i++) assertEquals(first[i], d.data()[i]);
            float[] second = f.sampleHost(10, 1f, 8);
            for (int i = 0; i < second.length; i++) assertEquals(second[i], d.data()[2 * SampleCommand.CHUNK + i]);
        }
    }

    @Test void helpTextsAreComplete() {
        String top = CliTest.run("--help").out().replaceAll("\\s+", " ");
        assertTrue(top.contains("Edit an image along a class attribute in latent space and write the results as a PNG row."), top);
        String train = CliTest.run("train", "--help").out().replaceAll("\\s+", " ");
        assertTrue(train.contains("Validation share"), train);
        String lp = CliTest.run("logprob", "--help").out().replaceAll("\\s+", " ");
        assertTrue(lp.contains("Rows evaluated at a time") && lp.contains("A model.safetensors"), lp);
        String s = CliTest.run("sample", "--help").out().replaceAll("\\s+", " ");
        assertTrue(s.contains("Seed of the base samples") && s.contains("CSV file (one sample per row"), s);
    }

    @Test void degenerateDataIsRefusedUnlessAllowed() throws IOException {
        StringBuilder sb = new StringBuilder("a,b\n");
        for (int i = 0; i < 200; i++) sb.append(i % 7).append(".5,3.0\n");
        Path constant = Files.writeString(dir.resolve("const.csv"), sb.toString());
        Path out = dir.resolve("c");
        oneLine(CliTest.run("train", "--data", constant.toString(), "--steps", "5", "--no-plots", "--out", out.toString(), "-q"),
                "column 2 is constant", "--allow-degenerate-data");
        CliTest.Out ok = CliTest.run("train", "--data", constant.toString(), "--steps", "5", "--batch", "32", "--no-plots", "--layers", "1", "--hidden", "4",
                "--out", out.toString(), "-q", "--allow-degenerate-data");
        assertEquals(0, ok.code(), ok.err());
        sb = new StringBuilder("a,b\n");
        for (int i = 0; i < 200; i++) sb.append(i % 7).append(".5,").append(i == 17 ? "3.4e38" : Integer.toString(i % 5)).append('\n');
        Path huge = Files.writeString(dir.resolve("huge.csv"), sb.toString());
        oneLine(CliTest.run("train", "--data", huge.toString(), "--steps", "5", "--no-plots", "--out", out.toString(), "-q"),
                "row 18, column 2", "3.4E38");
    }

    @Test void resumingOnOtherDataIsRefusedUnlessAllowed() throws IOException {
        Path run = dir.resolve("r");
        String[] base = {"train", "--samples", "500", "--layers", "1", "--hidden", "4", "--batch", "50", "--no-plots", "--out", run.toString(), "-q"};
        java.util.function.Function<String[], String[]> with = extra -> java.util.stream.Stream.concat(java.util.Arrays.stream(base),
                java.util.Arrays.stream(extra)).toArray(String[]::new);
        assertEquals(0, CliTest.run(with.apply(new String[] {"--data", "moons", "--steps", "10"})).code());
        Path ck = run.resolve("checkpoint.safetensors");
        Path ck2 = Files.copy(ck, dir.resolve("ck.safetensors"));
        oneLine(CliTest.run(with.apply(new String[] {"--data", "circles", "--steps", "20", "--resume", ck2.toString()})),
                "trained on other data (moons", "--allow-data-change");
        assertEquals(0, CliTest.run(with.apply(new String[] {"--data", "moons", "--steps", "20", "--resume", ck2.toString()})).code());
        assertEquals(0, CliTest.run(with.apply(new String[] {"--data", "circles", "--steps", "30", "--resume", ck.toString(), "--allow-data-change"})).code());
    }

    @Test void metricsNeverHoldNaN() throws IOException {
        Path run = dir.resolve("m");
        assertEquals(0, CliTest.run("train", "--data", "moons", "--samples", "500", "--layers", "1", "--hidden", "4", "--steps", "10",
                "--test-fraction", "0", "--no-plots", "--out", run.toString(), "-q").code());
        String metrics = Files.readString(run.resolve("metrics.json"));
        assertFalse(metrics.contains("NaN") || metrics.contains("Infinity"), metrics);
        assertTrue(metrics.contains("\"test_nll\" : null"), metrics);
    }
}
