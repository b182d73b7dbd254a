package dev.fluvia.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.flow.ConditionalFlows;
import dev.fluvia.flow.Flow;
import dev.fluvia.io.Checkpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code fluvia train --context-columns}: conditional flows (spline, MAF, RealNVP, IAF) from a CSV whose middle column is the class label. */
class ConditionalCliTest {
    @TempDir Path dir;

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"spline", "maf", "realnvp", "iaf"})
    void trainsAConditionalFlowFromContextColumns(String flow) throws Exception {
        SplittableRandom r = new SplittableRandom(2);
        StringBuilder csv = new StringBuilder();
        int n = 1500;
        for (int i = 0; i < n; i++) {
            int k = i % 2;
            double x0 = (k == 0 ? -2 : 2) + 0.5 * CpuBackend.gaussian(r), x1 = (k == 0 ? 1 : -1) + 0.7 * CpuBackend.gaussian(r);
            csv.append(x0).append(',').append(k).append(',').append(x1).append('\n');
        }
        Path data = dir.resolve("two_class.csv");
        Files.writeString(data, csv.toString());
        Path out = dir.resolve("run-" + flow);
        CliTest.Out t = CliTest.run("train", "--data", data.toString(), "--context-columns", "1", "--flow", flow, "--layers", "2",
                "--hidden", "16", "--steps", "150", "--lr", "5e-3", "--batch", "128", "--threads", "1", "--out", out.toString(), "--quiet");
        assertEquals(0, t.code(), t.err());
        JsonNode m = new ObjectMapper().readTree(out.resolve("metrics.json").toFile());
        assertEquals(2, m.get("dim").asInt());
        assertEquals(1, m.get("context_dim").asInt());
        // true conditional entropy: log(2πe·0.5·0.7) ≈ 1.78 nats; a short run gets within half a nat
        double testNll = m.get("test_nll").asDouble();
        assertTrue(testNll < 2.3 && testNll > 1.5, flow + ": test NLL " + testNll);
        assertEquals("conditional " + flow, m.get("flow").asText());
        Flow f = Checkpoint.load(out.resolve("model.safetensors"), new CpuBackend(1)).flow();
        float[] x = {-2f, 1f, 2f, -1f};
        float[] own = ConditionalFlows.logProb(f, x, new float[] {0f, 1f}, 2), swapped = ConditionalFlows.logProb(f, x, new float[] {1f, 0f}, 2);
        for (int i = 0; i < 2; i++) assertTrue(own[i] > swapped[i] + 3, "row " + i + ": " + own[i] + " vs " + swapped[i]);
    }

    @Test void badContextColumnsAreOneLineErrors() throws Exception {
        Path data = dir.resolve("d.csv");
        Files.writeString(data, "1,2\n3,4\n5,6\n7,8\n");
        for (String[] bad : new String[][] {{"--context-columns", "2"}, {"--context-columns", "0,1"}, {"--context-columns", "x"},
                {"--context-columns", "1", "--flow", "planar"}}) {
            String[] args = new String[6 + bad.length];
            System.arraycopy(new String[] {"train", "--data", data.toString(), "--out", dir.resolve("bad").toString(), "--quiet"}, 0, args, 0, 6);
            System.arraycopy(bad, 0, args, 6, bad.length);
            if (bad.length == 2) { // default flow is realnvp: ask for spline
                args = java.util.Arrays.copyOf(args, args.length + 2);
                args[args.length - 2] = "--flow";
                args[args.length - 1] = "spline";
            }
            CliTest.Out o = CliTest.run(args);
            assertNotEquals(0, o.code(), String.join(" ", bad));
            assertTrue(o.err().contains("--context-columns"), o.err());
            if (bad.length == 4) assertTrue(o.err().contains("'planar'"), o.err());
            assertTrue(o.err().strip().lines().count() <= 2, o.err());
        }
    }
}
