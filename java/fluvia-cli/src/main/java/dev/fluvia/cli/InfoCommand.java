package dev.fluvia.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fluvia.backend.Backend;
import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.flow.Flow;
import dev.fluvia.io.Checkpoint;
import dev.fluvia.io.ModelDescription;
import dev.fluvia.param.Param;
import dev.fluvia.transforms.Standardize;
import dev.fluvia.transforms.Transform;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "info", mixinStandardHelpOptions = true, description = "Describe a saved model: layers, parameter count, data statistics, training run.")
final class InfoCommand implements Callable<Integer> {
    @Option(names = {"-m", "--model"}, required = true, description = "A model.safetensors written by fluvia train.")
    Path model;

    @Option(names = "--allow-unverified", description = "Read a model file that has no header or data checksum (written by an older "
            + "Fluvia or another tool). Checksums that are present are always verified.")
    boolean allowUnverified;

    @Override public Integer call() {
        System.out.print(ModelDescription.read(model).summary());
        try (Backend be = new CpuBackend(1)) {
            Checkpoint.Loaded ck = Checkpoint.load(model, be, allowUnverified, Checkpoint.Use.SCORE);
            Flow flow = ck.flow();
            System.out.printf(Locale.ROOT, "trainable parameters: %,d%n", flow.parameterCount());
            for (Transform t : flow.transforms()) {
                if (!(t instanceof Standardize)) continue;
                for (Param p : t.params())
                    System.out.println("data " + p.name() + " (training split): " + fmt(be.toHost(p.value())));
            }
            ObjectNode tr = ck.training();
            if (tr != null) {
                if (tr.has("data")) System.out.println("trained on: " + tr.get("data").asText());
                if (tr.has("best_step")) System.out.println("best validation step: " + tr.get("best_step").asLong());
                if (tr.has("config")) System.out.println("training config: " + tr.get("config"));
            }
        }
        return 0;
    }

    private static String fmt(float[] v) {
        String[] s = new String[Math.min(v.length, 16)];
        for (int i = 0; i < s.length; i++) s[i] = String.format(Locale.ROOT, "%.4g", v[i]);
        return Arrays.toString(s) + (v.length > 16 ? " … (" + v.length + " values)" : "");
    }
}
