package dev.fluvia.serve;

import dev.fluvia.FluviaException;
import dev.fluvia.FluviaException.NonFiniteException;
import dev.fluvia.FluviaException.ShapeException;
import dev.fluvia.backend.Backend;
import dev.fluvia.backend.Scope;
import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.flow.Flow;
import dev.fluvia.io.Checkpoint;
import dev.fluvia.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Objects;

/**
 * A trained flow loaded for scoring and sampling inside a service: the embedding API.
 *
 * <h2>Thread safety</h2>
 * A {@code FlowModel} is <b>immutable after {@link #load}</b> and <b>safe to share between any number of threads</b>: every
 * method may be called concurrently, without locks, and gives the same result as a serial call (bit-identical on the CPU
 * backend: per-row results do not depend on which rows share a call or on the thread count). Nothing a caller passes is
 * retained after the call returns. {@link #close()} must not race with calls in flight; after it, every call throws
 * {@link IllegalStateException}.
 *
 * <h2>Input checks</h2>
 * Each row must have {@link #dimension()} finite values. A wrong width, a null row, NaN or ±∞ throws a {@link ShapeException}
 * or {@link NonFiniteException} naming the row and the column, before anything is computed.
 *
 * <h2>Zero copy</h2>
 * {@link #logProb(MemorySegment, int, MemorySegment)} and {@link #logProb(FloatBuffer, FloatBuffer)} read the caller's
 * memory in place on the CPU backend (no copy of the input) and with one upload on CUDA. The segment must be readable
 * from other threads (a shared, automatic or global arena; a direct buffer), since the backend's workers read it.
 *
 * <pre>{@code
 * try (FlowModel model = FlowModel.load(Path.of("runs/moons/model.safetensors"))) {   // CPU, all cores
 *     float lp = model.logProb(new float[] {0.5f, -0.2f});                           // log p(x) in nats
 *     float[] xs = model.sample(1000, 1.0f, 42L);                                     // 1000 samples, row-major
 * }
 * }</pre>
 */
public final class FlowModel implements AutoCloseable {
    private final Flow flow;
    private final Backend backend;
    private final boolean ownsBackend;
    private final int dim;
    private final Path source;
    private volatile boolean closed;

    private FlowModel(Flow flow, Backend backend, boolean ownsBackend, Path source) {
        this.flow = flow;
        this.backend = backend;
        this.ownsBackend = ownsBackend;
        this.dim = flow.eventSize();
        this.source = source;
    }

    /**
     * Loads a checkpoint on a CPU backend of its own (all cores), closed with the model.
     *
     * @param file a checkpoint written by Fluvia (safetensors with checksums)
     * @return the loaded model
     * @throws FluviaException.CheckpointException if the file is missing, truncated, corrupt or not a Fluvia model
     */
    public static FlowModel load(Path file) {
        CpuBackend be = new CpuBackend(Runtime.getRuntime().availableProcessors());
        try {
            return new FlowModel(Checkpoint.load(file, be, false, Checkpoint.Use.SCORE).flow(), be, true, file);
        } catch (RuntimeException e) {
            be.close();
            throw e;
        }
    }

    /**
     * Loads a checkpoint on the caller's backend (which the caller closes, after the model).
     *
     * @param file    a checkpoint written by Fluvia (safetensors with checksums)
     * @param backend the backend to score on (CPU or CUDA); not closed by the model
     * @return the loaded model
     * @throws FluviaException.CheckpointException if the file is missing, truncated, corrupt or not a Fluvia model
     */
    public static FlowModel load(Path file, Backend backend) {
        Objects.requireNonNull(backend, "backend");
        return new FlowModel(Checkpoint.load(file, backend, false, Checkpoint.Use.SCORE).flow(), backend, false, file);
    }

    /**
     * Wraps an already built flow (e.g. one just trained); the caller keeps it and its backend unchanged from now on.
     *
     * @param flow the flow to serve; its parameters must not change while the model is in use
     * @return a model over {@code flow} that does not own its backend
     */
    public static FlowModel of(Flow flow) {
        return new FlowModel(Objects.requireNonNull(flow, "flow"), flow.backend(), false, null);
    }

    /** {@return values per row (the product of the event shape)} */
    public int dimension() { return dim; }

    /** {@return the event shape of one sample ([D], or [C, H, W] for images)} */
    public int[] eventShape() { return flow.eventShape(); }

    /** {@return the backend's name ("cpu" or "cuda")} */
    public String backendName() { return backend.name(); }

    /** {@return the file the model was loaded from, or null} */
    public Path source() { return source; }

    // ------------------------------------------------------------------ scoring

    /**
     * log p(x) in nats of one row.
     *
     * @param row {@link #dimension()} finite values
     * @return log p(row) in nats (−∞ where the density underflows)
     */
    public float logProb(float[] row) {
        open();
        checkRow(row, 0);
        return score(row, 1)[0];
    }

    /**
     * log p(x) of each row.
     *
     * @param rows rows of {@link #dimension()} finite values each
     * @return one log p per row, in nats
     */
    public float[] logProb(float[][] rows) {
        open();
        Objects.requireNonNull(rows, "rows");
        float[] flat = new float[Math.multiplyExact(rows.length, dim)];
        for (int r = 0; r < rows.length; r++) {
            checkRow(rows[r], r);
            System.arraycopy(rows[r], 0, flat, r * dim, dim);
        }
        return score(flat, rows.length);
    }

    /**
     * log p(x) of n rows stored row-major in {@code rows} (n·dimension values).
     *
     * @param rows n·{@link #dimension()} finite values, row-major
     * @param n    the number of rows
     * @return one log p per row, in nats
     */
    public float[] logProb(float[] rows, int n) {
        open();
        Objects.requireNonNull(rows, "rows");
        if (n < 0 || (long) n * dim != rows.length)
            throw new ShapeException("logProb: " + rows.length + " values are not " + n + " rows of " + dim);
        checkFinite(rows, 0, n);
        return score(rows, n);
    }

    /**
     * log p(x) of n rows read in place from {@code rows} (n·dimension floats, native byte order) into {@code out} (n floats).
     * On the CPU backend the input is not copied.
     *
     * @param rows n·{@link #dimension()} finite floats, row-major; readable from other threads
     * @param n    the number of rows
     * @param out  room for n floats: receives log p of each row
     */
    public void logProb(MemorySegment rows, int n, MemorySegment out) {
        open();
        Objects.requireNonNull(rows, "rows");
        Objects.requireNonNull(out, "out");
        if (n < 0) throw new ShapeException("logProb: negative row count " + n);
        long need = (long) n * dim * 4;
        if (rows.byteSize() < need) throw new ShapeException("logProb: the input holds " + rows.byteSize() + " bytes, " + n + " rows of "
                + dim + " need " + need);
        if (out.byteSize() < n * 4L) throw new ShapeException("logProb: the output holds " + out.byteSize() + " bytes, " + n + " results need " + n * 4L);
        for (long i = 0; i < (long) n * dim; i++) {
            float v = rows.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i);
            if (!Float.isFinite(v)) throw nonFinite(v, (int) (i / dim), (int) (i % dim));
        }
        if (n == 0) return;
        try (Scope s = backend.scope()) {
            Tensor x = backend instanceof CpuBackend cpu && CpuBackend.wrappable(rows) ? cpu.wrap(rows, flow.batchShape(n))
                    : backend.fromHost(rows.asSlice(0, need).toArray(ValueLayout.JAVA_FLOAT_UNALIGNED), flow.batchShape(n));
            float[] lp = backend.toHost(flow.logProb(x));
            MemorySegment.copy(lp, 0, out, ValueLayout.JAVA_FLOAT_UNALIGNED, 0, n);
        }
    }

    /**
     * log p(x) of the rows between {@code rows}' position and limit into {@code out} (one float per row); positions advance.
     * Both buffers direct: read and written in place (no copy on the CPU backend); otherwise through a heap copy.
     *
     * @param rows whole rows of {@link #dimension()} finite values between position and limit
     * @param out  room for one float per row from its position
     */
    public void logProb(FloatBuffer rows, FloatBuffer out) {
        open();
        int values = rows.remaining();
        if (values % dim != 0) throw new ShapeException("logProb: " + values + " values are not whole rows of " + dim);
        int n = values / dim;
        if (out.remaining() < n) throw new ShapeException("logProb: the output has room for " + out.remaining() + " of " + n + " results");
        if (rows.isDirect() && out.isDirect()) {
            logProb(MemorySegment.ofBuffer(rows), n, MemorySegment.ofBuffer(out));
        } else {
            float[] in = new float[values];
            rows.duplicate().get(in);
            float[] lp = logProb(in, n);
            out.duplicate().put(lp);
        }
        rows.position(rows.position() + values);
        out.position(out.position() + n);
    }

    // ------------------------------------------------------------------ sampling, encode, decode

    /**
     * n samples at the given temperature; the same seed gives the same samples.
     *
     * @param n           the number of samples
     * @param temperature the base distribution's scale (1 = the model; below 1 = nearer the modes); finite and &gt; 0
     * @param seed        the random seed
     * @return n·{@link #dimension()} values, row-major
     */
    public float[] sample(int n, float temperature, long seed) {
        open();
        checkSampleArgs(n, temperature);
        return flow.sampleHost(n, temperature, seed);
    }

    /**
     * n samples into {@code out}; as {@link #sample(int, float, long)}.
     *
     * @param n           the number of samples
     * @param temperature the base distribution's scale; finite and &gt; 0
     * @param seed        the random seed
     * @param out         room for n·{@link #dimension()} floats, written row-major
     */
    public void sample(int n, float temperature, long seed, MemorySegment out) {
        float[] xs = sample(n, temperature, seed);
        if (out.byteSize() < xs.length * 4L) throw new ShapeException("sample: the output holds " + out.byteSize() + " bytes, "
                + n + " samples need " + xs.length * 4L);
        MemorySegment.copy(xs, 0, out, ValueLayout.JAVA_FLOAT_UNALIGNED, 0, xs.length);
    }

    /**
     * The latent z = f(x) of n rows (for flows with one latent tensor: every vector flow).
     *
     * @param rows n·{@link #dimension()} finite values, row-major
     * @param n    the number of rows
     * @return the latents, row-major
     */
    public float[] encode(float[] rows, int n) {
        open();
        if (n < 0 || (long) n * dim != rows.length) throw new ShapeException("encode: " + rows.length + " values are not " + n + " rows of " + dim);
        checkFinite(rows, 0, n);
        try (Scope s = backend.scope()) {
            var latents = flow.encode(backend.fromHost(rows, flow.batchShape(n)));
            if (latents.size() != 1)
                throw new FluviaException("encode: this model has " + latents.size() + " latent levels; use the multi-scale API (Flow.encode)");
            return backend.toHost(latents.get(0));
        }
    }

    /**
     * x = f⁻¹(z) of n latent rows (for flows with one latent tensor).
     *
     * @param latents n latent rows, row-major
     * @param n       the number of rows
     * @return n·{@link #dimension()} values, row-major
     */
    public float[] decode(float[] latents, int n) {
        open();
        int[] ls = flow.latentShape();
        int ld = 1;
        for (int d : ls) ld *= d;
        if (n < 0 || (long) n * ld != latents.length) throw new ShapeException("decode: " + latents.length + " values are not " + n + " latents of " + ld);
        checkFinite(latents, 0, n);
        try (Scope s = backend.scope()) {
            int[] shape = new int[ls.length + 1];
            shape[0] = n;
            System.arraycopy(ls, 0, shape, 1, ls.length);
            return backend.toHost(flow.decode(java.util.List.of(backend.fromHost(latents, shape))));
        }
    }

    // ------------------------------------------------------------------ lifecycle

    /** Releases the backend when the model owns it. Calls after close throw IllegalStateException. */
    @Override public void close() {
        if (closed) return;
        closed = true;
        if (ownsBackend) backend.close();
    }

    private void open() {
        if (closed) throw new IllegalStateException("the model" + (source == null ? "" : " " + source) + " is closed");
    }

    private float[] score(float[] rows, int n) {
        if (n == 0) return new float[0];
        return flow.logProb(rows, n);
    }

    /** Row r's checks (null, width, finite), shared with {@link BatchingScorer#submit}. */
    void checkRow(float[] row, int r) {
        if (row == null) throw new ShapeException("row " + r + " is null");
        if (row.length != dim) throw new ShapeException("row " + r + " has " + row.length + " values, the model takes " + dim);
        for (int c = 0; c < dim; c++) if (!Float.isFinite(row[c])) throw nonFinite(row[c], r, c);
    }

    private void checkFinite(float[] rows, int first, int n) {
        for (int i = 0; i < n * dim; i++) if (!Float.isFinite(rows[i])) throw nonFinite(rows[i], first + i / dim, i % dim);
    }

    private static NonFiniteException nonFinite(float v, int row, int col) {
        return new NonFiniteException("row " + row + ", column " + col + " is " + v + " (inputs must be finite)");
    }

    private static void checkSampleArgs(int n, float temperature) {
        if (n < 0) throw new ShapeException("sample: negative count " + n);
        if (!(temperature > 0) || !Float.isFinite(temperature)) throw new IllegalArgumentException("sample: temperature must be finite and > 0, got " + temperature);
    }

}
