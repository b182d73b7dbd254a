package dev.fluvia.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.backend.cpu.CpuGemm;
import dev.fluvia.distributions.ContextStandardNormal;
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

    @Option(names = "--blas", paramLabel = "GEMM", description = "Which CPU GEMM to report: openblas, java or auto (the default, "
            + "as for the computing commands).")
    String blas;

    @Override public Integer call() {
        if (blas != null) System.setProperty(CpuGemm.PROPERTY, CpuGemm.parse(blas));
        System.out.print(ModelDescription.read(model).summary());
        try (CpuBackend be = new CpuBackend(1)) {
            System.out.println("cpu GEMM: " + be.gemm());
            Checkpoint.Loaded ck = Checkpoint.load(model, be, allowUnverified, Checkpoint.Use.SCORE);
            Flow flow = ck.flow();
            System.out.printf(Locale.ROOT, "trainable parameters: %,d%n", flow.parameterCount());
            ContextStandardNormal cb = ConditionalCli.base(flow);
            if (cb != null) {
                int[] cols = ConditionalCli.storedColumns(ck, model, cb.context());
                System.out.println("conditional model p(x | c): x has " + dev.fluvia.flow.ConditionalFlows.dataDim(flow) + " dims, the context c has " + cb.context()
                        + (cols == null ? (ck.training() != null && ck.training().has("conditional_on")
                                ? "; conditioned on the " + ck.training().get("conditional_on").asText()
                                : " (no training columns stored: give logprob --context-columns or --context)")
                                : "; training data columns: x = " + ConditionalCli.list(dev.fluvia.app.ConditionalTrainJob.xColumns(flow.eventSize(), cols))
                                  + ", c = " + ConditionalCli.list(cols)));
                String c0 = "0,".repeat(cb.context() - 1) + "0";
                System.out.println(cols != null ? "  score: fluvia logprob --model M --input rows.csv -o logp.csv (rows with the training data's columns)"
                        : "  score: fluvia logprob --model M --input x.csv --context " + c0 + " -o logp.csv (rows of x only)");
                System.out.println("  sample: fluvia sample --model M --context " + c0 + " -n 100 -o x.csv");
            }
            for (Transform t : flow.transforms()) {
                if (!(t instanceof Standardize)) continue;
                for (Param p : t.params()) {
                    float[] v = be.toHost(p.value());
                    // a conditional flow standardises x only (its context entries are the identity): show x's statistics
                    if (cb != null && v.length == flow.eventSize()) v = Arrays.copyOf(v, flow.eventSize() - cb.context());
                    System.out.println("data " + p.name() + (cb != null ? " of x" : "") + " (training split): " + fmt(v));
                }
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
