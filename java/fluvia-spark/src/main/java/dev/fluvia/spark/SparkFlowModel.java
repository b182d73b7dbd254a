package dev.fluvia.spark;

import dev.fluvia.FluviaException;
import dev.fluvia.serve.FlowModel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.linalg.DenseVector;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.VectorUDT;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import scala.collection.Seq;

/**
 * A Fluvia model for Spark: scores a DataFrame's feature column into a log-density column, and samples into a DataFrame.
 *
 * <p>The checkpoint's bytes are broadcast once; each executor JVM loads them into one cached {@link FlowModel} (see
 * {@link ExecutorModels}) the first time a task needs it, and every later task on that executor reuses it. Each partition is
 * scored in contiguous blocks of {@link #blockRows()} rows: one {@link FlowModel#logProb(float[], int)} call per block, never
 * one per row. The log-densities are bit-identical to scoring the same rows in-process with {@link FlowModel} on the CPU
 * backend (a row's result does not depend on which rows share its block).
 *
 * <p>Feature columns: {@code array<float>}, {@code array<double>} (each value rounded to float32, as the model computes in
 * float32) or a Spark ML {@link Vector} (dense or sparse). A null feature value gives a null log-density (SQL's null in, null
 * out); a wrong width or a NaN/±∞ value fails the task with the model's typed message, naming the partition and the row.
 *
 * <pre>{@code
 * try (SparkFlowModel model = SparkFlowModel.load(spark, Path.of("runs/moons/model.safetensors"))) {
 *     Dataset<Row> scored = model.logProb(points, "features", "logp");   // adds a float column "logp"
 *     Dataset<Row> xs = model.sample(spark, 1_000_000, 8, 1.0f, 42L);      // column "x": array<float>
 * }
 * }</pre>
 *
 * <p>Instances are used on the driver only (the functions shipped to executors capture the broadcast, not this object).
 * {@link #close()} destroys the broadcast and drops the cached models of this checkpoint in the driver's JVM (in local mode
 * the driver is the executor); executors drop theirs when they exit.
 */
public final class SparkFlowModel implements AutoCloseable {
    /** Rows per block handed to {@link FlowModel} when none is given. */
    public static final int DEFAULT_BLOCK_ROWS = 4096;

    private final Broadcast<byte[]> bytes;
    private final String key;
    private final int dimension;
    private final int blockRows;
    private final int threads;

    private SparkFlowModel(Broadcast<byte[]> bytes, String key, int dimension, int blockRows, int threads) {
        this.bytes = bytes;
        this.key = key;
        this.dimension = dimension;
        this.blockRows = blockRows;
        this.threads = threads;
    }

    /** Reads a checkpoint on the driver, checks that it loads, and broadcasts its bytes; blocks of 4096 rows, 1 thread a task. */
    public static SparkFlowModel load(SparkSession spark, Path checkpoint) {
        return load(spark, checkpoint, DEFAULT_BLOCK_ROWS, 1);
    }

    /**
     * Reads a checkpoint on the driver, checks that it loads (a bad file fails here, with the loader's typed message, not in a
     * task), and broadcasts its bytes.
     *
     * @param blockRows rows scored per {@link FlowModel} call
     * @param threads   CPU threads of each executor's model. 1 (the usual choice) scores on the task's own thread: Spark's
     *                  parallelism is its tasks, one per core, and more threads would oversubscribe the cores.
     */
    public static SparkFlowModel load(SparkSession spark, Path checkpoint, int blockRows, int threads) {
        Objects.requireNonNull(spark, "spark");
        Objects.requireNonNull(checkpoint, "checkpoint");
        byte[] data;
        try {
            data = Files.readAllBytes(checkpoint);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the model " + checkpoint + ": " + e.getMessage(), e);
        }
        return fromBytes(spark, data, blockRows, threads);
    }

    /** As {@link #load(SparkSession, Path, int, int)}, from a checkpoint's bytes (e.g. read from object storage). */
    public static SparkFlowModel fromBytes(SparkSession spark, byte[] checkpoint, int blockRows, int threads) {
        Objects.requireNonNull(spark, "spark");
        Objects.requireNonNull(checkpoint, "checkpoint");
        if (blockRows < 1) throw new IllegalArgumentException("blockRows must be >= 1, got " + blockRows);
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        byte[] copy = checkpoint.clone();
        String key = ExecutorModels.key(copy, threads);
        int dim = ExecutorModels.get(key, () -> copy, threads).dimension();  // validates on the driver; cached for local mode
        Broadcast<byte[]> b = JavaSparkContext.fromSparkContext(spark.sparkContext()).broadcast(copy);
        return new SparkFlowModel(b, key, dim, blockRows, threads);
    }

    /** Values per row the model takes. */
    public int dimension() { return dimension; }

    /** Rows per {@link FlowModel} call. */
    public int blockRows() { return blockRows; }

    // ------------------------------------------------------------------ scoring

    /**
     * {@code df} with a float column {@code outputCol} appended: log p(x) in nats of each row's {@code featuresCol}.
     * Lazy, like every Spark transformation; the column order and the partitioning of {@code df} are kept.
     */
    public Dataset<Row> logProb(Dataset<Row> df, String featuresCol, String outputCol) {
        Objects.requireNonNull(df, "df");
        StructType schema = df.schema();
        int col = Arrays.asList(schema.fieldNames()).indexOf(featuresCol);
        if (col < 0) throw new IllegalArgumentException("no column '" + featuresCol + "' in " + schema.simpleString());
        if (Arrays.asList(schema.fieldNames()).contains(outputCol))
            throw new IllegalArgumentException("the output column '" + outputCol + "' already exists in " + schema.simpleString());
        Kind kind = Kind.of(schema.fields()[col].dataType(), featuresCol);
        StructType out = schema.add(new StructField(outputCol, DataTypes.FloatType, true, org.apache.spark.sql.types.Metadata.empty()));
        return df.mapPartitions(new ScorePartition(bytes, key, threads, dimension, blockRows, col, kind, featuresCol), Encoders.row(out));
    }

    /** The feature column types the scorer reads. */
    enum Kind {
        FLOAT_ARRAY, DOUBLE_ARRAY, VECTOR;

        static Kind of(DataType t, String name) {
            if (t instanceof ArrayType a && a.elementType().equals(DataTypes.FloatType)) return FLOAT_ARRAY;
            if (t instanceof ArrayType a && a.elementType().equals(DataTypes.DoubleType)) return DOUBLE_ARRAY;
            if (t instanceof VectorUDT) return VECTOR;
            throw new IllegalArgumentException("column '" + name + "' is " + t.simpleString()
                    + "; the model reads array<float>, array<double> or an ML vector column");
        }
    }

    /** Scores one partition: rows gathered into blocks, one model call per block. Serialised to the executors. */
    static final class ScorePartition implements MapPartitionsFunction<Row, Row> {
        private static final long serialVersionUID = 1L;
        private final Broadcast<byte[]> bytes;
        private final String key, column;
        private final int threads, dim, blockRows, col;
        private final Kind kind;

        ScorePartition(Broadcast<byte[]> bytes, String key, int threads, int dim, int blockRows, int col, Kind kind, String column) {
            this.bytes = bytes;
            this.key = key;
            this.threads = threads;
            this.dim = dim;
            this.blockRows = blockRows;
            this.col = col;
            this.kind = kind;
            this.column = column;
        }

        @Override public Iterator<Row> call(Iterator<Row> rows) {
            FlowModel model = ExecutorModels.get(key, bytes::value, threads);
            int partition = org.apache.spark.TaskContext.getPartitionId();
            return new Iterator<>() {
                final List<Row> block = new ArrayList<>(blockRows);
                final float[] flat = new float[Math.multiplyExact(blockRows, dim)];
                final int[] slot = new int[blockRows];   // row i of the block → its index in the scored rows, or -1 (null)
                float[] lp = new float[0];
                int next, seen;

                @Override public boolean hasNext() {
                    if (next < block.size()) return true;
                    fill();
                    return !block.isEmpty();
                }

                @Override public Row next() {
                    if (!hasNext()) throw new NoSuchElementException();
                    int i = next++;
                    return append(block.get(i), slot[i] < 0 ? null : lp[slot[i]]);
                }

                private void fill() {
                    block.clear();
                    next = 0;
                    int n = 0;
                    while (block.size() < blockRows && rows.hasNext()) {
                        Row r = rows.next();
                        int i = block.size();
                        block.add(r);
                        slot[i] = read(r, n) ? n++ : -1;
                        seen++;
                    }
                    if (n == 0) return;
                    lp = model.logProb(n == blockRows ? flat : Arrays.copyOf(flat, n * dim), n);
                }

                /** Copies row r's features into slot n of the block; false when they are null. */
                private boolean read(Row r, int n) {
                    if (r.isNullAt(col)) return false;
                    int base = n * dim;
                    switch (kind) {
                        case FLOAT_ARRAY, DOUBLE_ARRAY -> {
                            // a Seq after Spark's deserializer; a java List or an array when an upstream function's rows reach here as built
                            Object a = r.get(col);
                            List<?> list = a instanceof Seq<?> s ? scala.jdk.javaapi.CollectionConverters.asJava(s)
                                    : a instanceof Object[] arr ? Arrays.asList(arr) : (List<?>) a;
                            int len = list.size();
                            if (len != dim) throw width(len);
                            for (int c = 0; c < dim; c++) {
                                Object v = list.get(c);
                                if (v == null) throw new FluviaException.ShapeException("partition " + partition + ", row " + seen + " of the partition: column '"
                                        + column + "' has a null at index " + c);
                                flat[base + c] = kind == Kind.FLOAT_ARRAY ? (Float) v : (float) (double) (Double) v;
                            }
                        }
                        case VECTOR -> {
                            Vector v = (Vector) r.get(col);
                            if (v.size() != dim) throw width(v.size());
                            if (v instanceof DenseVector d) {
                                double[] vals = d.values();
                                for (int c = 0; c < dim; c++) flat[base + c] = (float) vals[c];
                            } else {
                                Arrays.fill(flat, base, base + dim, 0f);
                                v.foreachActive((i, x) -> {
                                    flat[base + (Integer) i] = (float) (double) (Double) x;
                                    return scala.runtime.BoxedUnit.UNIT;
                                });
                            }
                        }
                    }
                    for (int c = 0; c < dim; c++)
                        if (!Float.isFinite(flat[base + c])) throw new FluviaException.NonFiniteException("partition " + partition + ", row " + seen
                                + " of the partition: column '" + column + "' index " + c + " is " + flat[base + c] + " as float32 (inputs must be finite)");
                    return true;
                }

                private FluviaException.ShapeException width(int len) {
                    return new FluviaException.ShapeException("partition " + partition + ", row " + seen + " of the partition: column '" + column
                            + "' has " + len + " values, the model takes " + dim);
                }
            };
        }
    }

    static Row append(Row r, Float value) {
        int n = r.length();
        Object[] v = new Object[n + 1];
        for (int i = 0; i < n; i++) v[i] = r.get(i);
        v[n] = value;
        return RowFactory.create(v);
    }

    // ------------------------------------------------------------------ sampling

    /**
     * n samples at the given temperature as a DataFrame with one column {@code x} ({@code array<float>}, dimension values),
     * drawn in {@code partitions} tasks. Partition p draws its share (n / partitions, one more for the first n % partitions)
     * in blocks of {@link #blockRows()} rows; block b of partition p is {@link FlowModel#sample(int, float, long)} with the seed
     * {@link #blockSeed(long, int, int) blockSeed(seed, p, b)}. The same seed, n, partitions and block size give the same rows.
     */
    public Dataset<Row> sample(SparkSession spark, long n, int partitions, float temperature, long seed) {
        Objects.requireNonNull(spark, "spark");
        if (n < 0) throw new IllegalArgumentException("n must be >= 0, got " + n);
        if (partitions < 1) throw new IllegalArgumentException("partitions must be >= 1, got " + partitions);
        if (!(temperature > 0) || !Float.isFinite(temperature))
            throw new IllegalArgumentException("temperature must be finite and > 0, got " + temperature);
        StructType schema = new StructType().add("x", DataTypes.createArrayType(DataTypes.FloatType, false), false);
        return spark.range(0, partitions, 1, partitions).toDF("p")
                .mapPartitions(new SamplePartition(bytes, key, threads, dimension, blockRows, n, partitions, temperature, seed), Encoders.row(schema));
    }

    /** The seed of block b of partition p (SplitMix64 of the three): independent streams for every block. */
    public static long blockSeed(long seed, int partition, int block) {
        long z = seed + 0x9E3779B97F4A7C15L * (1 + ((long) partition << 32 | (block & 0xFFFFFFFFL)));
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Rows partition p draws out of n over the given partitions. */
    public static long share(long n, int partitions, int p) {
        return n / partitions + (p < n % partitions ? 1 : 0);
    }

    /** Draws one partition's samples block by block. Serialised to the executors. */
    static final class SamplePartition implements MapPartitionsFunction<Row, Row> {
        private static final long serialVersionUID = 1L;
        private final Broadcast<byte[]> bytes;
        private final String key;
        private final int threads, dim, blockRows, partitions;
        private final long n, seed;
        private final float temperature;

        SamplePartition(Broadcast<byte[]> bytes, String key, int threads, int dim, int blockRows, long n, int partitions, float temperature, long seed) {
            this.bytes = bytes;
            this.key = key;
            this.threads = threads;
            this.dim = dim;
            this.blockRows = blockRows;
            this.n = n;
            this.partitions = partitions;
            this.temperature = temperature;
            this.seed = seed;
        }

        @Override public Iterator<Row> call(Iterator<Row> ps) {
            if (!ps.hasNext()) return java.util.Collections.emptyIterator();
            int p = (int) ps.next().getLong(0);
            long count = share(n, partitions, p);
            FlowModel model = ExecutorModels.get(key, bytes::value, threads);
            return new Iterator<>() {
                float[] xs = new float[0];
                int block = -1, inBlock, rowsInBlock;
                long done;

                @Override public boolean hasNext() { return done < count; }

                @Override public Row next() {
                    if (!hasNext()) throw new NoSuchElementException();
                    if (inBlock == rowsInBlock) {
                        block++;
                        rowsInBlock = (int) Math.min(blockRows, count - done);
                        xs = model.sample(rowsInBlock, temperature, blockSeed(seed, p, block));
                        inBlock = 0;
                    }
                    Float[] x = new Float[dim];
                    for (int c = 0; c < dim; c++) x[c] = xs[inBlock * dim + c];
                    inBlock++;
                    done++;
                    return RowFactory.create(scala.collection.immutable.ArraySeq.unsafeWrapArray(x));
                }
            };
        }
    }

    // ------------------------------------------------------------------ lifecycle

    /** Destroys the broadcast and drops this checkpoint's cached models in this JVM. */
    @Override public void close() {
        bytes.destroy();
        ExecutorModels.evict(key);
    }
}
