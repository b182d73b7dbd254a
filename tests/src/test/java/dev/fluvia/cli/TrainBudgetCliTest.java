package dev.fluvia.cli;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fluvia.data.Dataset;
import dev.fluvia.data.Generators;
import dev.fluvia.io.SafeTensors;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 10, "what a new user tripped on": with no --steps/--epochs, train runs until the validation NLL stops improving
 * (under a step cap) and says so; fixed --val-data / --test-data files; --resume of a file without checksums.
 */
class TrainBudgetCliTest {
    @TempDir Path dir;
    static final ObjectMapper JSON = new ObjectMapper();

    static JsonNode metrics(Path run) throws IOException { return JSON.readTree(run.resolve("metrics.json").toFile()); }

    /** The example: `train --data moons --flow realnvp` used to stop after one epoch at validation NLL 1.71. */
    @Test void defaultBudgetTrainsMoonsToConvergence() throws IOException {
        Path run = dir.resolve("moons");
        long t0 = System.nanoTime();
        CliTest.Out o = CliTest.run("train", "--data", "moons", "--flow", "realnvp", "--threads", "2", "--no-plots", "--out", run.toString());
        double seconds = (System.nanoTime() - t0) * 1e-9;
        assertEquals(0, o.code(), o.err());
        assertTrue(o.err().contains("no budget given: training until validation NLL stops improving (patience "
                + TrainCommand.DEFAULT_PATIENCE + " evaluations"), o.err());
        assertTrue(o.err().contains("cap " + TrainCommand.DEFAULT_MAX_STEPS + " steps"), o.err());
        assertTrue(o.out().matches("(?s).*stopped at step \\d+: no improvement for " + TrainCommand.DEFAULT_PATIENCE
                + " evaluations \\(\\d+ steps\\) since the best validation NLL [0-9.]+ at step \\d+.*"), o.out());
        JsonNode m = metrics(run);
        double best = m.get("best_val_nll").asDouble();
        System.out.printf(Locale.ROOT, "moons, default budget: %d steps, best validation NLL %.4f at step %d, %.1f s%n",
                m.get("steps").asInt(), best, m.get("best_step").asLong(), seconds);
        assertTrue(best <= 1.10, "best validation NLL " + best);
        assertEquals(best, m.get("val_nll").asDouble(), 1e-4, "model.safetensors holds the best-validation parameters");
        assertTrue(m.get("steps").asInt() > 62 && m.get("steps").asInt() < TrainCommand.DEFAULT_MAX_STEPS, m.toString());
        assertEquals(TrainCommand.DEFAULT_PATIENCE, m.get("patience").asInt());
        assertTrue(m.get("stopped_early").asText().startsWith("no improvement for"), m.toString());
    }

    @Test void theCapStopsADefaultRunAndSaysSo() throws IOException {
        Path run = dir.resolve("cap");
        CliTest.Out o = CliTest.run("train", "--data", "moons", "--samples", "1000", "--layers", "2", "--hidden", "8", "--batch", "64",
                "--max-steps", "40", "--threads", "1", "--no-plots", "--out", run.toString(), "-q");
        assertEquals(0, o.code(), o.err());
        assertTrue(o.out().contains("stopped at step 40: reached the cap of 40 steps (--max-steps)"), o.out());
        JsonNode m = metrics(run);
        assertEquals(40, m.get("steps").asInt());
        assertFalse(m.has("stopped_early"));
    }

    @Test void explicitBudgetsKeepTheirMeaning() throws IOException {
        Path run = dir.resolve("steps");
        CliTest.Out o = CliTest.run("train", "--data", "moons", "--samples", "1000", "--layers", "2", "--hidden", "8", "--batch", "64",
                "--steps", "30", "--threads", "1", "--no-plots", "--out", run.toString(), "-q");
        assertEquals(0, o.code(), o.err());
        assertFalse(o.out().contains("stopped at"), o.out());
        assertEquals(30, metrics(run).get("steps").asInt());
        assertEquals(0, metrics(run).get("patience").asInt());
        Path ep = dir.resolve("epochs");   // 800 training rows / 64 = 12 batches per epoch (drop-last)
        assertEquals(0, CliTest.run("train", "--data", "moons", "--samples", "1000", "--layers", "2", "--hidden", "8", "--batch", "64",
                "--epochs", "2", "--threads", "1", "--no-plots", "--out", ep.toString(), "-q").code());
        assertEquals(24, metrics(ep).get("steps").asInt());
        HostileCliTest.oneLine(CliTest.run("train", "--data", "moons", "--steps", "10", "--max-steps", "100", "--out", run.toString(), "-q"),
                "--max-steps caps the default budget");
        HostileCliTest.oneLine(CliTest.run("train", "--data", "moons", "--patience", "-1", "--out", run.toString(), "-q"),
                "--patience must be between 0 and");
        HostileCliTest.oneLine(CliTest.run("train", "--data", "moons", "--max-steps", "0", "--out", run.toString(), "-q"),
                "--max-steps must be between 1 and");
        HostileCliTest.oneLine(CliTest.run("train", "--data", "moons", "--val-fraction", "0", "--out", run.toString(), "-q"),
                "early stopping needs validation data");
    }

    @Test void imageDataGetsTheSameDefault() throws IOException {
        Path run = dir.resolve("digits");
        CliTest.Out o = CliTest.run("train", "--data", "digits", "--max-images", "300", "--levels", "1", "--steps-per-level", "1",
                "--width", "8", "--grid", "0", "--max-steps", "12", "--threads", "1", "--no-plots", "--out", run.toString(), "-q");
        assertEquals(0, o.code(), o.err());
        assertTrue(o.out().contains("stopped at step 12: reached the cap of 12 steps (--max-steps)"), o.out());
        assertEquals(TrainCommand.DEFAULT_PATIENCE, metrics(run).get("patience").asInt());
    }

    static void writeCsv(Path p, Dataset d) throws IOException {
        StringBuilder sb = new StringBuilder("x,y\n");
        for (int i = 0; i < d.n(); i++) sb.append(d.get(i, 0)).append(',').append(d.get(i, 1)).append('\n');
        Files.writeString(p, sb.toString());
    }

    static void writeNpy(Path p, Dataset d) throws IOException {
        String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + d.n() + ", " + d.dim() + "), }";
        int total = (10 + dict.length() + 1 + 63) / 64 * 64;
        String header = dict + " ".repeat(total - 10 - dict.length() - 1) + "\n";
        ByteBuffer b = ByteBuffer.allocate(total + 4 * d.data().length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0}).putShort((short) header.length());
        b.put(header.getBytes(StandardCharsets.US_ASCII));
        for (float v : d.data()) b.putFloat(v);
        Files.write(p, b.array());
    }

    @Test void fixedValidationAndTestFiles() throws IOException {
        Path data = dir.resolve("train.csv"), val = dir.resolve("val.csv"), test = dir.resolve("test.npy"), wide = dir.resolve("wide.csv");
        writeCsv(data, Generators.generate("moons", 600, 1));
        writeCsv(val, Generators.generate("moons", 123, 2));
        writeNpy(test, Generators.generate("moons", 77, 3));
        Files.writeString(wide, "a,b,c\n1,2,3\n4,5,6\n");
        Path run = dir.resolve("run");
        String[] base = {"train", "--data", data.toString(), "--layers", "2", "--hidden", "8", "--batch", "50", "--steps", "20",
                "--threads", "1", "--no-plots", "--out", run.toString(), "-q"};
        CliTest.Out o = CliTest.run(concat(base, "--val-data", val.toString(), "--test-data", test.toString()));
        assertEquals(0, o.code(), o.err());
        JsonNode m = metrics(run);
        assertEquals(600, m.get("n_train").asInt(), "no share of --data is held out when both files are given");
        assertEquals(123, m.get("n_val").asInt());
        assertEquals(77, m.get("n_test").asInt());
        assertEquals(val.toString(), m.get("val_data").asText());
        assertEquals(test.toString(), m.get("test_data").asText());
        assertTrue(m.get("test_nll").isNumber() && m.get("val_nll").isNumber(), m.toString());
        // only a validation file: the test share still comes from --data
        assertEquals(0, CliTest.run(concat(base, "--val-data", val.toString())).code());
        assertEquals(540, metrics(run).get("n_train").asInt());
        assertEquals(60, metrics(run).get("n_test").asInt());
        HostileCliTest.oneLine(CliTest.run(concat(base, "--val-data", val.toString(), "--val-fraction", "0.2")),
                "--val-data and --val-fraction both given");
        HostileCliTest.oneLine(CliTest.run(concat(base, "--test-data", test.toString(), "--test-fraction", "0.2")),
                "--test-data and --test-fraction both given");
        HostileCliTest.oneLine(CliTest.run(concat(base, "--val-data", wide.toString())), "--val-data", "rows have 3 values", "have 2");
        HostileCliTest.oneLine(CliTest.run(concat(base, "--test-data", dir.resolve("nope.csv").toString())), "--test-data", "no such file");
    }

    static String[] concat(String[] a, String... b) {
        return java.util.stream.Stream.concat(java.util.Arrays.stream(a), java.util.Arrays.stream(b)).toArray(String[]::new);
    }

    /** A checkpoint written before the header checksum existed: --resume needs --allow-unverified, as every other reader. */
    @Test void resumeAcceptsAnUnverifiedCheckpointOnlyWhenAllowed() throws IOException {
        Path run = dir.resolve("r");
        String[] base = {"train", "--data", "moons", "--samples", "500", "--layers", "1", "--hidden", "4", "--batch", "50",
                "--threads", "1", "--no-plots", "--out", run.toString(), "-q"};
        assertEquals(0, CliTest.run(concat(base, "--steps", "10")).code());
        Path ck = Files.copy(run.resolve("checkpoint.safetensors"), dir.resolve("old.safetensors"));
        stripHeaderChecksum(ck);
        HostileCliTest.oneLine(CliTest.run(concat(base, "--steps", "20", "--resume", ck.toString())), "--allow-unverified");
        CliTest.Out o = CliTest.run(concat(base, "--steps", "20", "--resume", ck.toString(), "--allow-unverified"));
        assertEquals(0, o.code(), o.err());
        assertEquals(20, metrics(run).get("steps").asInt());
    }

    /** Removes {@code header_crc32} from a safetensors file's metadata (the data section is kept; offsets are relative to it). */
    static void stripHeaderChecksum(Path p) throws IOException {
        byte[] b = Files.readAllBytes(p);
        int n = (int) ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong();
        ObjectNode h = (ObjectNode) JSON.readTree(new String(b, 8, n, StandardCharsets.UTF_8));
        assertNotNull(((ObjectNode) h.get("__metadata__")).remove(SafeTensors.HEADER_CRC_KEY));
        byte[] json = JSON.writeValueAsBytes(h);
        ByteBuffer out = ByteBuffer.allocate(8 + json.length + b.length - 8 - n).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(json.length).put(json).put(b, 8 + n, b.length - 8 - n);
        Files.write(p, out.array());
    }
}
