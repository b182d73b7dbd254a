package dev.fluvia.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.fluvia.FluviaException.CheckpointException;
import dev.fluvia.FluviaException.ShapeException;
import dev.fluvia.distributions.ContextStandardNormal;
import dev.fluvia.flow.Flow;
import dev.fluvia.io.Checkpoint;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * What the scoring and sampling commands need to know about a conditional model {@code p(x | c)} (a flow over rows
 * {@code [x | c]} on a {@link ContextStandardNormal} base, as {@code fluvia train --context-columns} writes it): its
 * widths, and the context columns of the training data, which that command stores in the model file's training
 * metadata ({@code "context_columns"}, 0-based, in the order the context takes them).
 */
final class ConditionalCli {
    private ConditionalCli() {}

    /** The conditional base of a flow, or null for an unconditional model. */
    static ContextStandardNormal base(Flow f) {
        return f.base() instanceof ContextStandardNormal b ? b : null;
    }

    /** The context columns stored with the model, or null when it stores none (a model built in code, an image model). */
    static int[] storedColumns(Checkpoint.Loaded ck, Path model, int context) {
        JsonNode tr = ck.training();
        if (tr == null || !tr.has("context_columns")) return null;
        JsonNode a = tr.get("context_columns");
        if (!a.isArray() || a.size() != context)
            throw new CheckpointException(model + ": stored context_columns " + a + " do not match the model's context width " + context);
        int[] cols = new int[context];
        for (int i = 0; i < context; i++) {
            if (!a.get(i).isIntegralNumber() || a.get(i).asInt() < 0)
                throw new CheckpointException(model + ": stored context_columns " + a + " are not column indices");
            cols[i] = a.get(i).asInt();
        }
        return cols;
    }

    /** "2, 3" for messages and {@code info}. */
    static String list(int[] cols) {
        return Arrays.stream(cols).mapToObj(Integer::toString).collect(Collectors.joining(","));
    }

    /** A context vector given on the command line ("1,0,0"): exactly {@code context} finite numbers. */
    static float[] parseVector(String option, String spec, int context) {
        String[] parts = spec.split(",", -1);
        float[] v = new float[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                v[i] = Float.parseFloat(parts[i].trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(option + " '" + spec + "': '" + parts[i].trim() + "' is not a number (expected "
                        + context + " comma-separated numbers)");
            }
            if (!Float.isFinite(v[i])) throw new IllegalArgumentException(option + " '" + spec + "': value " + (i + 1) + " is not finite");
        }
        if (v.length != context)
            throw new ShapeException(option + " '" + spec + "': gives " + v.length + " value" + (v.length == 1 ? "" : "s")
                    + " but the model's context has " + context);
        return v;
    }

    /** The one-line error for a context option given to a model that takes none. */
    static ShapeException notConditional(String option, Path model) {
        return new ShapeException(option + ": " + model + " is not a conditional model (it was trained without --context-columns); "
                + "it takes no context");
    }
}
