package dev.fluvia.backend.dist;

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

/**
 * The CUDA body of the dist ops ({@link DistOps}) and the typed launchers of {@code kernels/dist.cu}: one method per
 * {@code extern "C"} kernel, named like it, whose parameters after the leading {@link Launch} mirror the C signature
 * (pointer → {@link DeviceAddress}, {@code int} → int, {@code long long} → long, float, double).
 */
public final class CudaDist implements DistOps {
    private static final int THREADS = CudaContext.THREADS;
    private final CudaContext cx;
    private final dev.fluvia.backend.reduce.CudaReduce reduce;

    /** {@code reduce}: the column sums that finish diagNormalLogProbBackward's parameter gradients. */
    public CudaDist(CudaContext cx, dev.fluvia.backend.reduce.CudaReduce reduce) {
        this.cx = cx;
        this.reduce = reduce;
    }

    private static int hw(Tensor x) { return dev.fluvia.backend.OpChecks.planeSize(x); }

    @Override public void stdNormalLogProb(Tensor z, Tensor out) {
        DistOps.Checks.stdNormalLogProb(z, out);
        stdNormalLogProb(cx.rows(z.rows()), p(z), z.rows(), z.rowSize(), p(out));
    }

    @Override public void stdNormalLogProbBackward(Tensor z, Tensor gOut, Tensor gz) {
        DistOps.Checks.stdNormalLogProbBackward(z, gOut, gz);
        stdNormalLogProbBackward(cx.elementwise(z.numel()), p(z), p(gOut), z.rows(), z.rowSize(), p(gz));
    }

    @Override public void diagNormalLogProb(Tensor z, Tensor mu, Tensor logSigma, Tensor out) {
        DistOps.Checks.diagNormalLogProb(z, mu, logSigma, out);
        int dd = z.rowSize();
        diagNormalLogProb(cx.rows(z.rows()), p(z), p(mu), p(logSigma), z.rows(), dd, p(out));
    }

    @Override public void diagNormalLogProbBackward(Tensor z, Tensor mu, Tensor logSigma, Tensor gOut, Tensor gz, Tensor gmu, Tensor glogSigma) {
        DistOps.Checks.diagNormalLogProbBackward(z, mu, logSigma, gOut, gz, gmu, glogSigma);
        int n = z.rows(), dd = z.rowSize();
        cx.makeCurrent();
        if (dd == 0) return;
        int ch = chunks(n), gx = (dd + THREADS - 1) / THREADS;
        DeviceAddress part = cx.scratch(2L * ch * dd * 8);
        if (ch <= MAX_GRID_Y) {
            diagNormalLogProbBackwardPartials(grid(gx, ch, THREADS, 0), p(z), p(mu), p(logSigma), p(gOut), n, dd, p(gz), part);
        } else {
            // the kernel places its second half of partials gridDim.y chunks further on: run each group into a scratch of
            // its own [2][cnt][D] and move both halves to their place in part [2][ch][D]
            DeviceAddress tmp = cx.scratch(2L * MAX_GRID_Y * dd * 8);
            inChunkGroups(ch, MAX_GRID_Y, (c0, cnt) -> {
                long r0 = (long) c0 * CHUNK, half = 8L * cnt * dd;
                diagNormalLogProbBackwardPartials(grid(gx, cnt, THREADS, 0), at(z, 4 * r0 * dd), p(mu), p(logSigma), at(gOut, 4 * r0),
                        groupRows(n, c0, cnt), dd, at(gz, 4 * r0 * dd), tmp);
                cx.copy(part, 8L * c0 * dd, tmp, 0, half);
                cx.copy(part, 8L * ((long) ch + c0) * dd, tmp, half, half);
            });
            cx.free(tmp);
        }
        reduce.columnSumAccumulate(grid(gx, 1, THREADS, 0), part, ch, dd, p(gmu));
        reduce.columnSumAccumulate(grid(gx, 1, THREADS, 0), part.offset((long) ch * dd * 8), ch, dd, p(glogSigma));
        cx.free(part);
    }

    @Override public void condNormalLogProb(Tensor z, Tensor mu, Tensor logSigma, Tensor out) {
        DistOps.Checks.condNormalLogProb(z, mu, logSigma, out);
        condNormalLogProb(cx.rows(z.rows()), p(z), p(mu), p(logSigma), z.rows(), z.rowSize(), p(out));
    }

    @Override public void condNormalLogProbBackward(Tensor z, Tensor mu, Tensor logSigma, Tensor gOut, Tensor gz, Tensor gmu, Tensor glogSigma) {
        DistOps.Checks.condNormalLogProbBackward(z, mu, logSigma, gOut, gz, gmu, glogSigma);
        condNormalLogProbBackward(cx.elementwise(z.numel()), p(z), p(mu), p(logSigma), p(gOut), z.rows(), z.rowSize(), p(gz), p(gmu), p(glogSigma));
    }

    @Override public void condNormalSample(Tensor mu, Tensor logSigma, Tensor eps, float temperature, Tensor z) {
        DistOps.Checks.condNormalSample(mu, logSigma, eps, z);
        condNormalSample(cx.elementwise(z.numel()), p(mu), p(logSigma), p(eps), temperature, z.numel(), p(z));
    }

    // ------------------------------------------------------------------ typed launchers (kernels/dist.cu)

    /** {@code stdNormalLogProb(float* z, int n, int d, float* out)} */
    void stdNormalLogProb(Launch launch, DeviceAddress z, int n, int d, DeviceAddress out) {
        cx.go("stdNormalLogProb", launch, z, n, d, out);
    }

    /** {@code stdNormalLogProbBackward(float* z, float* gOut, int n, int d, float* gz)} */
    void stdNormalLogProbBackward(Launch launch, DeviceAddress z, DeviceAddress gOut, int n, int d, DeviceAddress gz) {
        cx.go("stdNormalLogProbBackward", launch, z, gOut, n, d, gz);
    }

    /** {@code diagNormalLogProb(float* z, float* mu, float* logSigma, int n, int d, float* out)} */
    void diagNormalLogProb(Launch launch, DeviceAddress z, DeviceAddress mu, DeviceAddress logSigma, int n, int d, DeviceAddress out) {
        cx.go("diagNormalLogProb", launch, z, mu, logSigma, n, d, out);
    }

    /** {@code diagNormalLogProbBackwardPartials(float* z, float* mu, float* logSigma, float* gOut, int n, int d, float* gz, double* part)} */
    void diagNormalLogProbBackwardPartials(Launch launch, DeviceAddress z, DeviceAddress mu, DeviceAddress logSigma, DeviceAddress gOut, int n, int d, DeviceAddress gz, DeviceAddress part) {
        cx.go("diagNormalLogProbBackwardPartials", launch, z, mu, logSigma, gOut, n, d, gz, part);
    }

    /** {@code condNormalLogProb(float* z, float* mu, float* logSigma, int n, int d, float* out)} */
    void condNormalLogProb(Launch launch, DeviceAddress z, DeviceAddress mu, DeviceAddress logSigma, int n, int d, DeviceAddress out) {
        cx.go("condNormalLogProb", launch, z, mu, logSigma, n, d, out);
    }

    /** {@code condNormalLogProbBackward(float* z, float* mu, float* logSigma, float* gOut, int n, int d, float* gz, float* gmu, float* glogSigma)} */
    void condNormalLogProbBackward(Launch launch, DeviceAddress z, DeviceAddress mu, DeviceAddress logSigma, DeviceAddress gOut, int n, int d, DeviceAddress gz, DeviceAddress gmu, DeviceAddress glogSigma) {
        cx.go("condNormalLogProbBackward", launch, z, mu, logSigma, gOut, n, d, gz, gmu, glogSigma);
    }

    /** {@code condNormalSample(float* mu, float* logSigma, float* eps, float temperature, long long n, float* z)} */
    void condNormalSample(Launch launch, DeviceAddress mu, DeviceAddress logSigma, DeviceAddress eps, float temperature, long n, DeviceAddress z) {
        cx.go("condNormalSample", launch, mu, logSigma, eps, temperature, n, z);
    }
}
