package dev.fluvia.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.flow.Flow;
import dev.fluvia.flow.PresetOptions;
import dev.fluvia.flow.Presets;
import dev.fluvia.io.Checkpoint;
import dev.fluvia.param.Param;
import dev.fluvia.serve.FlowModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.ml.linalg.VectorUDT;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Spark in local[2], for real: scoring and sampling bit-identical to FlowModel in-process, one model load per JVM, typed errors. */
@Timeout(180)
class SparkFlowModelTest {
    static final int D = 3, N = 10_000;
    static SparkSession spark;
    static JavaSparkContext jsc;
    static Path dir, file;
    static FlowModel reference;
    static float[] points;
    static float[] expected;

    @BeforeAll static void setUp() throws IOException {
        dir = Files.createTempDirectory("fluvia-spark-test");
        file = makeModel(dir.resolve("model.safetensors"), 5L);
        reference = FlowModel.load(file);
        SplittableRandom r = new SplittableRandom(3);
        points = new float[N * D];
        for (int i = 0; i < points.length; i++) points[i] = (float) (2 * CpuBackend.gaussian(r));
        expected = reference.logProb(points, N);
        spark = SparkSession.builder().master("local[2]").appName("fluvia-spark-test")
                .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "2")
                .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1").getOrCreate();
        jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    }

    @AfterAll static void tearDown() throws IOException {
        if (spark != null) spark.stop();
        reference.close();
        try (var s = Files.list(dir)) {
            for (Path p : s.toList()) Files.deleteIfExists(p);
        }
        Files.deleteIfExists(dir);
    }

    /** A small RealNVP moved off its initialisation (so that every layer matters), saved with checksums. */
    static Path makeModel(Path f, long seed) {
        try (CpuBackend be = new CpuBackend(1)) {
            Flow flow = Presets.build("realnvp", be, D, new PresetOptions(4, 16, 1, null, null, 0f, null, seed), null, null);
            SplittableRandom r = new SplittableRandom(seed);
            for (Param p : flow.params()) {
                if (!p.trainable()) continue;
                float[] v = be.toHost(p.value());
                for (int i = 0; i < v.length; i++) v[i] += (float) ((r.nextDouble() * 2 - 1) * 0.2);
                be.upload(v, p.value());
            }
            Checkpoint.save(f, flow, null, null);
        }
        return f;
    }

    static Float[] boxed(int row) {
        Float[] x = new Float[D];
        for (int c = 0; c < D; c++) x[c] = points[row * D + c];
        return x;
    }

    static Dataset<Row> frame(List<Row> rows, StructType schema, int partitions) {
        return spark.createDataFrame(jsc.parallelize(rows, partitions), schema);
    }

    @Test void arrayColumnScoresBitIdenticalToInProcessWithOneLoadPerJvm() {
        StructType schema = new StructType().add("id", DataTypes.IntegerType, false).add("tag", DataTypes.StringType, true)
                .add("features", DataTypes.createArrayType(DataTypes.FloatType, false), true);
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < N; i++) rows.add(RowFactory.create(i, "r" + i, boxed(i)));
        int before = ExecutorModels.loads();
        // 4 partitions of 2500 rows, blocks of 1000: full and partial blocks in every partition
        try (SparkFlowModel model = SparkFlowModel.load(spark, file, 1000, 1)) {
            assertEquals(D, model.dimension());
            List<Row> out = model.logProb(frame(rows, schema, 4), "features", "logp").collectAsList();
            assertEquals(N, out.size());
            for (Row r : out) {
                int id = r.getInt(0);
                assertEquals("r" + id, r.getString(1));
                assertEquals(Float.floatToRawIntBits(expected[id]), Float.floatToRawIntBits(r.getFloat(3)), "row " + id);
            }
            // a second job reuses the cached model
            assertEquals(N, model.logProb(frame(rows, schema, 3), "features", "logp").count());
            assertEquals(1, ExecutorModels.loads() - before, "one model load in this JVM (the driver's check, then cached for every task)");
        }
    }

    @Test void doubleArraysDenseAndSparseVectorsAndNulls() {
        StructType schema = new StructType().add("id", DataTypes.IntegerType, false)
                .add("d", DataTypes.createArrayType(DataTypes.DoubleType, true), true).add("v", new VectorUDT(), true);
        List<Row> rows = new ArrayList<>();
        int n = 600;
        for (int i = 0; i < n; i++) {
            double[] x = new double[D];
            for (int c = 0; c < D; c++) x[c] = points[i * D + c];
            if (i % 7 == 0) x[1] = 0;
            Object vec = i % 2 == 0 ? Vectors.dense(x) : Vectors.dense(x).toSparse();
            rows.add(RowFactory.create(i, i % 50 == 3 ? null : Arrays.stream(x).boxed().toArray(Double[]::new), i % 50 == 4 ? null : vec));
        }
        float[] flat = new float[n * D];
        for (int i = 0; i < n; i++)
            for (int c = 0; c < D; c++) flat[i * D + c] = i % 7 == 0 && c == 1 ? 0f : points[i * D + c];
        float[] want = reference.logProb(flat, n);
        try (SparkFlowModel model = SparkFlowModel.load(spark, file, 64, 1)) {
            Dataset<Row> scored = model.logProb(model.logProb(frame(rows, schema, 2), "d", "lp_d"), "v", "lp_v");
            int nulls = 0;
            for (Row r : scored.collectAsList()) {
                int id = r.getInt(0);
                if (id % 50 == 3) { assertNull(r.get(3)); nulls++; }
                else assertEquals(Float.floatToRawIntBits(want[id]), Float.floatToRawIntBits(r.getFloat(3)), "array<double> row " + id);
                if (id % 50 == 4) { assertNull(r.get(4)); nulls++; }
                else assertEquals(Float.floatToRawIntBits(want[id]), Float.floatToRawIntBits(r.getFloat(4)), "vector row " + id);
            }
            assertEquals(2 * (n / 50), nulls);
        }
    }

    static String messages(Throwable t) {
        StringBuilder sb = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause()) sb.append(c).append('\n');
        return sb.toString();
    }

    @Test void badRowsFailWithTheTypedMessageAndBadColumnsAtPlanTime() {
        StructType schema = new StructType().add("features", DataTypes.createArrayType(DataTypes.FloatType, true), true)
                .add("name", DataTypes.StringType, true);
        try (SparkFlowModel model = SparkFlowModel.load(spark, file)) {
            List<Row> wide = List.of(RowFactory.create((Object) boxed(0)), RowFactory.create((Object) new Float[] {1f, 2f}));
            StructType one = new StructType().add("features", DataTypes.createArrayType(DataTypes.FloatType, true), true);
            Exception e = assertThrows(Exception.class, () -> model.logProb(frame(wide, one, 1), "features", "lp").collectAsList());
            assertTrue(messages(e).contains("partition 0, row 1 of the partition: column 'features' has 2 values, the model takes 3"), messages(e));
            List<Row> nan = List.of(RowFactory.create((Object) new Float[] {1f, Float.NaN, 3f}));
            e = assertThrows(Exception.class, () -> model.logProb(frame(nan, one, 1), "features", "lp").collectAsList());
            assertTrue(messages(e).contains("NonFiniteException") && messages(e).contains("index 1 is NaN"), messages(e));
            List<Row> ok = List.of(RowFactory.create(boxed(0), "a"));
            assertThrows(IllegalArgumentException.class, () -> model.logProb(frame(ok, schema, 1), "name", "lp"));
            assertThrows(IllegalArgumentException.class, () -> model.logProb(frame(ok, schema, 1), "missing", "lp"));
            assertThrows(IllegalArgumentException.class, () -> model.logProb(frame(ok, schema, 1), "features", "name"));
        }
        assertThrows(RuntimeException.class, () -> SparkFlowModel.fromBytes(spark, "not a model".getBytes(), 16, 1));
    }

    @Test void samplesBitIdenticalToFlowModelBlockByBlock() {
        long n = 2_500;
        int parts = 3, block = 400;
        try (SparkFlowModel model = SparkFlowModel.load(spark, file, block, 1)) {
            List<Row> rows = model.sample(spark, n, parts, 0.8f, 7L).collectAsList();
            assertEquals(n, rows.size());
            int i = 0;
            for (int p = 0; p < parts; p++) {
                long count = SparkFlowModel.share(n, parts, p);
                for (int b = 0; (long) b * block < count; b++) {
                    int m = (int) Math.min(block, count - (long) b * block);
                    float[] xs = reference.sample(m, 0.8f, SparkFlowModel.blockSeed(7L, p, b));
                    for (int r = 0; r < m; r++, i++) {
                        List<Object> x = rows.get(i).getList(0);
                        assertEquals(D, x.size());
                        for (int c = 0; c < D; c++)
                            assertEquals(Float.floatToRawIntBits(xs[r * D + c]), Float.floatToRawIntBits((Float) x.get(c)), "sample " + i);
                    }
                }
            }
            // the samples score like any other DataFrame
            Dataset<Row> scored = model.logProb(model.sample(spark, 100, 2, 1f, 1L), "x", "lp");
            for (Row r : scored.collectAsList()) assertNotNull(r.get(1));
            assertEquals(0, model.sample(spark, 0, 2, 1f, 1L).count());
            assertThrows(IllegalArgumentException.class, () -> model.sample(spark, 10, 0, 1f, 1L));
            assertThrows(IllegalArgumentException.class, () -> model.sample(spark, 10, 1, 0f, 1L));
        }
    }
}
