package dev.fluvia.spark;

import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.randn;

import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.serve.FlowModel;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;

/**
 * Scores a DataFrame with a Fluvia model on Spark and samples into one; with {@code --compare}, times Spark against the
 * same rows scored in-process. Run by {@code scripts/fluvia-spark-example}:
 *
 * <pre>
 * scripts/fluvia-spark-example --model runs/moons/model.safetensors [--rows 1000000] [--partitions 4] [--master local[2]] [--compare]
 * </pre>
 */
public final class SparkScoringExample {
    private SparkScoringExample() {}

    public static void main(String[] args) {
        Path modelFile = null;
        long rows = 1_000_000;
        int partitions = 4;
        String master = "local[2]";
        boolean compare = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--model" -> modelFile = Path.of(args[++i]);
                case "--rows" -> rows = Long.parseLong(args[++i]);
                case "--partitions" -> partitions = Integer.parseInt(args[++i]);
                case "--master" -> master = args[++i];
                case "--compare" -> compare = true;
                default -> {
                    System.err.println("usage: --model FILE [--rows N] [--partitions P] [--master local[2]] [--compare]");
                    System.exit(2);
                }
            }
        }
        if (modelFile == null) {
            System.err.println("--model FILE is required (e.g. runs/moons/model.safetensors from `scripts/fluvia demo`)");
            System.exit(2);
        }
        SparkSession spark = SparkSession.builder().master(master).appName("fluvia-spark-example")
                .config("spark.ui.enabled", "false").getOrCreate();
        spark.sparkContext().setLogLevel("WARN");
        try (SparkFlowModel model = SparkFlowModel.load(spark, modelFile)) {
            // a DataFrame with an array<float> column "features": standard normal points, cached so that timing sees only scoring
            Column[] cols = new Column[model.dimension()];
            for (int c = 0; c < cols.length; c++) cols[c] = randn(c + 1).cast(DataTypes.FloatType);
            Dataset<Row> points = spark.range(0, rows, 1, partitions).withColumn("features", array(cols)).cache();
            points.count();

            Dataset<Row> scored = model.logProb(points, "features", "logp");
            scored.show(3, false);
            // the first pass includes the JIT's warm-up of the model code (C2 compiles the Vector API kernels); the second is timed
            long t0 = System.nanoTime();
            double mean = scored.agg(avg(col("logp"))).first().getDouble(0);
            double firstSec = (System.nanoTime() - t0) / 1e9;
            t0 = System.nanoTime();
            scored.agg(avg(col("logp"))).first();
            double sparkSec = (System.nanoTime() - t0) / 1e9;
            System.out.printf("scored %,d rows on %s in %.2f s: %,.0f rows/s (first pass, with JIT warm-up: %.2f s); mean log p = %.4f%n",
                    rows, master, sparkSec, rows / sparkSec, firstSec, mean);

            Dataset<Row> samples = model.sample(spark, 1000, partitions, 1.0f, 42L);
            samples.show(3, false);
            System.out.printf("sampled %,d rows%n", samples.count());

            if (compare) {
                sparkRowPathAlone(points, rows, master);
                compareInProcess(modelFile, points, model.dimension(), rows, sparkSec, master);
            }
            points.unpersist();
        } finally {
            spark.stop();
        }
    }

    /** The scoring job's Row path with no model: each row read and written back with a constant appended (Spark's share). */
    private static void sparkRowPathAlone(Dataset<Row> points, long rows, String master) {
        org.apache.spark.sql.types.StructType out = points.schema().add("logp", DataTypes.FloatType, true);
        Dataset<Row> same = points.mapPartitions((org.apache.spark.api.java.function.MapPartitionsFunction<Row, Row>) it -> new java.util.Iterator<Row>() {
            @Override public boolean hasNext() { return it.hasNext(); }
            @Override public Row next() {
                Row r = it.next();
                return SparkFlowModel.append(r, (float) ((List<?>) r.getList(1)).size());
            }
        }, org.apache.spark.sql.Encoders.row(out));
        same.agg(avg(col("logp"))).first();
        long t0 = System.nanoTime();
        same.agg(avg(col("logp"))).first();
        double sec = (System.nanoTime() - t0) / 1e9;
        System.out.printf("Spark's Row path alone (no model) on %s: %,.0f rows/s%n", master, rows / sec);
    }

    /** The same rows scored by FlowModel in this JVM (blocks of 4096 rows), on 1 and on 2 threads. */
    private static void compareInProcess(Path modelFile, Dataset<Row> points, int dim, long rows, double sparkSec, String master) {
        if (rows > 20_000_000) throw new IllegalArgumentException("--compare collects the rows to the driver: use at most 20M");
        List<Row> local = points.select("features").collectAsList();
        int n = local.size();
        float[] flat = new float[Math.multiplyExact(n, dim)];
        for (int r = 0; r < n; r++) {
            List<Object> x = local.get(r).getList(0);
            for (int c = 0; c < dim; c++) flat[r * dim + c] = (Float) x.get(c);
        }
        for (int threads : new int[] {1, 2}) {
            try (CpuBackend be = new CpuBackend(threads); FlowModel m = FlowModel.load(modelFile, be)) {
                double best = Double.MAX_VALUE;
                for (int rep = 0; rep < 3; rep++) {
                    long t0 = System.nanoTime();
                    int block = 4096;
                    for (int from = 0; from < n; from += block) {
                        int k = Math.min(block, n - from);
                        float[] part = java.util.Arrays.copyOfRange(flat, from * dim, (from + k) * dim);
                        m.logProb(part, k);
                    }
                    best = Math.min(best, (System.nanoTime() - t0) / 1e9);
                }
                System.out.printf("in-process FlowModel, %d thread(s): %,.0f rows/s (best of 3); Spark %s / in-process = %.2f%n",
                        threads, n / best, master, (rows / sparkSec) / (n / best));
            }
        }
    }
}
