package dev.fluvia.backend.reduce;

import static dev.fluvia.backend.cuda.CudaContext.CHUNK;
import static dev.fluvia.backend.cuda.CudaContext.MAX_GRID_Y;
import static dev.fluvia.backend.cuda.CudaContext.at;
import static dev.fluvia.backend.cuda.CudaContext.chunks;
import static dev.fluvia.backend.cuda.CudaContext.groupRows;
import static dev.fluvia.backend.cuda.CudaContext.inChunkGroups;
import static dev.fluvia.backend.cuda.CudaContext.grid;
import static dev.fluvia.backend.cuda.CudaContext.p;
import static dev.fluvia.tensor.Shapes.require;

import dev.fluvia.backend.cuda.CudaContext;
import dev.fluvia.backend.cuda.DeviceAddress;
import dev.fluvia.backend.cuda.Launch;
import dev.fluvia.tensor.Index;
import dev.fluvia.tensor.Tensor;
import java.util.List;

/**
 * The CUDA body of the reduce ops ({@link ReduceOps}) and the typed launchers of {@code kernels/reduce.cu}: one method per
 * {@code extern "C"} kernel, named like it, whose parameters after the leading {@link Launch} mirror the C signature
 * (pointer → {@link DeviceAddress}, {@code int} → int, {@code long long} → long, float, double).
 */
public final class CudaReduce implements ReduceOps {
    private static final int THREADS = CudaContext.THREADS;
    private final CudaContext cx;

    public CudaReduce(CudaContext cx) { this.cx = cx; }

    private static int hw(Tensor x) { return dev.fluvia.backend.OpChecks.planeSize(x); }

    /** Blocks (and so double partials) of a sumPartials launch over n elements: a fixed grid for a size, at most 1024. */
    private static int partialBlocks(long n) { return (int) Math.min(1024, (n + THREADS - 1) / THREADS); }

    /** mode 0 Σ, 1 Σx², 2 count of non-finite elements; two deterministic stages, result copied to the host. */
    private double reduce(Tensor t, int mode) {
        cx.notCapturing("sum/sumSquares/allFinite");
        cx.makeCurrent();
        long n = t.numel();
        if (n == 0) return 0;
        int blocks = partialBlocks(n);
        DeviceAddress part = cx.scratch(blocks * 8L), out = cx.scratch(8);
        sumPartials(grid(blocks, 1, THREADS, 0), p(t), n, mode, part);
        sumFinalize(grid(1, 1, 1024, 0), part, blocks, out);
        double[] r = new double[1];
        cx.download(out, r);
        cx.free(part); cx.free(out);
        return r[0];
    }

    /** dst[c] += Σ_r a[r, c], deterministic (per-chunk partials, then chunk order). */
    public void columnSum(Tensor a, int n, int cols, Tensor dst) {
        cx.makeCurrent();
        if (cols == 0) return;
        int ch = chunks(n), gx = (cols + THREADS - 1) / THREADS;
        DeviceAddress part = cx.scratch((long) ch * cols * 8);
        inChunkGroups(ch, MAX_GRID_Y, (c0, cnt) -> {
            long r0 = (long) c0 * CHUNK;
            columnSumPartials(grid(gx, cnt, THREADS, 0), at(a, 4 * r0 * cols), groupRows(n, c0, cnt), cols,
                    part.offset(8L * c0 * cols));
        });
        columnSumAccumulate(grid((cols + THREADS - 1) / THREADS, 1, THREADS, 0), part, ch, cols, p(dst));
        cx.free(part);
    }

    @Override public double sum(Tensor t) { return reduce(t, 0); }

    @Override public double sumSquares(Tensor t) { return reduce(t, 1); }

    @Override public boolean allFinite(Tensor t) { return reduce(t, 2) == 0; }

    /** Per-tensor partials of Σx² and of the non-finite count into two scratch rows, two finalizes, ONE 16-byte download. */
    @Override public double[] gradStatus(List<Tensor> ts) {
        cx.notCapturing("gradStatus");
        cx.makeCurrent();
        int total = 0;
        for (Tensor t : ts) if (t != null && t.numel() > 0) total += partialBlocks(t.numel());
        if (total == 0) return new double[] {0, 0};
        DeviceAddress sq = cx.scratch(total * 8L), bad = cx.scratch(total * 8L), out = cx.scratch(16);
        long off = 0;
        for (Tensor t : ts) {
            if (t == null || t.numel() == 0) continue;
            long n = t.numel();
            int blocks = partialBlocks(n);
            sumPartials(grid(blocks, 1, THREADS, 0), p(t), n, 1, sq.offset(off * 8));
            sumPartials(grid(blocks, 1, THREADS, 0), p(t), n, 2, bad.offset(off * 8));
            off += blocks;
        }
        sumFinalize(grid(1, 1, 1024, 0), bad, total, out);
        sumFinalize(grid(1, 1, 1024, 0), sq, total, out.offset(8));
        double[] r = new double[2];
        cx.download(out, r);
        cx.free(sq); cx.free(bad); cx.free(out);
        return r;
    }

    /** The CUDA step status: {@value StepStatus#SLOTS} doubles in one device block. */
    public static final class DeviceStatus extends StepStatus {
        private final CudaContext cx;
        private DeviceAddress block;

        DeviceStatus(CudaContext cx) { this.cx = cx; this.block = cx.scratch(SLOTS * 8L); begin(0, 0); }

        /** The device block (kernels read and write its slots). */
        public DeviceAddress address() {
            if (block == null) throw new IllegalStateException("step status used after close");
            return block;
        }

        @Override public void begin(double lr, int t) { write(0, fresh(lr, t)); }
        @Override public void set(int slot, double value) { write(slot, new double[] {value}); }

        private void write(int slot, double[] v) {
            long[] bits = new long[v.length];
            for (int i = 0; i < v.length; i++) bits[i] = Double.doubleToRawLongBits(v[i]);
            DeviceAddress tmp = cx.upload(bits);
            cx.copy(address(), slot * 8L, tmp, 0, v.length * 8L);
            cx.free(tmp);
        }

        @Override public double[] read() {
            double[] r = new double[SLOTS];
            cx.download(address(), r);
            return r;
        }

        @Override public void close() { if (block != null) { cx.free(block); block = null; } }
    }

    /** The device block of a status, or a clear error for another backend's. */
    public static DeviceAddress address(StepStatus st) {
        if (st instanceof DeviceStatus d) return d.address();
        throw new IllegalArgumentException("the CUDA backend was given a step status of another backend: " + st);
    }

    @Override public StepStatus stepStatus() { cx.makeCurrent(); return new DeviceStatus(cx); }

    @Override public void sumInto(Tensor t, double divisor, StepStatus st, int slot) {
        java.util.Objects.checkIndex(slot, StepStatus.SLOTS);
        cx.makeCurrent();
        DeviceAddress out = address(st);
        long n = t.numel();
        int blocks = Math.max(1, partialBlocks(n));
        DeviceAddress part = cx.scratch(blocks * 8L);
        if (n > 0) sumPartials(grid(blocks, 1, THREADS, 0), p(t), n, 0, part);
        sumInto(grid(1, 1, 1024, 0), part, n == 0 ? 0 : blocks, divisor, out.offset(slot * 8L));
        cx.free(part);
    }

    /** Like {@link #gradStatus}, the finalizes writing into the status instead of a block read back. */
    @Override public void gradStatusInto(List<Tensor> ts, StepStatus st) {
        cx.makeCurrent();
        DeviceAddress out = address(st);
        int total = 0;
        for (Tensor t : ts) if (t != null && t.numel() > 0) total += partialBlocks(t.numel());
        if (total == 0) { st.set(StepStatus.BAD, 0); st.set(StepStatus.SQ, 0); return; }
        DeviceAddress sq = cx.scratch(total * 8L), bad = cx.scratch(total * 8L);
        long off = 0;
        for (Tensor t : ts) {
            if (t == null || t.numel() == 0) continue;
            long n = t.numel();
            int blocks = partialBlocks(n);
            sumPartials(grid(blocks, 1, THREADS, 0), p(t), n, 1, sq.offset(off * 8));
            sumPartials(grid(blocks, 1, THREADS, 0), p(t), n, 2, bad.offset(off * 8));
            off += blocks;
        }
        sumFinalize(grid(1, 1, 1024, 0), bad, total, out.offset(StepStatus.BAD * 8L));
        sumFinalize(grid(1, 1, 1024, 0), sq, total, out.offset(StepStatus.SQ * 8L));
        cx.free(sq); cx.free(bad);
    }

    @Override public void clipScale(StepStatus st, double maxNorm) {
        cx.makeCurrent();
        clipScale(grid(1, 1, 1, 0), address(st), maxNorm);
    }

    @Override public void addScaledSum(Tensor ld, Tensor v, float mult) {
        ReduceOps.Checks.addScaledSum(ld);
        cx.makeCurrent();
        if (ld.dim(0) == 0) return;
        addScaledSum(grid(cx.gridFor(ld.dim(0)), 1, THREADS, 0), p(ld), ld.dim(0), p(v), (int) v.numel(), mult);
    }

    @Override public void addScaledTotal(Tensor g, Tensor gLd, float mult) {
        ReduceOps.Checks.addScaledTotal(gLd);
        cx.makeCurrent();
        if (g.numel() == 0) return;
        addScaledTotal(grid(cx.gridFor(g.numel()), 1, THREADS, 0), p(g), g.numel(), p(gLd), gLd.dim(0), mult);
    }

    // ------------------------------------------------------------------ typed launchers (kernels/reduce.cu)

    /** {@code columnSumPartials(float* a, int n, int cols, double* part)} */
    void columnSumPartials(Launch launch, DeviceAddress a, int n, int cols, DeviceAddress part) {
        cx.go("columnSumPartials", launch, a, n, cols, part);
    }

    /** {@code columnSumAccumulate(double* part, int chunks, int cols, float* dst)} */
    public void columnSumAccumulate(Launch launch, DeviceAddress part, int chunks, int cols, DeviceAddress dst) {
        cx.go("columnSumAccumulate", launch, part, chunks, cols, dst);
    }

    /** {@code sumPartials(float* a, long long count, int mode, double* part)} */
    void sumPartials(Launch launch, DeviceAddress a, long count, int mode, DeviceAddress part) {
        cx.go("sumPartials", launch, a, count, mode, part);
    }

    /** {@code sumFinalize(double* part, int count, double* out)} */
    void sumFinalize(Launch launch, DeviceAddress part, int count, DeviceAddress out) {
        cx.go("sumFinalize", launch, part, count, out);
    }

    /** {@code sumInto(double* part, int count, double divisor, double* out)} */
    void sumInto(Launch launch, DeviceAddress part, int count, double divisor, DeviceAddress out) {
        cx.go("sumInto", launch, part, count, divisor, out);
    }

    /** {@code clipScale(double* st, double maxNorm)} */
    void clipScale(Launch launch, DeviceAddress st, double maxNorm) {
        cx.go("clipScale", launch, st, maxNorm);
    }

    /** {@code addScaledSum(float* ld, int n, float* v, int len, float mult)} */
    void addScaledSum(Launch launch, DeviceAddress ld, int n, DeviceAddress v, int len, float mult) {
        cx.go("addScaledSum", launch, ld, n, v, len, mult);
    }

    /** {@code addScaledTotal(float* g, long long count, float* gLd, int n, float mult)} */
    void addScaledTotal(Launch launch, DeviceAddress g, long count, DeviceAddress gLd, int n, float mult) {
        cx.go("addScaledTotal", launch, g, count, gLd, n, mult);
    }
}
