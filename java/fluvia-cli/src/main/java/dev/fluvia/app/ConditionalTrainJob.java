package dev.fluvia.app;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fluvia.backend.Backend;
import dev.fluvia.data.Dataset;
import dev.fluvia.data.Splits;
import dev.fluvia.data.Standardization;
import dev.fluvia.flow.ConditionalFlows;
import dev.fluvia.flow.Flow;
import dev.fluvia.train.InvalidConfigException;
import dev.fluvia.train.TrainData;
import dev.fluvia.train.TrainListener;
import dev.fluvia.train.TrainResult;
import java.util.Arrays;

/**
 * {@code fluvia train --context-columns …}: fits a conditional flow {@code p(x | c)} ({@link ConditionalFlows}) where
 * the given columns of the data are the context {@code c} and the rest are {@code x}. Rows are stored as {@code [x | c]}
 * (x columns in their file order, then the context columns in the order given); NLLs are conditional, in nats per row.
 * Every tabular preset with a conditioner takes a context ({@link ConditionalFlows#NAMES}); the others are refused with
 * {@link ConditionalFlows.NoConditionerException} naming the flow. Resuming and plots are not offered for conditional runs.
 *
 * <p>The model file's training metadata (and the checkpoint's) stores the context columns as {@code "context_columns"}
 * (0-based indices of the data file, in the context's order); {@code fluvia logprob} reads a file of the same layout with
 * them, and {@code fluvia sample} and {@code fluvia info} name them. The standardisation of x (mean and standard deviation
 * of the training split's x columns) is the flow's first layer, identity on the context, so scoring and sampling apply it
 * with the rest of the flow.
 */
public final class ConditionalTrainJob {
    private ConditionalTrainJob() {}

    /** Parses "2,3" (0-based column indices) against {@code dim} columns: unique, in range, at least one column left for x. */
    public static int[] parseColumns(String spec, int dim) {
        int[] cols;
        try {
            cols = Arrays.stream(spec.split(",")).map(String::trim).mapToInt(Integer::parseInt).toArray();
        } catch (NumberFormatException e) {
            throw new InvalidConfigException("--context-columns '" + spec + "': expected 0-based column indices separated by commas, e.g. 2,3");
        }
        boolean[] seen = new boolean[dim];
        for (int c : cols) {
            if (c < 0 || c >= dim) throw new InvalidConfigException("--context-columns: column " + c + " is outside 0.." + (dim - 1) + " (the data has " + dim + " columns)");
            if (seen[c]) throw new InvalidConfigException("--context-columns: column " + c + " is given twice");
            seen[c] = true;
        }
        if (cols.length >= dim) throw new InvalidConfigException("--context-columns: all " + dim + " columns are context; at least one must be modelled");
        return cols;
    }

    /** The data's columns reordered to {@code [x | c]} (x columns in file order, then the context columns as given). */
    public static Dataset reorder(Dataset d, int[] context) {
        int dim = d.dim();
        int[] xs = xColumns(dim, context), order = new int[dim];
        System.arraycopy(xs, 0, order, 0, xs.length);
        System.arraycopy(context, 0, order, xs.length, context.length);
        float[] out = new float[d.n() * dim];
        for (int i = 0; i < d.n(); i++)
            for (int j = 0; j < dim; j++) out[i * dim + j] = d.data()[i * dim + order[j]];
        return new Dataset(d.name(), out, d.n(), dim);
    }

    /** The x columns: those of a row of {@code width} columns that are not context columns, in file order. */
    public static int[] xColumns(int width, int[] context) {
        boolean[] isC = new boolean[width];
        for (int c : context) if (c < width) isC[c] = true;
        return java.util.stream.IntStream.range(0, width).filter(j -> !isC[j]).toArray();
    }

    private static Dataset xColumns(Dataset d, int xDim) {
        float[] out = new float[d.n() * xDim];
        for (int i = 0; i < d.n(); i++) System.arraycopy(d.data(), i * d.dim(), out, i * xDim, xDim);
        return new Dataset(d.name(), out, d.n(), xDim);
    }

    public static TrainJob.Outcome run(TrainJob.Spec spec, String contextColumns, Backend be, TrainListener listener) {
        if (!ConditionalFlows.NAMES.contains(spec.flow()) && dev.fluvia.flow.Presets.NAMES.contains(spec.flow()))
            throw new ConditionalFlows.NoConditionerException("--context-columns: flow '" + spec.flow() + "' has no conditioner to take a context"
                    + " (conditional flows: " + String.join(", ", ConditionalFlows.NAMES) + ")");
        if (spec.resume() != null) throw new InvalidConfigException("--context-columns: --resume is not supported for conditional runs");
        long seed = spec.train().seed();
        Dataset raw = DataSource.load(spec.data(), spec.generatedSamples(), seed);
        if (!spec.allowDegenerateData()) TrainJob.checkDegenerate(spec.data(), raw);
        int[] ctx = parseColumns(contextColumns, raw.dim());
        Dataset all = reorder(raw, ctx);
        int dim = all.dim(), xDim = dim - ctx.length;
        double vf = spec.valData() != null ? 0 : spec.valFraction(), tf = spec.testData() != null ? 0 : spec.testFraction();
        Splits.Split split = Splits.split(all, 1 - vf - tf, vf, seed);
        Dataset train = split.train(), val = split.validation(), test = split.test();
        if (spec.valData() != null) val = reorder(TrainJob.readSplitFile("--val-data", spec.valData(), raw.dim(), all.name() + "/validation"), ctx);
        if (spec.testData() != null) test = reorder(TrainJob.readSplitFile("--test-data", spec.testData(), raw.dim(), all.name() + "/test"), ctx);
        if (spec.train().patience() > 0 && val.n() == 0)
            throw new IllegalArgumentException("early stopping needs validation data: --val-fraction is 0 and no --val-data is given");
        float[] mean = null, std = null;
        if (spec.standardize()) {
            Standardization s = Standardization.fit(xColumns(train, xDim));
            mean = s.mean();
            std = s.std();
        }
        Flow flow = ConditionalFlows.build(spec.flow(), be, xDim, ctx.length, spec.preset(), mean, std);

        ObjectNode provenance = JsonNodeFactory.instance.objectNode();
        provenance.put("data_fingerprint", TrainJob.fingerprint(raw));
        provenance.set("context_columns", JsonNodeFactory.instance.arrayNode().addAll(Arrays.stream(ctx).mapToObj(JsonNodeFactory.instance::numberNode).toList()));
        TrainRun run = new TrainRun(spec.out(), spec.train(), spec.data(), provenance);
        dev.fluvia.train.Trainer trainer = new dev.fluvia.train.Trainer(flow, new TrainData(train.data(), train.n(), val.data(), val.n(), dim), spec.train());
        if (listener != null) trainer.listener(listener);
        run.attach(trainer, null, listener);
        TrainResult result = run.trainAndSave(trainer);

        double trainNll = TrainJob.meanNll(flow, train), valNll = TrainJob.meanNll(flow, val), testNll = TrainJob.meanNll(flow, test);
        ObjectNode m = JsonNodeFactory.instance.objectNode();
        m.put("data", spec.data());
        m.put("flow", "conditional " + spec.flow());
        m.put("backend", be.name());
        m.put("threads", be.threads());
        m.put("dim", xDim);
        m.put("context_dim", ctx.length);
        m.set("context_columns", provenance.get("context_columns"));
        m.put("n_train", train.n()); m.put("n_val", val.n()); m.put("n_test", test.n());
        m.put("parameters", flow.parameterCount());
        m.put("train_nll", trainNll); m.put("val_nll", valNll); m.put("test_nll", testNll);
        m.put("best_val_nll", result.bestValNll());
        m.put("best_step", result.bestStep());
        m.put("steps", result.losses().length);
        m.put("units", "nats per sample, conditional: −log p(x | c)");
        var losses = m.putArray("train_loss");
        for (double v : result.losses()) losses.add(v);
        m.set("config", spec.train().toJson());
        TrainRun.writeJson(run.metrics(), m);
        return new TrainJob.Outcome(run.model(), run.metrics(), java.util.List.of(), trainNll, valNll, testNll, result);
    }
}
